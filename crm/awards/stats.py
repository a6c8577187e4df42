"""Numbers on verified awards for staff: per year, per level, units certified, by country."""

from dataclasses import dataclass

from sqlalchemy import extract, func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.awards.models import FORMATS, AwardLevel, AwardRegistration, AwardUnits
from crm.extensions import db

VERIFIED = AwardRegistration.status == "verified"
EXPORT_HEADER = [
    "id",
    "artist",
    "release",
    "format",
    "release date",
    "label",
    "label country",
    "level",
    "total units",
    "units by country",
    "registered on",
    "verified on",
]


@dataclass
class AwardStats:
    awards: int
    total_units: int
    per_year: list[tuple[int, int]]
    per_level: list[tuple[str, int]]
    by_country: list[tuple[str, int]]


def award_stats() -> AwardStats:
    """Counts and sums over verified awards."""
    year = extract("year", AwardRegistration.decided_at)
    per_year = db.session.execute(
        select(year, func.count())
        .where(VERIFIED, AwardRegistration.decided_at.is_not(None))
        .group_by(year)
        .order_by(year)
    ).all()
    per_level = db.session.execute(
        select(AwardLevel.name, func.count(AwardRegistration.id))
        .join(AwardRegistration, AwardRegistration.level_id == AwardLevel.id)
        .where(VERIFIED)
        .group_by(AwardLevel.name)
        .order_by(func.max(AwardLevel.threshold), AwardLevel.name)
    ).all()
    by_country = db.session.execute(
        select(AwardUnits.country, func.sum(AwardUnits.units))
        .join(AwardRegistration, AwardRegistration.id == AwardUnits.registration_id)
        .where(VERIFIED)
        .group_by(AwardUnits.country)
        .order_by(func.sum(AwardUnits.units).desc(), AwardUnits.country)
    ).all()
    awards, units = db.session.execute(
        select(func.count(), func.coalesce(func.sum(AwardRegistration.total_units), 0)).where(
            VERIFIED
        )
    ).one()
    return AwardStats(
        awards=awards,
        total_units=int(units),
        per_year=[(int(y), n) for y, n in per_year],
        per_level=[(name, n) for name, n in per_level],
        by_country=[(country, int(n)) for country, n in by_country],
    )


def export_rows():
    """Every verified award as a CSV row, oldest decision first."""
    query = (
        select(AwardRegistration)
        .where(VERIFIED)
        .options(
            joinedload(AwardRegistration.organisation),
            joinedload(AwardRegistration.level),
            selectinload(AwardRegistration.units),
        )
        .order_by(AwardRegistration.decided_at, AwardRegistration.id)
    )
    for award in db.session.scalars(query):
        yield [
            award.id,
            award.artist,
            award.title,
            FORMATS.get(award.format, award.format),
            award.release_date.isoformat(),
            award.organisation.name,
            award.organisation.country,
            award.level.name if award.level else "",
            award.total_units,
            " ".join(f"{u.country}:{u.units}" for u in award.units),
            award.registered_on.isoformat(),
            award.decided_at.date().isoformat() if award.decided_at else "",
        ]
