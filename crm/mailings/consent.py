"""Consent per purpose and the suppression list: who may be mailed for what, and who never again.

Services add and flush and write the audit entry; the caller commits once. Suppression is keyed
by the sha256 of the lower-cased address, so an erased address (only its hash kept) stays
suppressed, and audiences compare the same hash in SQL (`email_sha256`).
"""

import hashlib
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from crm.audit.services import record, snapshot
from crm.db import utcnow
from crm.extensions import db
from crm.mailings.audience_models import Consent, Suppression
from crm.mailings.consent_rules import (  # noqa: F401 (re-exported: callers use consent.X)
    BASES,
    BASIS_LABELS,
    JOURNALIST_INTEREST,
    MEMBERS_ONLY,
    PURPOSES,
    basis_problem,
    is_journalist,
    is_reachable,
)
from crm.mailings.models import Delivery, DeliveryStatus, Mailing
from crm.members.models import Person
from crm.members.normalise import email_key

# A stronger reason replaces a weaker one; only "unsubscribed" may ever be lifted.
REASON_STRENGTH = {"unsubscribed": 1, "hard_bounce": 2, "complaint": 3, "erased": 4}
REASON_LABELS = {
    "unsubscribed": "Unsubscribed",
    "hard_bounce": "Hard bounce",
    "complaint": "Spam complaint",
    "erased": "Erased (only the hash is kept)",
}
LIFTABLE = "unsubscribed"


class ConsentError(ValueError):
    """A consent or suppression change that cannot be made, with a message for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def email_hash(email_or_key: str) -> str:
    """sha256 hex of the stripped, lower-cased address."""
    return hashlib.sha256((email_or_key or "").strip().lower().encode("utf-8")).hexdigest()


class email_sha256(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """SQL: the same hash as email_hash() of an already lower-cased column (Person.email_key)."""

    type = String()
    inherit_cache = True


@compiles(email_sha256, "postgresql")
def _sha256_postgresql(element, compiler, **kw):
    return f"encode(sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')), 'hex')"


@compiles(email_sha256)
def _sha256_default(element, compiler, **kw):
    return f"crm_sha256({compiler.process(element.clauses, **kw)})"


def _sqlite_sha256(value):
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


@event.listens_for(Engine, "connect")
def _register_sqlite_sha256(dbapi_connection, connection_record):
    """SQLite has no sha256: give every SQLite connection one, for the audience query."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.create_function("crm_sha256", 1, _sqlite_sha256, deterministic=True)


# --- consent ---------------------------------------------------------------------------------


def _consent_for(person_id: int, purpose: str) -> Consent | None:
    return db.session.scalar(
        select(Consent).where(Consent.person_id == person_id, Consent.purpose == purpose)
    )


def record_consent(
    person: Person,
    purpose: str,
    granted: bool,
    *,
    basis: str,
    source: str,
    wording_version: str | None = None,
    wording: str | None = None,
    when: datetime | None = None,
) -> Consent:
    """Set a person's answer for one purpose (insert or update) and audit before and after.

    A yes to an opt-in purpose needs basis "consent" and the wording or its version (press
    releases to a journalist may rest on legitimate interest): ConsentError otherwise. A
    withdrawal cancels the person's bulk deliveries of that purpose still queued.
    """
    if purpose not in PURPOSES:
        raise ConsentError(f"Unknown purpose {purpose!r}.", "purpose")
    if basis not in BASES:
        raise ConsentError(f"Unknown legal basis {basis!r}.", "basis")
    problem = basis_problem(
        purpose,
        granted,
        basis,
        wording_version=wording_version,
        wording=wording,
        journalist=granted and purpose == JOURNALIST_INTEREST and is_journalist(person.id),
    )
    if problem is not None:
        raise ConsentError(*problem)
    when = when or utcnow()
    consent = _consent_for(person.id, purpose)
    if consent is None:
        try:
            # A savepoint: a concurrent first answer for the same purpose wins the insert and
            # this one becomes an update of it, instead of a 500.
            with db.session.begin_nested():
                consent = Consent(
                    person_id=person.id, purpose=purpose, granted=granted, basis=basis
                )
                db.session.add(consent)
                db.session.flush()
            before = None
        except IntegrityError:
            consent = _consent_for(person.id, purpose)
            before = snapshot(consent)
    else:
        before = snapshot(consent)
    consent.granted = bool(granted)
    consent.basis = basis
    consent.source = (source or "")[:120] or None
    consent.wording_version = (wording_version or "")[:40] or None
    consent.wording = (wording or "")[:500] or None
    if granted:
        consent.granted_at, consent.withdrawn_at = when, None
    else:
        consent.withdrawn_at = when
    db.session.flush()
    cancelled = 0
    if not granted and person.email_key:
        cancelled = cancel_queued_for_purpose(person.email_key, purpose)
    label = PURPOSES[purpose][0]
    summary = f"{label} {'granted' if granted else 'withdrawn'} for {person.full_name} ({basis})"
    if cancelled:
        summary += f"; {cancelled} queued deliver{'y' if cancelled == 1 else 'ies'} cancelled"
    record(
        "create" if before is None else "update",
        "consent",
        consent.id,
        summary,
        before=before,
        after=snapshot(consent),
        organisation_id=person.organisation_id,
    )
    return consent


def consents_of(person_id: int) -> dict[str, Consent]:
    """A person's consent rows by purpose."""
    rows = db.session.scalars(select(Consent).where(Consent.person_id == person_id))
    return {row.purpose: row for row in rows}


