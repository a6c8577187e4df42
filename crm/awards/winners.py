"""Verified awards as the public sees them: the filtered list, one award, the filter choices."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import extract, func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.awards.models import AwardLevel, AwardRegistration, AwardUnits
from crm.extensions import db
from crm.members.models import Organisation

PER_PAGE = 25


def _year(text: str) -> int | None:
    """A plausible four-digit year, or None."""
    if len(text) == 4 and text.isascii() and text.isdigit() and 1900 < int(text) < 9999:
        return int(text)
    return None


@dataclass
class WinnerFilters:
    """Filters from the query string, already cleaned: anything unusable is dropped."""

    year: int | None = None
    level: str | None = None
    country: str | None = None
    label: str | None = None

    @classmethod
    def from_args(cls, args) -> "WinnerFilters":
        year = args.get("year", "").strip()
        country = args.get("country", "").strip().upper()
        level = args.get("level", "").strip()[:60]
        label = " ".join(args.get("label", "").split())[:100]
        return cls(
            year=_year(year),
            level=level or None,
            country=country
            if len(country) == 2 and country.isascii() and country.isalpha()
            else None,
            label=label or None,
        )

    def as_args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v}


def verified():
    return select(AwardRegistration).where(AwardRegistration.status == "verified")


def winners_query(filters: WinnerFilters):
    """Verified awards matching the filters, newest decision first."""
    query = verified().join(Organisation, Organisation.id == AwardRegistration.organisation_id)
    if filters.year:
        query = query.where(
            AwardRegistration.decided_at >= datetime(filters.year, 1, 1, tzinfo=UTC),
            AwardRegistration.decided_at < datetime(filters.year + 1, 1, 1, tzinfo=UTC),
        )
    if filters.level:
        query = query.join(AwardLevel, AwardLevel.id == AwardRegistration.level_id).where(
            AwardLevel.name == filters.level
        )
    if filters.country:
        query = query.where(
            select(AwardUnits.id)
            .where(
                AwardUnits.registration_id == AwardRegistration.id,
                AwardUnits.country == filters.country,
                AwardUnits.units > 0,
            )
            .exists()
        )
    if filters.label:
        pattern = (
            filters.label.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        query = query.where(func.lower(Organisation.name).like(f"%{pattern}%", escape="\\"))
    return query.options(
        joinedload(AwardRegistration.organisation),
        joinedload(AwardRegistration.level),
        selectinload(AwardRegistration.units),
    ).order_by(AwardRegistration.decided_at.desc(), AwardRegistration.id.desc())


def filter_choices() -> dict[str, list]:
    """Years, level names and countries that verified awards actually have."""
    year = extract("year", AwardRegistration.decided_at)
    years = db.session.scalars(
        select(year)
        .where(AwardRegistration.status == "verified", AwardRegistration.decided_at.is_not(None))
        .group_by(year)
        .order_by(year.desc())
    ).all()
    levels = db.session.execute(
        select(AwardLevel.name, func.max(AwardLevel.threshold))
        .join(AwardRegistration, AwardRegistration.level_id == AwardLevel.id)
        .where(AwardRegistration.status == "verified")
        .group_by(AwardLevel.name)
        .order_by(func.max(AwardLevel.threshold))
    ).all()
    countries = db.session.scalars(
        select(AwardUnits.country)
        .join(AwardRegistration, AwardRegistration.id == AwardUnits.registration_id)
        .where(AwardRegistration.status == "verified", AwardUnits.units > 0)
        .group_by(AwardUnits.country)
        .order_by(AwardUnits.country)
    ).all()
    return {
        "years": [int(y) for y in years if y is not None],
        "levels": [name for name, _ in levels],
        "countries": list(countries),
    }


def verified_award(registration_id: int) -> AwardRegistration | None:
    """One verified award, or None (unverified ones are not public)."""
    return db.session.scalar(
        verified()
        .where(AwardRegistration.id == registration_id)
        .options(
            joinedload(AwardRegistration.organisation),
            joinedload(AwardRegistration.level),
            selectinload(AwardRegistration.units),
        )
    )


def latest(limit: int = 50) -> list[AwardRegistration]:
    """The newest verified awards, for the feed."""
    return list(
        db.session.scalars(
            verified()
            .options(
                joinedload(AwardRegistration.organisation), joinedload(AwardRegistration.level)
            )
            .order_by(AwardRegistration.decided_at.desc(), AwardRegistration.id.desc())
            .limit(limit)
        )
    )
