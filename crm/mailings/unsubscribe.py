"""Leaving and coming back: what an unsubscribe link (or mailto, or one-click POST) does, and
what the preference centre shows and changes. Services add and flush; the caller commits."""

from dataclasses import dataclass

from sqlalchemy import select

from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Consent, Suppression
from crm.mailings.models import Mailing
from crm.mailings.tokens import read_unsubscribe_token
from crm.members.models import Person
from crm.members.vocab import CURRENT_STATUSES

# The words a person agrees to in the preference centre; the version is recorded with each
# answer, so a change of wording gets a new version.
WORDING_VERSION = "preferences-2026-11"
WORDING = "Send me {label} from Indie Music Europe by email. I can change this at any time."


@dataclass(frozen=True)
class Recipient:
    """Whom a signed link names: their address, the purpose and the mailing it came with."""

    email_key: str
    purpose: str
    mailing_id: int | None

    @property
    def masked(self) -> str:
        return mask(self.email_key)

    @property
    def purpose_label(self) -> str:
        return consent.PURPOSES.get(self.purpose, (self.purpose.replace("_", " "),))[0]


def read(token: str) -> Recipient | None:
    """The recipient a link names, or None for a link that is not ours (or mangled)."""
    if not token or len(token) > 1000:
        return None
    data = read_unsubscribe_token(token)
    if data is None or "@" not in data["e"] or len(data["e"]) > 254:
        return None
    return Recipient(data["e"].strip().lower(), data["p"], data["m"])


def mask(email_key: str) -> str:
    """`a***@example.org`: enough for the reader to recognise, not enough to harvest."""
    local, _, domain = email_key.rpartition("@")
    return f"{local[:1]}***@{domain}"


def person_for(email_key: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email_key == email_key))


def suppression_of(email_key: str) -> Suppression | None:
    digest = consent.email_hash(email_key)
    return db.session.scalar(select(Suppression).where(Suppression.email_hash == digest))


def _basis(purpose: str, current: Consent | None, granted: bool = False) -> str:
    opt_in = consent.PURPOSES[purpose][1]
    if granted and opt_in:
        return "consent"  # a yes to an opt-in purpose is consent, whatever it rested on before
    if current is not None:
        return current.basis
    return "consent" if opt_in else "legitimate_interest"


def unsubscribe(recipient: Recipient, *, source: str) -> None:
    """Suppress the address at once and withdraw the purpose's consent if we know the person.
    Idempotent: a second time changes nothing (and a bounce or complaint reason stays)."""
    mailing_id = recipient.mailing_id
    if mailing_id is not None and db.session.get(Mailing, mailing_id) is None:
        mailing_id = None  # the mailing was deleted since; the unsubscribe still counts
    consent.suppress(recipient.email_key, "unsubscribed", source=source, mailing_id=mailing_id)
    person = person_for(recipient.email_key)
    if person is None or recipient.purpose not in consent.PURPOSES:
        return
    current = consent.consents_of(person.id).get(recipient.purpose)
    if current is None or current.granted:
        consent.record_consent(
            person,
            recipient.purpose,
            False,
            basis=_basis(recipient.purpose, current),
            source=source,
        )


@dataclass
class Preferences:
    """What the preference centre shows for one address."""

    person: Person | None
    suppression: Suppression | None
    # purpose -> (label, receives it now)
    purposes: dict[str, tuple[str, bool]]

    @property
    def can_resubscribe(self) -> bool:
        return self.suppression is not None and self.suppression.reason == consent.LIFTABLE


def preferences(email_key: str) -> Preferences:
    """The address's suppression and, if we know the person, their answer per purpose."""
    person = person_for(email_key)
    answers = consent.consents_of(person.id) if person is not None else {}
    organisation = person.organisation if person is not None else None
    member = organisation is not None and organisation.membership_status in CURRENT_STATUSES
    purposes = {
        purpose: (
            label,
            consent.is_reachable(answers.get(purpose), purpose, current_member=member),
        )
        for purpose, (label, _opt_in) in consent.PURPOSES.items()
    }
    return Preferences(person, suppression_of(email_key), purposes if person else {})


def save_preferences(email_key: str, wanted: dict[str, bool], resubscribe: bool) -> list[str]:
    """Record the purposes whose answer changed (source "preference centre", with the wording
    and its version) and lift an unsubscribe when asked. Returns what changed, for the page."""
    shown = preferences(email_key)
    changes = []
    if resubscribe and shown.can_resubscribe:
        consent.unsuppress(email_key)
        changes.append("You will receive our mail again.")
    if shown.person is None:
        return changes
    answers = consent.consents_of(shown.person.id)
    for purpose, (label, receives) in shown.purposes.items():
        if purpose not in wanted or wanted[purpose] == receives:
            continue
        consent.record_consent(
            shown.person,
            purpose,
            wanted[purpose],
            basis=_basis(purpose, answers.get(purpose), wanted[purpose]),
            source="preference centre",
            wording_version=WORDING_VERSION,
            wording=WORDING.format(label=label.lower()),
        )
        changes.append(f"{label}: {'yes' if wanted[purpose] else 'no'}.")
    return changes
