"""Drafts and test sends of mailings. Each service adds, flushes and audits; the caller commits.

Scheduling, pause, resume and cancel are in mailing_states.py; the checks before sending in
preflight.py. A draft changes only while its row still says "draft" (a conditional UPDATE), so
an edit can never land on a mailing that another tab has just scheduled.
"""

from datetime import date, datetime
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select, update

from crm.audit.services import current_actor, record
from crm.db import utcnow
from crm.extensions import db
from crm.mailings.headers import bulk_headers, sender_header
from crm.mailings.models import Delivery, Mailing, MailingKind, MailingStatus, Priority
from crm.mailings.outbox import queue_email
from crm.mailings.rendering import compile_mailing, merge_values
from crm.mailings.tokens import recipient_links

DEFAULT_PURPOSES = {
    MailingKind.PRESS_RELEASE: "press_releases",
    MailingKind.NEWSLETTER: "newsletter",
    MailingKind.MEMBER_UPDATE: "member_communications",
    MailingKind.CAMPAIGN_UPDATE: "campaign_updates",
}
DRAFT_FIELDS = (
    "kind",
    "purpose",
    "subject",
    "from_name",
    "from_email",
    "reply_to",
    "audience_id",
    "campaign_id",
    "body",
    "embargo_until",
)
FOOTER = (
    "---\n\n"
    "[Read it in your browser]({{ web_version_url }}) · "
    "[Your preferences]({{ preferences_url }}) · "
    "[Unsubscribe]({{ unsubscribe_url }})\n"
)
MAX_TEST_ADDRESSES = 10
TEST_PREFIX = "[TEST] "


class MailingError(ValueError):
    """A user-facing reason a change was refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class StateChanged(MailingError):
    """Someone (another member of staff, the worker) changed the mailing's state meanwhile."""


def purposes() -> dict:
    # Imported when used: consent.py belongs to the audiences module and may load later.
    from crm.mailings.consent import PURPOSES

    return PURPOSES


def default_sender() -> tuple[str, str]:
    """(name, address) of MAIL_DEFAULT_SENDER: a new mailing's From."""
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])


def new_body() -> str:
    """A new mailing's body: a greeting and the footer with the personal links."""
    return "Dear {{ first_name | colleague }},\n\n\n\n" + FOOTER


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime | date) else value


def smtp_address(address: str, field: str, label: str) -> str:
    """The address as SMTP headers carry it: an internationalised domain in punycode; a
    non-ASCII part before the @ (which has no ASCII form) is refused."""
    if address.isascii():
        return address
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise MailingError(f"{label} address: {error}", field) from error
    if valid.ascii_email is None:
        raise MailingError(
            f"{label} address {address}: the part before the @ must be plain ASCII (no accents "
            "or other scripts), or many mail servers refuse the message.",
            field,
        )
    return valid.ascii_email


def _check(data: dict) -> dict:
    """The draft's values, completed (purpose by kind) and checked; MailingError otherwise."""
    from crm.mailings.audience_models import Audience
    from crm.policy.models import Campaign

    data = {field: data.get(field) for field in DRAFT_FIELDS}
    if data["kind"] not in set(MailingKind):
        raise MailingError("Choose the kind of mailing.", "kind")
    if not data["purpose"]:
        data["purpose"] = DEFAULT_PURPOSES[MailingKind(data["kind"])]
    if data["purpose"] not in purposes():
        raise MailingError("Choose a consent purpose.", "purpose")
    for field in ("subject", "from_name", "from_email", "body"):
        data[field] = (data[field] or "").strip() if field != "body" else data[field] or ""
    data["reply_to"] = (data["reply_to"] or "").strip() or None
    for field, label in (("from_email", "From"), ("reply_to", "Reply-to")):
        if data[field]:
            data[field] = smtp_address(data[field], field, label)
    if data["audience_id"] and db.session.get(Audience, data["audience_id"]) is None:
        raise MailingError("Choose an audience.", "audience_id")
    if data["campaign_id"] and db.session.get(Campaign, data["campaign_id"]) is None:
        raise MailingError("Choose a campaign.", "campaign_id")
    if data["embargo_until"] and data["kind"] != MailingKind.PRESS_RELEASE:
        raise MailingError("Only press releases have an embargo.", "embargo_at")
    return data


def create_mailing(data: dict) -> Mailing:
    """A new draft; an empty purpose takes the kind's default."""
    data = _check(data)
    actor_id = current_actor()[0]
    mailing = Mailing(
        **data, status=MailingStatus.DRAFT, created_by_id=actor_id, updated_by_id=actor_id
    )
    db.session.add(mailing)
    db.session.flush()
    record(
        "create",
        "mailing",
        mailing.id,
        f"Created {mailing.kind.replace('_', ' ')} draft {mailing.id}: {mailing.subject}",
        after={k: _jsonable(v) for k, v in data.items() if k != "body"},
    )
    return mailing


