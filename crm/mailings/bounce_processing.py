"""What a parsed bounce changes: a BounceEvent per address and report (recorded once however
often the mailbox is read), the delivery's bounce mark, suppression of hard bounces and
complaints, and the mailing's automatic pause.

Soft bounces are counted: an address with soft bounces of SOFT_LIMIT different messages within
SOFT_WINDOW_DAYS is suppressed as a hard bounce (a mailbox that stays full or a server that keeps
refusing is as good as gone).

Anyone can send the bounce mailbox a message that looks like a bounce, so only a report that
quotes what an outsider cannot compute is acted on: our signed X-CRM-Delivery header, or our
Message-ID (an HMAC keyed by SECRET_KEY, see outbox.make_message_id). Only such a verified report
marks the delivery, suppresses, counts toward the soft-bounce limit and the automatic pause. A
report that names a recipient of ours only by address is recorded as an unverified event (no
delivery, no mailing) and changes nothing else: else a forged bounce could unsubscribe anyone.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import consent, unsubscribe
from crm.mailings.audience_models import BounceEvent
from crm.mailings.bounces import COMPLAINT, HARD, SOFT, Recipient, Report, parse
from crm.mailings.headers import read_delivery_ref
from crm.mailings.models import Delivery
from crm.mailings.worker_claims import pause_failing

SOFT_LIMIT = 3
SOFT_WINDOW_DAYS = 30
_RANK = {None: 0, SOFT: 1, HARD: 2, COMPLAINT: 3}


@dataclass
class Outcome:
    kind: str  # bounce | complaint | unsubscribe | ignored
    recorded: int = 0  # new bounce events
    detail: str = ""


def process_message(raw: bytes) -> Outcome:
    """Parse one message from the bounce mailbox and apply it. Raises BounceParseError (or
    ValueError) for a message to keep for a person. The caller commits."""
    report = parse(raw, current_app.config.get("MAIL_UNSUBSCRIBE_ADDRESS"))
    if report.kind == "unsubscribe":
        recipient = unsubscribe.read(report.token or "")
        if recipient is None:
            return Outcome("ignored", detail="an unsubscribe mail with a link that is not ours")
        unsubscribe.unsubscribe(recipient, source="mailto")
        return Outcome("unsubscribe", detail=recipient.masked)
    if report.kind == "ignored":
        return Outcome("ignored", detail=report.reason)
    recorded, pausing, named = 0, set(), []
    for recipient in report.recipients:
        delivery = _delivery(report, recipient)
        named.append((recipient.email or "?") + ("" if delivery else " (unverified)"))
        if _record(report, recipient, delivery):
            recorded += 1
            if recipient.kind == HARD and delivery is not None and delivery.mailing_id:
                pausing.add(delivery.mailing_id)
    if pausing:
        db.session.flush()
        pause_failing(pausing)
    kind = "complaint" if report.kind == "complaint" else "bounce"
    return Outcome(kind, recorded, ", ".join(named))


def _delivery(report: Report, recipient: Recipient) -> Delivery | None:
    """Our message the report is about, found by what only we can compute: the signed
    reference, then the keyed Message-ID. None for anything else, however plausible (a match
    by address alone is what a forger would offer)."""
    delivery_id = read_delivery_ref(report.delivery_ref, current_app.config["SECRET_KEY"])
    if delivery_id is not None:
        found = db.session.get(Delivery, delivery_id)
        if found is not None:
            return found
    if report.message_id and len(report.message_id) <= 200:
        return db.session.scalar(select(Delivery).where(Delivery.message_id == report.message_id))
    return None


def _record(report: Report, recipient: Recipient, delivery: Delivery | None) -> bool:
    """Add the event and apply it; False when this report was recorded before."""
    key = (delivery.recipient_key or delivery.to_email.lower()) if delivery else recipient.email
    if not key:
        return False  # a redacted complaint about a message we cannot find
    exists = db.session.scalar(
        select(BounceEvent.id).where(
            BounceEvent.report_id == report.report_id, BounceEvent.email_key == key
        )
    )
    if exists is not None:
        return False
    event = BounceEvent(
        email_key=key,
        kind=recipient.kind,
        status_code=_stored(recipient.status, 20),
        diagnostic=_stored(recipient.diagnostic, 500),
        delivery_id=delivery.id if delivery else None,
        mailing_id=delivery.mailing_id if delivery else None,
        report_id=report.report_id,
    )
    try:
        with db.session.begin_nested():  # the same report read by two processes at once
            db.session.add(event)
            db.session.flush()
    except IntegrityError:
        return False
    if delivery is None:
        return True
    if _RANK[recipient.kind] > _RANK.get(delivery.bounce, 0):
        delivery.bounce = recipient.kind
    mailing_id = delivery.mailing_id
    if recipient.kind == HARD:
        source = f"bounce {recipient.status or ''}".strip()
        consent.suppress(key, "hard_bounce", source=source, mailing_id=mailing_id)
    elif recipient.kind == COMPLAINT:
        consent.suppress(key, "complaint", source="feedback report", mailing_id=mailing_id)
    elif _soft_bounced_messages(key) >= SOFT_LIMIT:
        source = f"{SOFT_LIMIT} soft bounces in {SOFT_WINDOW_DAYS} days"
        consent.suppress(key, "hard_bounce", source=source, mailing_id=mailing_id)
    return True


def _stored(text: str | None, width: int) -> str | None:
    """Text from a stranger's message as a column takes it: cut to width, without NULs (which
    PostgreSQL refuses)."""
    return (text or "").replace("\x00", "")[:width] or None


def _soft_bounced_messages(key: str) -> int:
    """Different messages of ours to the address that soft-bounced in the window, by verified
    reports (several delay notices about one message count once)."""
    since = utcnow() - timedelta(days=SOFT_WINDOW_DAYS)
    db.session.flush()
    return db.session.scalar(
        select(func.count(func.distinct(BounceEvent.delivery_id))).where(
            BounceEvent.email_key == key,
            BounceEvent.kind == SOFT,
            BounceEvent.received_at >= since,
            BounceEvent.delivery_id.is_not(None),  # verified only: unverified ones are anyone's
        )
    )
