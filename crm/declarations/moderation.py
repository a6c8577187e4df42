"""Moderation: organisation signatures (and individual ones where the declaration asks) wait
for an officer before they are published on the signatory list."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from crm.audit.models import AuditEvent
from crm.audit.services import record
from crm.db import utcnow
from crm.declarations.models import Declaration, Signature
from crm.extensions import db

MODERATION_STATES = {
    "pending": "Waiting for approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "not_needed": "Published without moderation",
}
ALREADY_DECIDED = "This signature was already decided by someone else; nothing was changed."


class ModerationError(ValueError):
    """A moderation decision that cannot be taken."""


def initial_moderation(declaration: Declaration, signing_as: str) -> str:
    """The moderation state a new signature starts in."""
    if signing_as == "organisation" or declaration.moderate_individuals:
        return "pending"
    return "not_needed"


def queue(declaration_id: int) -> list[Signature]:
    """Confirmed signatures waiting for a decision, oldest first."""
    return list(
        db.session.scalars(
            select(Signature)
            .where(
                Signature.declaration_id == declaration_id,
                Signature.status == "confirmed",
                Signature.moderation == "pending",
            )
            .options(joinedload(Signature.organisation))
            .order_by(Signature.confirmed_at, Signature.id)
        )
    )


def _decide(signature: Signature, decision: str, reason: str | None, user_id: int | None):
    if signature.status != "confirmed":
        raise ModerationError("Only confirmed signatures can be moderated.")
    if signature.moderation != "pending":
        raise ModerationError(ALREADY_DECIDED)
    before = {"moderation": "pending", "moderation_reason": None}
    # Conditional: of two officers deciding at once, only the first changes the row.
    won = db.session.execute(
        update(Signature)
        .where(
            Signature.id == signature.id,
            Signature.status == "confirmed",
            Signature.moderation == "pending",
        )
        .values(
            moderation=decision,
            moderation_reason=reason,
            moderated_by_id=user_id,
            moderated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(signature)
    if won != 1:
        raise ModerationError(ALREADY_DECIDED)
    from crm.declarations.signing import forget_count  # signing imports this module

    forget_count(signature.declaration_id)
    who = signature.organisation_name or f"{signature.first_name} {signature.last_name}"
    verb = "approved" if decision == "approved" else "rejected"
    record(
        "update",
        "signature",
        signature.id,
        f"Signature {signature.id} ({who}) {verb}",
        before=before,
        after={"moderation": decision, "moderation_reason": reason},
    )
    return signature


def approve(signature: Signature, user_id: int | None, reason: str | None = None) -> Signature:
    """Publish a pending signature."""
    return _decide(signature, "approved", (reason or "").strip() or None, user_id)


def reject(signature: Signature, user_id: int | None, reason: str) -> Signature:
    """Keep a pending signature off the list; a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("Give a reason for rejecting the signature.")
    return _decide(signature, "rejected", reason[:500], user_id)


def counts(declaration_id: int) -> dict[tuple[str, str], int]:
    """Signatures by (status, moderation)."""
    rows = db.session.execute(
        select(Signature.status, Signature.moderation, func.count())
        .where(Signature.declaration_id == declaration_id)
        .group_by(Signature.status, Signature.moderation)
    )
    return {(status, moderation): n for status, moderation, n in rows}


def decisions(declaration_id: int, limit: int = 100) -> list[AuditEvent]:
    """The audit trail of moderation and match decisions on this declaration's signatures."""
    ids = select(Signature.id).where(Signature.declaration_id == declaration_id)
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == "signature",
                AuditEvent.action == "update",
                AuditEvent.entity_id.in_(ids),
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
