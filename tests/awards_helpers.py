"""Award rows made directly for the review, public and statistics tests."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from crm.awards.levels import level_for
from crm.awards.models import AwardLevel, AwardRegistration, AwardUnits
from crm.awards.registration import add_revision
from crm.extensions import db

CURRENT_LEVELS = (
    ("Silver", 20_000),
    ("Double Silver", 40_000),
    ("Gold", 75_000),
    ("Diamond", 200_000),
    ("Platinum", 400_000),
    ("Double Platinum", 800_000),
)


def levels() -> dict[str, AwardLevel]:
    """Today's six levels (made once per test)."""
    found = {lv.name: lv for lv in db.session.scalars(select(AwardLevel))}
    for position, (name, threshold) in enumerate(CURRENT_LEVELS, 1):
        if name not in found:
            found[name] = AwardLevel(
                name=name,
                threshold=threshold,
                position=position,
                scheme="2014",
                valid_from=date(2014, 1, 1),
                valid_to=None,
            )
            db.session.add(found[name])
    db.session.flush()
    return found


def award(
    org,
    artist="Mara Vell",
    title="Midnight Harbour",
    units=None,
    status="submitted",
    decided_at=None,
    submitted_by=None,
    registered_on=date(2025, 3, 1),
):
    """A registration with its units; the level is the application's own: level_for the total
    on the registration date, among the levels in force then."""
    units = units or {"DE": 50_000, "FR": 30_000}
    total = sum(units.values())
    levels()
    level = level_for(total, registered_on)
    registration = AwardRegistration(
        organisation_id=org.id,
        submitted_by_id=submitted_by.id if submitted_by else None,
        artist=artist,
        title=title,
        format="album",
        release_date=date(2024, 9, 1),
        registered_on=registered_on,
        total_units=total,
        level_id=level.id if level else None,
        status=status,
        figures_confirmed=True,
        decided_at=decided_at,
    )
    for country, count in sorted(units.items()):
        registration.units.append(AwardUnits(country=country, units=count))
    db.session.add(registration)
    # Revision 1 is the figures as submitted, whatever was decided afterwards.
    add_revision(registration, 1, None, status="submitted")
    db.session.flush()
    return registration


def on(year, month=6, day=15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)
