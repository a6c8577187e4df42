"""Registering a release for a Sales Award and raising it with new figures. Each write adds,
flushes and audits; the view commits once. Who may see a registration is decided here too."""

from dataclasses import dataclass
from datetime import date

from flask import abort
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.audit.services import record, snapshot
from crm.auth.roles import STAFF, Role
from crm.awards import evidence, levels
from crm.awards.models import (
    AwardEvidence,
    AwardLevel,
    AwardRegistration,
    AwardRevision,
    AwardUnits,
)
from crm.extensions import db

DETAIL_FIELDS = (
    "artist",
    "title",
    "format",
    "release_date",
    "catalogue_number",
    "isrc",
    "upc",
)
# The total must fit the integer columns; no release ships two billion units.
MAX_TOTAL = 2**31 - 1


class RegistrationError(ValueError):
    """A user-facing reason a registration was refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def today() -> date:
    """The registration date: the levels in force on it apply."""
    return date.today()


# --- who may see what ------------------------------------------------------------------------


def can_view(user, registration: AwardRegistration) -> bool:
    """Staff, and the label's own member users; nobody else (associations included)."""
    if user.role in STAFF:
        return True
    return user.role == Role.MEMBER and registration.organisation_id == user.organisation_id


def can_raise(user, registration: AwardRegistration) -> bool:
    return user.role == Role.MEMBER and registration.organisation_id == user.organisation_id


def require_view(registration: AwardRegistration) -> AwardRegistration:
    if not can_view(current_user, registration):
        abort(403)
    return registration


def require_raise(registration: AwardRegistration) -> AwardRegistration:
    if not can_raise(current_user, registration):
        abort(403)
    return registration


def registrations_for(user):
    """A select of the registrations the user may see, newest first."""
    stmt = select(AwardRegistration).order_by(
        AwardRegistration.registered_on.desc(), AwardRegistration.id.desc()
    )
    if user.role in STAFF:
        return stmt
    return stmt.where(AwardRegistration.organisation_id == user.organisation_id)


# --- totals and levels -----------------------------------------------------------------------


@dataclass
class Assessment:
    total: int
    level: AwardLevel | None
    lowest: AwardLevel | None  # the lowest level in force: what "qualifies" means today

    @property
    def qualifies(self) -> bool:
        return self.level is not None


def assess(units: dict[str, int], on: date) -> Assessment:
    """The total of the units and the highest level it reaches under the levels in force."""
    total = sum(units.values())
    in_force = levels.levels_in_force(on)
    return Assessment(total, levels.level_for(total, on), in_force[0] if in_force else None)


def not_qualifying_message(assessment: Assessment) -> str:
    if assessment.lowest is None:
        return "No award levels are in force today, so nothing can be registered yet."
    return (
        f"{assessment.total:,} units do not qualify yet: the lowest level, "
        f"{assessment.lowest.name}, starts at {assessment.lowest.threshold:,} units."
    )


def _check_units(units: dict[str, int]) -> None:
    if not units:
        raise RegistrationError("Enter the units shipped in at least one country.", "units")
    if sum(units.values()) > MAX_TOTAL:
        raise RegistrationError("The total is larger than any release could ship.", "units")


def _clean(details: dict) -> dict:
    values = {}
    for key in DETAIL_FIELDS:
        value = details.get(key)
        if isinstance(value, str):
            value = value.strip() or None
        values[key] = value
    return values


def _duplicate(org_id: int, values: dict, exclude_id: int | None = None):
    stmt = select(AwardRegistration.id).where(
        AwardRegistration.organisation_id == org_id,
        func.lower(AwardRegistration.artist) == values["artist"].lower(),
        func.lower(AwardRegistration.title) == values["title"].lower(),
        AwardRegistration.format == values["format"],
    )
    if exclude_id is not None:
        stmt = stmt.where(AwardRegistration.id != exclude_id)
    return db.session.scalar(stmt.limit(1))


def _attach_evidence(registration, checked, user_id) -> list[str]:
    stored = evidence.write_all(checked)
    for item in stored:
        registration.evidence.append(
            AwardEvidence(
                stored_name=item.stored_name,
                original_name=item.original_name,
                content_type=item.content_type,
                size=item.size,
                uploaded_by_id=user_id,
            )
        )
    return [item.stored_name for item in stored]


def add_revision(
    registration: AwardRegistration,
    number: int,
    user_id: int | None,
    status: str | None = None,
) -> None:
    """Record the registration's figures and level as they stand now (the history).
    `status` defaults to the registration's own."""
    registration.revisions.append(
        AwardRevision(
            number=number,
            created_by_id=user_id,
            registered_on=registration.registered_on,
            total_units=registration.total_units,
            units={u.country: u.units for u in registration.units},
            level_id=registration.level_id,
            status=status or registration.status,
        )
    )


def _audit_values(registration: AwardRegistration) -> dict:
    values = snapshot(registration)
    values["units"] = {u.country: u.units for u in registration.units}
    return values


def _flush_or_remove(stored_names: list[str]) -> None:
    """Flush; if the database refuses, the files just written are removed again. A unique
    conflict (two people raising the same registration at once) is a clear error, not a 500."""
    try:
        db.session.flush()
    except IntegrityError as error:
        evidence.remove_all(stored_names)
        raise RegistrationError(
            "The registration was changed by someone else meanwhile. Reload it and try again.",
            "units",
        ) from error
    except Exception:
        evidence.remove_all(stored_names)
        raise


