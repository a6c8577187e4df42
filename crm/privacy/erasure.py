"""Erasure: anonymise every row the map links to a person, in the caller's one transaction.

Rows are found first (lookup.find_rows), then changed table by table as the map says: deleted,
anonymised column by column, or kept. The address survives only as a hash in the suppression
list, so it is never mailed again. The erasure's own audit entry holds the person id, the hash
and row counts: nothing that identifies anyone.
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from crm.audit.models import AuditEvent
from crm.audit.services import current_actor, record
from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Suppression
from crm.mailings.models import Delivery, DeliveryStatus
from crm.members.models import Person
from crm.members.services import reindex_organisation
from crm.privacy.lookup import (
    Hit,
    Subject,
    find_hits,
    mention_pattern,
    redact,
    subject_for_person,
    table,
)
from crm.privacy.personal_data import MAP, Erase, OnErase, entity_tables

ERASED_WORD = "Erased"
ERASED_VALUE = "erased"
ERASE_ACTION = "erase"


class ErasureError(ValueError):
    """An erasure that cannot be done, with a message for people."""


@dataclass
class ErasureResult:
    person_id: int | None
    email_hashes: list[str]
    deleted: dict[str, int]
    anonymised: dict[str, int]


def erasure_event(person_id: int) -> AuditEvent | None:
    """The audit entry of the person's erasure, if they were erased."""
    return db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "person",
            AuditEvent.entity_id == person_id,
            AuditEvent.action == ERASE_ACTION,
        )
        .limit(1)
    )


def placeholder(value: str | None) -> str | None:
    """A hash-derived stand-in for a unique key: same input, same placeholder."""
    if value is None:
        return None
    return "erased:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()


def blank_value(column):
    """NULL, or the empty value of the column's type where it must not be NULL."""
    if column.nullable:
        return None
    python_type = column.type.python_type
    return {str: "", bool: False, int: 0, dict: {}, list: []}[python_type]


def scrub(snapshot, entity_type: str):
    """Keep only the values of non-personal columns of the entity's table in an audit snapshot."""
    if not isinstance(snapshot, dict):
        return snapshot if snapshot is None else ERASED_VALUE
    spec = MAP.get(entity_tables().get(entity_type, ""))
    kept = {n for n, rule in spec.columns.items() if not rule.personal} if spec else set()
    return {key: value if key in kept else ERASED_VALUE for key, value in snapshot.items()}


def _fit(column, value):
    length = getattr(column.type, "length", None)
    return value[:length] if isinstance(value, str) and length else value


def _new_value(erase: Erase, column, value, row, pattern):
    if erase is Erase.REDACT:
        return value if pattern is None else _fit(column, redact(value, pattern))
    if erase is Erase.BLANK:
        return blank_value(column)
    if erase is Erase.ERASED:
        return ERASED_WORD
    if erase is Erase.HASH:
        return placeholder(value)
    if erase is Erase.SCRUB:
        return scrub(value, row._mapping.get("entity_type", ""))
    raise ValueError(erase)


def _anonymise(name: str, rows: dict[int, Hit], pattern) -> int:
    spec, tbl = MAP[name], table(name)
    personal = tuple(c for c, rule in spec.columns.items() if rule.erase is not Erase.KEEP)
    for row in db.session.execute(select(tbl).where(tbl.c.id.in_(sorted(rows)))):
        hit = rows[row.id]
        columns = personal if hit.erase is None else sorted(hit.erase)
        values = {
            c: _new_value(
                hit.erase_as or spec.columns[c].erase, tbl.c[c], row._mapping[c], row, pattern
            )
            for c in columns
            if spec.columns[c].erase is not Erase.KEEP
        }
        if values:
            db.session.execute(update(tbl).where(tbl.c.id == row.id).values(**values))
    return len(rows)


def _cancel_queued_mail(delivery_ids) -> None:
    # Nothing still waiting in the outbox may leave for an address that is about to go.
    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(sorted(delivery_ids)), Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.CANCELLED, last_error=None)
        .execution_options(synchronize_session=False)
    )


def _only_erased_traces(found: dict) -> bool:
    """Nothing left but an erasure's own hash-only suppression and audit entries."""
    if any(rows for name, rows in found.items() if name not in ("suppression", "audit_event")):
        return False
    reasons = db.session.scalars(
        select(Suppression.reason).where(Suppression.id.in_(sorted(found.get("suppression", {}))))
    )
    return set(reasons) == {"erased"}


def erase_subject(subject: Subject) -> ErasureResult:
    """Erase everything the map links to the subject; the caller commits once."""
    person = subject.person
    if person is not None:
        # Two admins erasing at once: the second waits here, then sees the first's entry.
        db.session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
    if person is not None and erasure_event(person.id) is not None:
        raise ErasureError("This person's personal data has already been erased.")
    actor_id, _ = current_actor()
    if actor_id is not None and actor_id in subject.user_ids:
        raise ErasureError("You cannot erase the person your own account belongs to.")
    found = find_hits(subject)
    if not any(found.values()):
        raise ErasureError("The CRM holds nothing about this address.")
    if person is None and _only_erased_traces(found):
        raise ErasureError("This address has already been erased.")
    hashes = sorted(subject.email_hashes)
    org_id = person.organisation_id if person else None
    db.session.flush()
    _cancel_queued_mail(found.get("delivery", {}))
    pattern = mention_pattern(subject.email_keys) if subject.email_keys else None
    deleted, anonymised = {}, {}
    for name, rows in found.items():
        tbl, on_erase = table(name), MAP[name].on_erase
        if on_erase is OnErase.KEEP:
            continue
        if on_erase is OnErase.DELETE:
            # A row found only by a column that quotes the person (someone else's consent a
            # staff user recorded) loses that column; the rest of the table's rows go.
            whole = sorted(i for i, hit in rows.items() if hit.erase is None)
            if whole:
                db.session.execute(delete(tbl).where(tbl.c.id.in_(whole)))
                deleted[name] = len(whole)
            rows = {i: hit for i, hit in rows.items() if hit.erase is not None}
        if rows:
            anonymised[name] = _anonymise(name, rows, pattern)
    db.session.expire_all()
    if org_id is not None:
        reindex_organisation(org_id)
    for key in sorted(subject.email_keys):
        consent.suppress_hash_only(key)
    record(
        ERASE_ACTION,
        "person" if person else "email",
        person.id if person else None,
        "Personal data erased",
        after={"email_hashes": hashes, "deleted": deleted, "anonymised": anonymised},
        organisation_id=org_id,
    )
    db.session.flush()
    return ErasureResult(person.id if person else None, hashes, deleted, anonymised)


def erase_person(person: Person) -> ErasureResult:
    """Erase a person of the directory (see erase_subject)."""
    return erase_subject(subject_for_person(person))
