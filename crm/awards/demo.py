"""Demo Sales Awards: about forty verified awards of member labels over the past years and a few
registrations waiting for review. Invented artists and titles; the caller commits."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from crm.audit.services import record
from crm.awards.models import AwardRegistration, AwardUnits
from crm.awards.registration import add_revision
from crm.extensions import db
from crm.members.models import Organisation
from crm.members.vocab import CURRENT_STATUSES, OrgKind

ARTISTS = (
    "The Northern Lights",
    "Mara Vell",
    "Kollektiv Süd",
    "Les Étoiles Filantes",
    "Brass Hollow",
    "Ingrid & the Fjords",
    "Paper Lanterns",
    "Dublin Drift",
    "Nova Tides",
    "Sirocco",
    "Hollow Pines",
    "Lumen Quartet",
    "Radio Vesna",
    "Amber Coast",
    "The Quiet Harbours",
)
WORDS = (
    "Midnight",
    "Harbour",
    "Echoes",
    "Gold",
    "Rivers",
    "Static",
    "Summer",
    "Glass",
    "Atlas",
    "Wildfire",
    "Paper",
    "Northern",
    "Hearts",
    "Signal",
    "Tides",
    "Lanterns",
)
COUNTRIES = ("DE", "FR", "GB", "NL", "BE", "ES", "IT", "SE", "DK", "NO", "PL", "AT", "IE", "FI")
VERIFIED = 40
PENDING = 4


@dataclass
class AwardsDemoSummary:
    verified: int = 0
    pending: int = 0


def _ensure_levels() -> None:
    from crm.awards.levels import seed_award_levels

    seed_award_levels()


def _labels(limit: int) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == OrgKind.LABEL,
                Organisation.membership_status.in_(CURRENT_STATUSES),
            )
            .order_by(Organisation.id)
            .limit(limit)
        )
    )


def _units(rng: random.Random) -> dict[str, int]:
    total = rng.choice((22_000, 31_000, 45_000, 52_000, 80_000, 96_000, 210_000, 420_000, 850_000))
    total += rng.randrange(0, 5_000)
    countries = rng.sample(COUNTRIES, rng.randint(1, 5))
    shares = [rng.randint(1, 10) for _ in countries]
    units = {c: total * s // sum(shares) for c, s in zip(countries, shares, strict=True)}
    units[countries[0]] += total - sum(units.values())
    return units


def _registration(rng, label, registered_on: date, status: str, today: date) -> AwardRegistration:
    from crm.awards.levels import level_for

    units = _units(rng)
    total = sum(units.values())
    level = level_for(total, registered_on)
    decided = registered_on + timedelta(days=rng.randint(7, 45))
    registration = AwardRegistration(
        organisation_id=label.id,
        artist=rng.choice(ARTISTS),
        title=" ".join(rng.sample(WORDS, rng.randint(1, 3))),
        format=rng.choice(("album", "album", "album", "single", "download")),
        release_date=registered_on - timedelta(days=rng.randint(60, 900)),
        registered_on=registered_on,
        total_units=total,
        level_id=level.id if level else None,
        status=status,
        figures_confirmed=True,
    )
    if status == "verified":
        registration.decided_at = datetime.combine(min(decided, today), time(11), tzinfo=UTC)
    for country, count in sorted(units.items()):
        registration.units.append(AwardUnits(country=country, units=count))
    db.session.add(registration)
    # Revision 1 is the figures as submitted, whatever was decided afterwards.
    add_revision(registration, 1, None, status="submitted")
    db.session.flush()
    return registration


def seed_awards_demo(seed: int = 1, today: date | None = None) -> AwardsDemoSummary:
    """Add demo awards once (nothing when registrations exist or no member label does)."""
    summary = AwardsDemoSummary()
    if db.session.scalar(select(AwardRegistration.id).limit(1)) is not None:
        return summary
    _ensure_levels()
    labels = _labels(60)
    if not labels:
        return summary
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    today = today or date.today()
    first_year = today.year - 6
    for _ in range(VERIFIED):
        start = date(first_year, 1, 1)
        span = (today - timedelta(days=60) - start).days
        registered_on = start + timedelta(days=rng.randrange(max(span, 1)))
        _registration(rng, rng.choice(labels), registered_on, "verified", today)
        summary.verified += 1
    for number in range(PENDING):
        status = "info_requested" if number == 0 else "submitted"
        registration = _registration(
            rng, rng.choice(labels), today - timedelta(days=rng.randint(1, 30)), status, today
        )
        if status == "info_requested":
            registration.decision_note = "Please upload the distributor statement for France."
        summary.pending += 1
    record(
        "create",
        "award_registration",
        None,
        f"Demo Sales Awards: {summary.verified} verified, {summary.pending} waiting for review",
    )
    return summary