def register(
    organisation_id: int, details: dict, units: dict[str, int], checked: list, user_id
) -> AwardRegistration:
    """Register a release with its units per country and evidence: status "submitted",
    revision 1. Refused (nothing written, no file stored) below the lowest level in force."""
    values = _clean(details)
    _check_units(units)
    if not checked:
        raise RegistrationError(
            "Upload at least one statement (PDF, CSV or spreadsheet) showing the figures.",
            "evidence",
        )
    on = today()
    assessment = assess(units, on)
    if not assessment.qualifies:
        raise RegistrationError(f"{not_qualifying_message(assessment)} Nothing was saved.", "units")
    if _duplicate(organisation_id, values) is not None:
        raise RegistrationError(
            "This release is already registered: open it and raise it with the new figures.",
            "title",
        )
    registration = AwardRegistration(
        organisation_id=organisation_id,
        submitted_by_id=user_id,
        registered_on=on,
        total_units=assessment.total,
        level_id=assessment.level.id,
        status="submitted",
        figures_confirmed=True,
        **values,
    )
    for country, count in sorted(units.items()):
        registration.units.append(AwardUnits(country=country, units=count))
    db.session.add(registration)
    stored = _attach_evidence(registration, checked, user_id)
    add_revision(registration, 1, user_id)
    _flush_or_remove(stored)
    record(
        "create",
        "award_registration",
        registration.id,
        f"Award registration: {registration.artist} – {registration.title}, "
        f"{registration.total_units:,} units ({assessment.level.name})",
        after=_audit_values(registration),
        organisation_id=organisation_id,
    )
    return registration


def raise_figures(
    registration: AwardRegistration, details: dict, units: dict[str, int], checked: list, user_id
) -> AwardRegistration:
    """New figures for a registration: they must reach a higher level than the current one.
    The registration goes back to "submitted" and a new revision keeps the history."""
    values = _clean(details)
    _check_units(units)
    if not checked:
        raise RegistrationError(
            "Upload at least one statement showing the new figures.", "evidence"
        )
    on = today()
    assessment = assess(units, on)
    if not assessment.qualifies:
        raise RegistrationError(f"{not_qualifying_message(assessment)} Nothing was saved.", "units")
    current = registration.level
    if current is not None and assessment.level.threshold <= current.threshold:
        raise RegistrationError(
            f"{assessment.total:,} units reach {assessment.level.name}, which is not higher "
            f"than the current level, {current.name} ({current.threshold:,} units). "
            "Raise a registration only when the new figures reach a higher level. "
            "Nothing was saved.",
            "units",
        )
    return _replace_figures(
        registration,
        values,
        units,
        assessment,
        checked,
        user_id,
        on,
        "Award registration raised",
    )


def can_answer(user, registration: AwardRegistration) -> bool:
    """The label may answer while the secretariat waits for more information."""
    return can_raise(user, registration) and registration.status == "info_requested"


def resubmit(
    registration: AwardRegistration,
    details: dict,
    units: dict[str, int],
    checked: list,
    user_id,
) -> AwardRegistration:
    """The label's answer to a request for more information: corrected figures and details,
    and any further statements, at the same level or a higher one (the levels of the day it
    was registered apply). Back to "submitted", with a new revision."""
    if registration.status != "info_requested":
        raise RegistrationError(
            "This registration no longer waits for your answer; reload it. Nothing was saved.",
            "units",
        )
    values = _clean(details)
    _check_units(units)
    on = registration.registered_on
    total = sum(units.values())
    level = levels.level_for(total, on)
    current = registration.level
    if level is None or (current is not None and level.threshold < current.threshold):
        target = current.name if current is not None else "a level"
        raise RegistrationError(
            f"{total:,} units do not reach {target}, the level applied for. Correct the figures "
            "so that they reach it (or a higher level); to withdraw, write to the secretariat. "
            "Nothing was saved.",
            "units",
        )
    if not checked and not registration.evidence:
        raise RegistrationError("Upload at least one statement showing the figures.", "evidence")
    return _replace_figures(
        registration,
        values,
        units,
        Assessment(total, level, None),
        checked,
        user_id,
        on,
        "Award registration answered and resubmitted",
    )


def _replace_figures(
    registration: AwardRegistration,
    values: dict,
    units: dict[str, int],
    assessment: Assessment,
    checked: list,
    user_id,
    on: date,
    summary: str,
) -> AwardRegistration:
    if _duplicate(registration.organisation_id, values, registration.id) is not None:
        raise RegistrationError("Another registration of this label has this release.", "title")
    before = _audit_values(registration)
    for key, value in values.items():
        setattr(registration, key, value)
    existing = {u.country: u for u in registration.units}
    for country, row in existing.items():
        if country not in units:
            registration.units.remove(row)
    for country, count in units.items():
        if country in existing:
            existing[country].units = count
        else:
            registration.units.append(AwardUnits(country=country, units=count))
    registration.registered_on = on
    registration.total_units = assessment.total
    registration.level_id = assessment.level.id
    registration.level = assessment.level
    registration.status = "submitted"
    registration.figures_confirmed = True
    number = (
        db.session.scalar(
            select(func.max(AwardRevision.number)).where(
                AwardRevision.registration_id == registration.id
            )
        )
        or 0
    ) + 1
    stored = _attach_evidence(registration, checked, user_id)
    add_revision(registration, number, user_id)
    _flush_or_remove(stored)
    record(
        "update",
        "award_registration",
        registration.id,
        f"{summary}: {registration.artist} – {registration.title}, "
        f"{registration.total_units:,} units ({assessment.level.name}), revision {number}",
        before=before,
        after=_audit_values(registration),
        organisation_id=registration.organisation_id,
    )
    return registration
