"""Award levels as data: which levels are in force on a date, which one a number of units
reaches, and the admins' changes to them (audited)."""

from datetime import date

from sqlalchemy import or_, select

from crm.audit.services import record, snapshot
from crm.awards.models import AwardLevel
from crm.extensions import db

# The two schemes we know of (shared/data/awards.md). The exact dates are OUR ASSUMPTION: the
# facts only say "an earlier scheme (2007)" and "current levels". We take the 2007 scheme to run
# from 2007-01-01 to 2013-12-31 and today's scheme to apply from 2014-01-01.
SCHEME_2007 = "2007"
SCHEME_2014 = "2014"
SEED_LEVELS = (
    # (scheme, name, threshold, position, valid_from, valid_to)
    (SCHEME_2007, "Silver", 30_000, 1, date(2007, 1, 1), date(2013, 12, 31)),
    (SCHEME_2007, "Gold", 100_000, 2, date(2007, 1, 1), date(2013, 12, 31)),
    (SCHEME_2007, "Diamond", 250_000, 3, date(2007, 1, 1), date(2013, 12, 31)),
    (SCHEME_2007, "Platinum", 500_000, 4, date(2007, 1, 1), date(2013, 12, 31)),
    (SCHEME_2007, "Double Platinum", 1_000_000, 5, date(2007, 1, 1), date(2013, 12, 31)),
    (SCHEME_2014, "Silver", 20_000, 1, date(2014, 1, 1), None),
    (SCHEME_2014, "Double Silver", 40_000, 2, date(2014, 1, 1), None),
    (SCHEME_2014, "Gold", 75_000, 4, date(2014, 1, 1), None),
    (SCHEME_2014, "Diamond", 200_000, 5, date(2014, 1, 1), None),
    (SCHEME_2014, "Platinum", 400_000, 6, date(2014, 1, 1), None),
    (SCHEME_2014, "Double Platinum", 800_000, 7, date(2014, 1, 1), None),
)
LEVEL_FIELDS = ("name", "threshold", "position", "scheme", "valid_from", "valid_to")
MAX_THRESHOLD = 2**31 - 1


class LevelError(ValueError):
    """A user-facing reason a level change was refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _in_force(on: date):
    return (AwardLevel.valid_from <= on) & or_(
        AwardLevel.valid_to.is_(None), AwardLevel.valid_to >= on
    )


def levels_in_force(on: date) -> list[AwardLevel]:
    """Every level valid on the date, lowest threshold first."""
    stmt = select(AwardLevel).where(_in_force(on)).order_by(AwardLevel.threshold, AwardLevel.id)
    return list(db.session.scalars(stmt))


def level_for(units: int, on: date) -> AwardLevel | None:
    """The highest level in force on the date whose threshold the units reach, or None."""
    stmt = (
        select(AwardLevel)
        .where(_in_force(on), AwardLevel.threshold <= units)
        .order_by(AwardLevel.threshold.desc(), AwardLevel.id)
        .limit(1)
    )
    return db.session.scalar(stmt)


def levels_by_scheme() -> list[tuple[str, list[AwardLevel]]]:
    """All levels grouped by scheme, the most recent scheme first."""
    groups: dict[str, list[AwardLevel]] = {}
    stmt = select(AwardLevel).order_by(AwardLevel.threshold, AwardLevel.position, AwardLevel.id)
    for level in db.session.scalars(stmt):
        groups.setdefault(level.scheme, []).append(level)
    return sorted(
        groups.items(), key=lambda item: max(lv.valid_from for lv in item[1]), reverse=True
    )


def _clean(data: dict) -> dict:
    values = {key: data.get(key) for key in LEVEL_FIELDS}
    for key in ("name", "scheme"):
        values[key] = (values[key] or "").strip()
    values["position"] = values["position"] or 0
    return values


def _validate(values: dict, exclude_id: int | None) -> None:
    if not values["name"]:
        raise LevelError("Give the level a name.", "name")
    if not values["scheme"]:
        raise LevelError("Name the scheme the level belongs to.", "scheme")
    threshold = values["threshold"]
    if threshold is None or not 0 < threshold <= MAX_THRESHOLD:
        raise LevelError("The threshold must be a positive number of units.", "threshold")
    if values["valid_from"] is None:
        raise LevelError("Give the date the level applies from.", "valid_from")
    if values["valid_to"] is not None and values["valid_to"] < values["valid_from"]:
        raise LevelError("The level must end on or after the day it starts.", "valid_to")
    clash = select(AwardLevel.id).where(
        AwardLevel.scheme == values["scheme"], AwardLevel.threshold == threshold
    )
    if exclude_id is not None:
        clash = clash.where(AwardLevel.id != exclude_id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise LevelError(
            f"The {values['scheme']} scheme already has a level at {threshold:,} units.",
            "threshold",
        )
    _check_no_overlap(values, exclude_id)


def _check_no_overlap(values: dict, exclude_id: int | None) -> None:
    """One scheme at a time: a level may not be in force on a day when a level of another
    scheme is, or level_for would mix the thresholds of two schemes."""
    start, end = values["valid_from"], values["valid_to"]
    overlap = select(AwardLevel).where(
        AwardLevel.scheme != values["scheme"],
        or_(AwardLevel.valid_to.is_(None), AwardLevel.valid_to >= start),
    )
    if end is not None:
        overlap = overlap.where(AwardLevel.valid_from <= end)
    if exclude_id is not None:
        overlap = overlap.where(AwardLevel.id != exclude_id)
    other = db.session.scalar(overlap.order_by(AwardLevel.valid_from, AwardLevel.id).limit(1))
    if other is not None:
        until = other.valid_to.isoformat() if other.valid_to else "no end date"
        raise LevelError(
            f"These dates overlap the {other.scheme} scheme ({other.name}, "
            f"{other.valid_from.isoformat()} to {until}): only one scheme can be in force on "
            "a day. End the other scheme first, or use its name for this level.",
            "valid_from",
        )


def create_level(data: dict) -> AwardLevel:
    """Add a level (audited)."""
    values = _clean(data)
    _validate(values, None)
    level = AwardLevel(**values)
    db.session.add(level)
    db.session.flush()
    record(
        "create",
        "award_level",
        level.id,
        f"Award level {level.name} ({level.scheme}, {level.threshold:,} units) added",
        after=snapshot(level),
    )
    return level


def update_level(level: AwardLevel, data: dict) -> AwardLevel:
    """Change a level (audited)."""
    values = _clean(data)
    _validate(values, level.id)
    before = snapshot(level)
    for key, value in values.items():
        setattr(level, key, value)
    db.session.flush()
    after = snapshot(level)
    if before != after:
        record(
            "update",
            "award_level",
            level.id,
            f"Award level {level.name} ({level.scheme}) changed",
            before=before,
            after=after,
        )
    return level


def seed_award_levels() -> int:
    """Add the known schemes' levels that are missing; running it again adds nothing."""
    added = 0
    for scheme, name, threshold, position, valid_from, valid_to in SEED_LEVELS:
        exists = db.session.scalar(
            select(AwardLevel.id)
            .where(AwardLevel.scheme == scheme, AwardLevel.threshold == threshold)
            .limit(1)
        )
        if exists is None:
            create_level(
                {
                    "name": name,
                    "threshold": threshold,
                    "position": position,
                    "scheme": scheme,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                }
            )
            added += 1
    return added