def summaries(person_ids: list[int]) -> dict[int, str]:
    """One line per person, e.g. "Newsletter ✓ · Press releases ✗", in one query."""
    if not person_ids:
        return {}
    rows = db.session.execute(
        select(Consent.person_id, Consent.purpose, Consent.granted)
        .where(Consent.person_id.in_(person_ids))
        .order_by(Consent.person_id, Consent.purpose)
    )
    parts: dict[int, list[str]] = {}
    for person_id, purpose, granted in rows:
        label = PURPOSES.get(purpose, (purpose,))[0]
        parts.setdefault(person_id, []).append(f"{label} {'yes' if granted else 'no'}")
    return {pid: " · ".join(items) for pid, items in parts.items()}


# --- suppression -----------------------------------------------------------------------------


def _by_hash(digest: str) -> Suppression | None:
    return db.session.scalar(select(Suppression).where(Suppression.email_hash == digest))


def _key_or_error(email: str) -> str:
    key = email_key(email)
    if not key or "@" not in key or len(key) > 254:
        raise ConsentError("Enter an email address.", "email")
    return key


def cancel_queued_bulk(key: str) -> int:
    """Cancel bulk deliveries still queued to this address; returns how many."""
    return db.session.execute(
        update(Delivery)
        .where(
            Delivery.recipient_key == key,
            Delivery.mailing_id.is_not(None),
            Delivery.status == DeliveryStatus.QUEUED,
        )
        .values(status=DeliveryStatus.CANCELLED, last_error="suppressed")
        .execution_options(synchronize_session=False)
    ).rowcount


def cancel_queued_for_purpose(key: str, purpose: str) -> int:
    """Cancel bulk deliveries still queued to this address for mailings of the purpose (the
    person withdrew it); returns how many. Deliveries already claimed by a worker go out."""
    of_purpose = select(Mailing.id).where(Mailing.purpose == purpose)
    return db.session.execute(
        update(Delivery)
        .where(
            Delivery.recipient_key == key,
            Delivery.mailing_id.in_(of_purpose),
            Delivery.status == DeliveryStatus.QUEUED,
        )
        .values(status=DeliveryStatus.CANCELLED, last_error="consent withdrawn")
        .execution_options(synchronize_session=False)
    ).rowcount


def _strengthen(entry: Suppression, reason: str, source: str, mailing_id: int | None) -> bool:
    if REASON_STRENGTH[reason] <= REASON_STRENGTH[entry.reason]:
        return False
    entry.reason, entry.source, entry.mailing_id = reason, source, mailing_id
    return True


def _upsert(digest: str, key: str | None, reason: str, source: str, mailing_id) -> Suppression:
    entry = _by_hash(digest)
    before = snapshot(entry) if entry else None
    if entry is None:
        try:
            with db.session.begin_nested():
                entry = Suppression(
                    email_hash=digest,
                    email_key=key,
                    reason=reason,
                    source=source,
                    mailing_id=mailing_id,
                )
                db.session.add(entry)
                db.session.flush()
            changed = True
        except IntegrityError:  # a concurrent unsubscribe or bounce of the same address won
            entry = _by_hash(digest)
            before = snapshot(entry)
            changed = _strengthen(entry, reason, source, mailing_id)
    else:
        changed = _strengthen(entry, reason, source, mailing_id)
    if reason == "erased":
        entry.email_key = None
    db.session.flush()
    if changed:
        shown = key if reason != "erased" else "an erased address"
        record(
            "create" if before is None else "update",
            "suppression",
            entry.id,
            f"Suppressed {shown} ({reason})",
            before=_hide_key(before, reason),
            after=_hide_key(snapshot(entry), reason),
        )
    return entry


def _hide_key(values: dict | None, reason: str) -> dict | None:
    # An erasure must not leave the address behind in the audit log.
    if values is not None and reason == "erased":
        return {**values, "email_key": None}
    return values


def suppress(email: str, reason: str, *, source: str, mailing_id: int | None = None):
    """Never bulk-mail this address again; idempotent, a stronger reason replaces a weaker one,
    and bulk deliveries still queued to it are cancelled."""
    if reason not in REASON_STRENGTH or reason == "erased":
        raise ConsentError(f"Unknown reason {reason!r}.", "reason")
    key = _key_or_error(email)
    entry = _upsert(email_hash(key), key, reason, (source or "")[:120], mailing_id)
    cancel_queued_bulk(key)
    return entry


def suppress_hash_only(email: str) -> Suppression:
    """For erasure: keep only the hash of the address (reason "erased"), never the address."""
    key = _key_or_error(email)
    entry = _upsert(email_hash(key), None, "erased", "erasure", None)
    cancel_queued_bulk(key)
    return entry


def is_suppressed(email: str) -> bool:
    """Whether the address is suppressed (compared by hash, so erased ones count)."""
    key = email_key(email)
    return bool(key) and _by_hash(email_hash(key)) is not None


def unsuppress(email: str) -> bool:
    """Lift an "unsubscribed" entry (staff, or the person re-subscribing); False if none.
    Bounces, complaints and erasures are never lifted."""
    key = _key_or_error(email)
    entry = _by_hash(email_hash(key))
    if entry is None:
        return False
    if entry.reason != LIFTABLE:
        raise ConsentError(
            f"This address is suppressed because of a {REASON_LABELS[entry.reason].lower()}; "
            "only an unsubscribe can be lifted.",
            "email",
        )
    before = snapshot(entry)
    db.session.delete(entry)
    db.session.flush()
    record("delete", "suppression", entry.id, f"Lifted the suppression of {key}", before=before)
    return True
