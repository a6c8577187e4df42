"""Staff review of award registrations: ask for more information, verify or reject.

Each decision changes the row with a conditional UPDATE on its status, so of two staff deciding
at once only the first wins; it is audited and the label is told through the outbox."""

from flask import current_app, render_template, url_for
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from crm.audit.models import AuditEvent
from crm.audit.services import record
from crm.auth.models import User
from crm.awards.models import STATUSES, AwardRegistration, AwardRevision
from crm.awards.text import one_line, truncate
from crm.db import utcnow
from crm.extensions import db
from crm.mailings.outbox import queue_email

OPEN = ("submitted", "info_requested")
ALREADY_DECIDED = "This registration was already decided by someone else; nothing was changed."
FIGURES_CHANGED = "Not decided: the figures changed since you opened this page; review them again."
# The label's own page of a registration (views_registrations.py), linked from the mails; the
# winners' page stands in if that view is ever renamed.
REGISTRATION_ENDPOINTS = ("awards.registration",)
SUBJECTS = {
    "verified": "Sales Award verified: {title}",
    "rejected": "Sales Award registration not accepted: {title}",
    "info_requested": "Sales Award registration: more information needed for {title}",
}
# Delivery.subject is a String(300); artist and title may have 200 characters each.
MAX_SUBJECT = 300


class ReviewError(ValueError):
    """A decision that cannot be taken."""


def review_queue() -> list[AwardRegistration]:
    """Registrations waiting for staff, oldest first."""
    return list(
        db.session.scalars(
            select(AwardRegistration)
            .where(AwardRegistration.status.in_(OPEN))
            .options(
                joinedload(AwardRegistration.organisation),
                joinedload(AwardRegistration.level),
                selectinload(AwardRegistration.units),
                selectinload(AwardRegistration.evidence),
                selectinload(AwardRegistration.revisions),
            )
            .order_by(AwardRegistration.created_at, AwardRegistration.id)
        )
    )


def history(registration_ids: list[int]) -> dict[int, list[AuditEvent]]:
    """Audit events of each registration, oldest first."""
    found: dict[int, list[AuditEvent]] = {rid: [] for rid in registration_ids}
    if not registration_ids:
        return found
    for event in db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "award_registration",
            AuditEvent.entity_id.in_(registration_ids),
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ):
        found[event.entity_id].append(event)
    return found


def latest_revision(registration: AwardRegistration) -> int:
    """The number of the registration's newest revision (0 if it has none): the figures the
    reviewer sees, carried in the decision form."""
    return max((rev.number for rev in registration.revisions), default=0)


def _latest_revision_sql():
    return (
        select(func.coalesce(func.max(AwardRevision.number), 0))
        .where(AwardRevision.registration_id == AwardRegistration.id)
        .scalar_subquery()
    )


def verify(
    registration: AwardRegistration, user_id: int | None, revision: int | None = None
) -> None:
    """Verify the award: it appears on the public winners' list. With `revision`, only if the
    figures are still those of that revision."""
    _decide(registration, "verified", None, user_id, revision)


def reject(
    registration: AwardRegistration, user_id: int | None, reason: str, revision: int | None = None
) -> None:
    """Reject the registration; the reason is required and sent to the label."""
    if not (reason or "").strip():
        raise ReviewError("Give a reason to reject a registration.")
    _decide(registration, "rejected", reason.strip(), user_id, revision)


def request_info(
    registration: AwardRegistration, user_id: int | None, message: str, revision: int | None = None
) -> None:
    """Ask the label for more information; the registration waits for its answer."""
    if not (message or "").strip():
        raise ReviewError("Write the question to send to the label.")
    _decide(registration, "info_requested", message.strip(), user_id, revision)


def _decide(
    registration: AwardRegistration, status: str, note: str | None, user_id, revision=None
) -> None:
    if registration.status not in OPEN:
        raise ReviewError(ALREADY_DECIDED)
    before = {"status": registration.status, "decision_note": registration.decision_note}
    final = status in ("verified", "rejected")
    values = {"status": status, "decision_note": note}
    if final:
        values |= {"decided_at": utcnow(), "decided_by_id": user_id}
    # Conditional: of two staff deciding at once, only the first changes the row; and a
    # decision taken on figures that a raise or resubmission replaced since changes nothing
    # (the status alone cannot tell: a raise sets "submitted" again).
    conditions = [
        AwardRegistration.id == registration.id,
        AwardRegistration.status == before["status"],
    ]
    if revision is not None:
        # Lock the row first (PostgreSQL): a raise or an answer holds the same lock until it
        # commits its new revision, so the subquery below, a later statement, sees that revision.
        db.session.execute(
            select(AwardRegistration.id)
            .where(AwardRegistration.id == registration.id)
            .with_for_update()
        )
        conditions.append(_latest_revision_sql() == revision)
    won = db.session.execute(
        update(AwardRegistration)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(registration)
    if won != 1:
        if revision is not None and registration.status in OPEN:
            raise ReviewError(FIGURES_CHANGED)
        raise ReviewError(ALREADY_DECIDED)
    verb = {"verified": "verified", "rejected": "rejected", "info_requested": "asked about"}
    record(
        "update",
        "award_registration",
        registration.id,
        f"Sales Award registration {verb[status]}: {registration.artist} – {registration.title}",
        before=before,
        after={"status": status, "decision_note": note},
        organisation_id=registration.organisation_id,
    )
    _queue_decision_mail(registration)


def recipient(registration: AwardRegistration) -> str | None:
    """The submitting user's email, else the organisation's."""
    if registration.submitted_by_id:
        user = db.session.get(User, registration.submitted_by_id)
        if user is not None and user.email:
            return user.email
    return registration.organisation.email if registration.organisation else None


def registration_link(registration: AwardRegistration) -> str:
    """An absolute link to the label's page of the registration (or the winners' page)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    for endpoint in REGISTRATION_ENDPOINTS:
        if endpoint in current_app.view_functions:
            try:
                return base + url_for(endpoint, registration_id=registration.id)
            except BuildError:
                continue
    if registration.status == "verified":
        return base + url_for("awards.public_award", registration_id=registration.id)
    return base + url_for("dashboard.index")


def decision_subject(registration: AwardRegistration, status: str) -> str:
    """The decision mail's subject: one line (no CR/LF or control characters, which would break
    the header) and no longer than the outbox column."""
    title = f'"{one_line(registration.title)}" by {one_line(registration.artist)}'
    return truncate(one_line(SUBJECTS[status].format(title=title)), MAX_SUBJECT)


def _queue_decision_mail(registration: AwardRegistration) -> None:
    to = recipient(registration)
    if not to:
        return
    status = registration.status
    queue_email(
        to,
        decision_subject(registration, status),
        render_template(
            f"awards/email/{status}.txt",
            registration=registration,
            level=registration.level.name if registration.level else "no level",
            status_label=STATUSES[status],
            link=registration_link(registration),
        ),
        kind=f"award-{status.replace('_', '-')}",
        key=f"award-decision:{registration.id}:{status}:{utcnow().isoformat()}",
    )
