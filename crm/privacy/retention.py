"""Retention: personal data kept no longer than it is needed, one rule per kind.

Password reset links need no clean-up: they are signed, expire after PASSWORD_RESET_MAX_AGE and
are spent by the password change itself, so no token is stored. The mail that carried one is a
delivery, whose body the delivery rule blanks.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, null, or_, select, update

from crm.audit.services import record
from crm.db import utcnow
from crm.declarations.models import Signature
from crm.extensions import db
from crm.mailings.audience_models import BounceEvent
from crm.mailings.models import Delivery, DeliveryStatus
from crm.mailings.outbox import make_message_id
from crm.members.importing.uploads import STALE_UPLOAD_SECONDS, upload_folder

FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)
CONFIRMATION_KIND = "signature-confirm"


@dataclass(frozen=True)
class Rule:
    kind: str
    describe: str
    run: Callable[[bool], int]  # dry_run -> how many (would be) removed


def _days(name: str) -> timedelta:
    return timedelta(days=int(current_app.config[name]))


def _confirmation_digests(signatures) -> list[str]:
    """The Message-ID digests of every confirmation mail the signatures may have had (see
    declarations.signing: one key per signature and mail number)."""
    return [
        make_message_id(f"signature-confirm:{signature_id}:{number}")[1:33]
        for signature_id, sent in signatures
        for number in range(max(sent, 1) + 1)
    ]


def unconfirmed_signatures(dry_run: bool) -> int:
    """Signatures never confirmed within SIGNATURE_RETENTION_DAYS, with their confirmation
    mail (which carries the name and the address)."""
    where = (
        Signature.status == "unconfirmed",
        Signature.created_at < utcnow() - _days("SIGNATURE_RETENTION_DAYS"),
    )
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(Signature).where(*where))
    stale = db.session.execute(select(Signature.id, Signature.confirmations_sent).where(*where))
    digests = _confirmation_digests(stale.all())
    for start in range(0, len(digests), 500):
        # By the digest inside "<digest@domain>": a changed MAIL_MESSAGE_ID_DOMAIN still matches.
        db.session.execute(
            delete(Delivery)
            .where(
                Delivery.kind == CONFIRMATION_KIND,
                func.substr(Delivery.message_id, 2, 32).in_(digests[start : start + 500]),
            )
            .execution_options(synchronize_session=False)
        )
    return db.session.execute(delete(Signature).where(*where)).rowcount


def finished_mail(dry_run: bool) -> int:
    """Finished mail older than DELIVERY_BODY_RETENTION_DAYS loses its bodies, address, merge
    values and headers; the row and its status stay for the mailing's report, and a NULL
    recipient_key leaves the once-per-mailing constraint (NULLs never collide) intact."""
    where = (
        Delivery.status.in_(FINISHED),
        func.coalesce(Delivery.sent_at, Delivery.created_at)
        < utcnow() - _days("DELIVERY_BODY_RETENTION_DAYS"),
        or_(
            Delivery.to_email != "",
            Delivery.recipient_key.is_not(None),
            Delivery.text_body.is_not(None),
            Delivery.html_body.is_not(None),
        ),
    )
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(Delivery).where(*where))
    return db.session.execute(
        update(Delivery)
        .where(*where)
        # null(): SQL NULL in the JSON columns, not the JSON value null.
        .values(
            text_body=None,
            html_body=None,
            to_email="",
            recipient_key=None,
            merge=null(),
            headers=null(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def bounce_events(dry_run: bool) -> int:
    """Bounce reports older than BOUNCE_RETENTION_DAYS (the suppression they caused stays)."""
    where = (BounceEvent.received_at < utcnow() - _days("BOUNCE_RETENTION_DAYS"),)
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(BounceEvent).where(*where))
    return db.session.execute(delete(BounceEvent).where(*where)).rowcount


def stale_import_uploads(dry_run: bool) -> int:
    """Member CSVs left between an import's preview and its confirmation for over a day."""
    folder: Path = upload_folder(current_app.instance_path)
    if not folder.is_dir():
        return 0
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    stale = [path for path in folder.glob("*.csv") if path.stat().st_mtime < cutoff]
    if not dry_run:
        for path in stale:
            path.unlink(missing_ok=True)
    return len(stale)


RULES = (
    Rule("unconfirmed signatures", "deleted", unconfirmed_signatures),
    Rule("finished mail", "blanked", finished_mail),
    Rule("bounce events", "deleted", bounce_events),
    Rule("import uploads", "deleted", stale_import_uploads),
)


def run(dry_run: bool = False) -> dict[str, int]:
    """Apply every rule (or count what each would remove); audited; the caller commits."""
    counts = {rule.kind: rule.run(dry_run) for rule in RULES}
    if not dry_run and any(counts.values()):
        record(
            "retention",
            "retention",
            None,
            "Retention: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()),
            after=counts,
        )
    return counts