def _guarded_draft_update(mailing: Mailing, values: dict) -> None:
    """UPDATE the row only while it is a draft; StateChanged when it no longer is."""
    result = db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.status == MailingStatus.DRAFT)
        .values(**values, test_sent_at=None, updated_by_id=current_actor()[0])
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(mailing)
    if result.rowcount != 1:
        raise StateChanged(
            f"This mailing is no longer a draft (it is {mailing.status}): nothing was changed."
        )


def update_mailing(mailing: Mailing, data: dict) -> bool:
    """Change a draft; any change clears the test mark (preflight asks for a new test)."""
    data = _check(data)
    changes = {k: v for k, v in data.items() if getattr(mailing, k) != v}
    if not changes:
        if mailing.status != MailingStatus.DRAFT:
            raise StateChanged("Only drafts can be edited.")
        return False
    before = {k: _jsonable(getattr(mailing, k)) for k in changes if k != "body"}
    _guarded_draft_update(mailing, changes)
    after = {k: _jsonable(v) for k, v in changes.items() if k != "body"}
    if "body" in changes:
        before["body"], after["body"] = "(previous text)", "(edited)"
    record(
        "update", "mailing", mailing.id, f"Edited mailing {mailing.id}", before=before, after=after
    )
    return True


def mark_edited(mailing: Mailing) -> None:
    """An attachment changed: the draft needs a new test, and must still be a draft."""
    _guarded_draft_update(mailing, {"updated_at": utcnow()})


# --- test send -------------------------------------------------------------------------------


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """The addresses typed one per line (normalised, no repeats) and an error per bad line."""
    addresses: list[str] = []
    errors: list[str] = []
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return [], ["Give at least one address."]
    if len(lines) > MAX_TEST_ADDRESSES:
        return [], [f"Give at most {MAX_TEST_ADDRESSES} addresses ({len(lines)} given)."]
    for number, line in lines:
        try:
            address = validate_email(line, check_deliverability=False).normalized
        except EmailNotValidError as error:
            errors.append(f"Line {number} ({line[:60]}): {error}")
            continue
        if address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses, errors


def sample_values(person) -> dict:
    """Merge values for a preview or test: the person's, or empty (the fallbacks show)."""
    return merge_values(person) if person is not None else {}


def send_test(
    mailing: Mailing, addresses: list[str], person=None, *, now: datetime | None = None
) -> list[Delivery]:
    """Queue "[TEST] " copies at transactional priority, rendered with `person`'s values."""
    now = now or utcnow()
    if not addresses:
        raise MailingError("Give at least one address.", "addresses")
    loaded_at = mailing.updated_at
    compiled = compile_mailing(mailing, now=now)
    merge = sample_values(person)
    deliveries = []
    for address in addresses:
        key = address.lower()
        delivery = queue_email(
            address,
            TEST_PREFIX,
            "",
            kind="mailing_test",
            key=f"mailing-test:{mailing.id}:{key}:{now.isoformat()}",
            priority=Priority.TRANSACTIONAL,
        )
        db.session.flush()  # its id names its web version
        # No mailing id in the links: a tester's unsubscribe does not count in the report.
        links = recipient_links(key, mailing.purpose, None, delivery.id)
        rendered = compiled.render(merge, links)
        delivery.subject = (TEST_PREFIX + rendered.subject)[:300]
        delivery.text_body, delivery.html_body = rendered.text, rendered.html
        headers = bulk_headers(links)  # as the real copies carry them
        headers["Reply-To"] = mailing.reply_to or mailing.from_email
        headers["From"] = sender_header(mailing.from_name, mailing.from_email)
        delivery.headers = {k: v for k, v in headers.items() if v}
        deliveries.append(delivery)
    # Only if the text is still the one rendered: an edit in between clears the mark again.
    result = db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.updated_at == loaded_at)
        .values(test_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StateChanged("The mailing changed while the test was prepared: send it again.")
    db.session.refresh(mailing)
    record(
        "test_send",
        "mailing",
        mailing.id,
        f"Sent a test of mailing {mailing.id} to {', '.join(addresses)}"[:300],
        after={"to": addresses, "as_person_id": person.id if person is not None else None},
    )
    return deliveries


def tester_person():
    """The signed-in user's own person record (their values in a test), if they have one."""
    from flask_login import current_user

    from crm.members.models import Person

    person_id = getattr(current_user, "person_id", None)
    return db.session.scalar(select(Person).where(Person.id == person_id)) if person_id else None
