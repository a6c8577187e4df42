"""The checks a mailing passes before it may be scheduled: shown on its page, enforced by
scheduling (which runs them again inside its transaction)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import attachments
from crm.mailings.models import Mailing, MailingKind
from crm.mailings.rendering import unknown_fields, uses_field

# A time chosen a few minutes ago (the form was open a while) still means "now".
SCHEDULE_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    message: str


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _audience(mailing: Mailing) -> Check:
    from crm.mailings.audience_models import Audience
    from crm.mailings.audiences import safe_count

    audience = db.session.get(Audience, mailing.audience_id) if mailing.audience_id else None
    if audience is None:
        return Check("audience", False, "Choose an audience.")
    count, invalid = safe_count(audience, mailing.purpose)
    if invalid is not None:
        return Check("audience", False, f"“{audience.name}”: {invalid}")
    if count == 0:
        return Check(
            "audience",
            False,
            f"No one in “{audience.name}” may receive this purpose "
            "(after consent and suppression): choose another audience.",
        )
    noun = "recipient" if count == 1 else "recipients"
    return Check("audience", True, f"“{audience.name}”: {count:,} {noun}.")


def _attachments(mailing: Mailing) -> Check | None:
    if not mailing.attachments:
        return None
    if mailing.kind != MailingKind.PRESS_RELEASE:
        return Check("attachments", False, "Only press releases carry attachments: remove them.")
    bad = [a.original_name for a in mailing.attachments if not attachments.is_pdf(a)]
    if bad:
        return Check("attachments", False, f"Not a readable PDF: {', '.join(bad)}.")
    return Check("attachments", True, f"{len(mailing.attachments)} PDF attachment(s).")


def _sender(mailing: Mailing) -> Check:
    """From and Reply-To must go into SMTP headers as they are: ASCII (the draft's save turns
    an internationalised domain into punycode; a non-ASCII local part cannot be converted)."""
    if not (mailing.from_name.strip() and mailing.from_email.strip()):
        return Check("from", False, "Give the sender's name and address.")
    for label, address in (("From", mailing.from_email), ("Reply-To", mailing.reply_to)):
        if address and not address.isascii():
            return Check(
                "from",
                False,
                f"The {label} address {address} is not plain ASCII, which mail servers may "
                "refuse: edit the draft (an accented domain is converted when saved; the part "
                "before the @ must be ASCII).",
            )
    return Check("from", True, f"From: {mailing.from_name} <{mailing.from_email}>.")


def _embargo(embargo: datetime, send_at: datetime | None, now: datetime) -> Check:
    """The embargo is ahead, and not before the send time: the release would be public (at
    its embargo) before the press received it."""
    if embargo <= now:
        return Check("embargo", False, "The embargo time has passed: move or clear it.")
    if send_at is not None and embargo < send_at:
        return Check(
            "embargo",
            False,
            f"The embargo ({_stamp(embargo)}) lifts before the send time ({_stamp(send_at)}): "
            "the release would be public before the press receives it. Send earlier or move "
            "the embargo.",
        )
    return Check("embargo", True, f"The embargo lifts on {_stamp(embargo)}.")


def preflight(
    mailing: Mailing, *, send_at: datetime | None = None, now: datetime | None = None
) -> list[Check]:
    """Every check, passed or not. `send_at` (when scheduling) is checked against `now`."""
    now = now or utcnow()
    checks = [_audience(mailing)]
    checks.append(
        Check("subject", True, "The subject is set.")
        if mailing.subject.strip()
        else Check("subject", False, "Write a subject.")
    )
    checks.append(_sender(mailing))
    checks.append(
        Check("unsubscribe", True, "The body carries the unsubscribe link.")
        if uses_field(mailing.body, "unsubscribe_url")
        else Check(
            "unsubscribe", False, "Put the unsubscribe link ({{ unsubscribe_url }}) in the body."
        )
    )
    unknown = sorted(set(unknown_fields(mailing.subject) + unknown_fields(mailing.body)))
    checks.append(
        Check("merge_fields", False, f"Unknown merge fields: {', '.join(unknown)}.")
        if unknown
        else Check("merge_fields", True, "Every merge field is known.")
    )
    checks.append(
        Check(
            "test",
            True,
            f"A test was sent on {_stamp(mailing.test_sent_at)}, after the last change.",
        )
        if mailing.test_sent_at
        else Check("test", False, "Send a test after the last change.")
    )
    if send_at is not None:
        checks.append(
            Check("send_at", True, f"It leaves from {_stamp(max(send_at, now))}.")
            if send_at >= now - SCHEDULE_GRACE
            else Check("send_at", False, "The send time is in the past: choose a later one.")
        )
    if mailing.embargo_until is not None:
        checks.append(_embargo(mailing.embargo_until, send_at, now))
    attachment_check = _attachments(mailing)
    if attachment_check is not None:
        checks.append(attachment_check)
    return checks


def failures(checks: list[Check]) -> list[Check]:
    return [check for check in checks if not check.ok]
