"""Erasure: every personal column of every row the map links to the person is blank, erased or
hashed afterwards, nothing personal is left anywhere, and the address is never mailed again."""

import json

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.declarations.models import Signature
from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Suppression
from crm.mailings.models import Delivery
from crm.members.models import Person, SearchToken
from crm.privacy import erasure, export, lookup
from crm.privacy.lookup import table
from crm.privacy.personal_data import MAP, Erase, OnErase
from tests import factories
from tests.test_privacy_support import (
    EMAIL,
    LOGIN,
    SECRETS,
    bystander,
    delivery,
    rich_person,
)


def _person(ids) -> Person:
    return db.session.get(Person, ids["person_id"])


def _found(ids) -> dict:
    return lookup.find_hits(lookup.subject_for_person(_person(ids)))


def _acted_as_the_user(ids) -> None:
    """The person's own login changed their organisation once."""
    db.session.add(
        AuditEvent(
            actor_id=ids["user_id"],
            actor=LOGIN,
            action="update",
            entity_type="organisation",
            entity_id=ids["org_id"],
            summary="Updated Harbour Lights Records",
        )
    )
    db.session.flush()


def _is_blank(value) -> bool:
    return value in (None, "", False, 0, {}, [])


def _check_erased(name: str, rows: dict) -> None:
    """The map-driven check: each linked row is gone or its personal columns are erased."""
    spec, tbl = MAP[name], table(name)
    present = {r.id: r._mapping for r in db.session.execute(select(tbl).where(tbl.c.id.in_(rows)))}
    if spec.on_erase is OnErase.DELETE:
        assert present == {}, name
        return
    if spec.on_erase is OnErase.KEEP:
        return
    personal = [c for c, rule in spec.columns.items() if rule.erase is not Erase.KEEP]
    for row_id, hit in rows.items():
        row = present[row_id]
        for column in personal if hit.erase is None else sorted(hit.erase):
            rule, value = spec.columns[column], row[column]
            where = f"{name}.{column} of row {row_id}"
            if Erase.REDACT in (rule.erase, hit.erase_as):
                text = json.dumps(value).lower()
                assert EMAIL.lower() not in text and LOGIN not in text, where
            elif rule.erase is Erase.BLANK:
                assert _is_blank(value), where
            elif rule.erase is Erase.ERASED:
                assert value == "Erased", where
            elif rule.erase is Erase.HASH:
                assert value is None or value.startswith("erased:"), where
            elif rule.erase is Erase.SCRUB and value is not None:
                entity = MAP.get(MAP_ENTITY.get(row["entity_type"], ""))
                kept = {c for c, r in entity.columns.items() if not r.personal} if entity else set()
                assert all(v == "erased" or k in kept for k, v in value.items()), where


MAP_ENTITY = {spec.audit_entity: name for name, spec in MAP.items() if spec.audit_entity}


def _everything_as_text() -> str:
    parts = []
    for tbl in db.metadata.sorted_tables:
        for row in db.session.execute(select(tbl)):
            parts.append(json.dumps(dict(row._mapping), default=str, ensure_ascii=False))
    return "\n".join(parts).lower()


def test_erasure_leaves_nothing_personal_anywhere_and_spares_the_bystander():
    ids = rich_person()
    _acted_as_the_user(ids)
    other = bystander(ids["org_id"], ids["declaration_id"], ids["mailing_id"])
    db.session.commit()
    before = _found(ids)
    assert _everything_as_text().count("quillfeather") > 5  # the scan below can see it
    signatures = db.session.scalar(select(func.count()).select_from(Signature))
    result = erasure.erase_person(_person(ids))
    db.session.commit()
    for name, rows in before.items():
        _check_erased(name, rows)
    text = _everything_as_text()
    for needle in (*SECRETS, EMAIL.lower(), LOGIN):
        assert needle.lower() not in text, needle
    # Counts and statistics stay; the bystander is untouched.
    assert db.session.scalar(select(func.count()).select_from(Signature)) == signatures
    assert db.session.get(Delivery, ids["bulk_delivery_id"]).status == "sent"
    bo = db.session.get(Person, other["person_id"])
    assert (bo.email, bo.organisation_id) == ("bo.bystander@example.org", ids["org_id"])
    assert db.session.get(Signature, other["signature_id"]).email == "bo.bystander@example.org"
    assert db.session.get(Delivery, other["delivery_id"]).to_email == "bo.bystander@example.org"
    assert result.anonymised["user_account"] == 1 and result.deleted["consent"] == 1
    person = _person(ids)
    assert (person.full_name, person.email, person.organisation_id) == ("Erased", None, None)
    # The login's organisation edit keeps its summary; only who did it is gone.
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.summary == "Updated Harbour Lights Records")
    )
    assert event.actor == "Erased"


def test_export_after_erasure_shows_nothing_personal():
    ids = rich_person()
    db.session.commit()
    erasure.erase_person(_person(ids))
    db.session.commit()
    document = export.collect(lookup.subject_for_person(_person(ids)))
    text = json.dumps(document).lower()
    for needle in (*SECRETS, EMAIL.lower(), LOGIN):
        assert needle.lower() not in text, needle
    assert document["email_addresses"] == []
    assert document["data"]["person"]["rows"][0]["first_name"] == "Erased"
    assert len(document["data"]["signature"]["rows"]) == 1  # still counted, and still theirs


def test_erasure_audit_entry_holds_only_the_id_the_hashes_and_counts():
    ids = rich_person()
    db.session.commit()
    erasure.erase_person(_person(ids))
    db.session.commit()
    event = erasure.erasure_event(ids["person_id"])
    assert event.summary == "Personal data erased"
    assert set(event.after["email_hashes"]) == {
        consent.email_hash(EMAIL),
        consent.email_hash(LOGIN),
    }
    assert "quillfeather" not in json.dumps(event.after).lower()


def test_the_address_is_kept_only_as_a_hash_and_never_reached_again():
    from crm.mailings.audience_models import Audience
    from crm.mailings.audiences import recipients

    ids = rich_person()
    db.session.commit()
    erasure.erase_person(_person(ids))
    db.session.commit()
    entries = db.session.scalars(select(Suppression)).all()
    assert {e.email_hash for e in entries} == {consent.email_hash(EMAIL), consent.email_hash(LOGIN)}
    assert {(e.email_key, e.reason) for e in entries} == {(None, "erased")}
    assert consent.is_suppressed(EMAIL) and consent.is_suppressed(LOGIN)
    # Someone adds the address again later: audiences still leave it out.
    member = factories.organisation("Still A Member Records")
    factories.membership(member)  # member communications reach current members' people
    again = factories.person(member, email=EMAIL, first_name="Ada", last_name="Again")
    other = factories.person(member, email="reachable@example.org")
    everyone = Audience(name="Everyone", kind="segment", filters={})
    db.session.add(everyone)
    db.session.commit()
    reached = {
        row.person_id for row in db.session.execute(recipients(everyone, "member_communications"))
    }
    assert other.id in reached and again.id not in reached


def test_mail_still_queued_to_the_person_is_cancelled():
    ids = rich_person()
    queued = delivery(EMAIL.upper(), subject="Your password reset")
    db.session.commit()
    erasure.erase_person(_person(ids))
    db.session.commit()
    for delivery_id in (queued.id, ids["confirm_delivery_id"]):
        item = db.session.get(Delivery, delivery_id)
        assert (item.status, item.to_email, item.text_body) == ("cancelled", "", None)


def test_search_no_longer_finds_the_person_by_their_address():
    ids = rich_person()
    db.session.commit()
    tokens = set(db.session.scalars(select(SearchToken.token)))
    assert any("quillfeather" in t for t in tokens)
    erasure.erase_person(_person(ids))
    db.session.commit()
    tokens = set(db.session.scalars(select(SearchToken.token)))
    assert not any("quillfeather" in t for t in tokens)
    assert any("harbour" in t for t in tokens)


def test_an_erased_person_cannot_be_erased_twice():
    ids = rich_person()
    db.session.commit()
    erasure.erase_person(_person(ids))
    db.session.commit()
    with pytest.raises(erasure.ErasureError, match="already been erased"):
        erasure.erase_person(_person(ids))


def test_erasure_is_one_transaction(monkeypatch):
    ids = rich_person()
    db.session.commit()

    def broken(email):
        raise RuntimeError("disk full")

    monkeypatch.setattr(consent, "suppress_hash_only", broken)
    with pytest.raises(RuntimeError):
        erasure.erase_person(_person(ids))
    db.session.rollback()
    person = _person(ids)
    assert person.last_name == "Quillfeather"
    assert db.session.get(Signature, ids["matched_signature_id"]).comment == "Proud to sign"
    assert erasure.erasure_event(ids["person_id"]) is None


def test_a_bare_address_of_a_public_signer_is_erased_too():
    from tests.test_declarations_staff import make_declaration, make_signature

    signature = make_signature(make_declaration("lone"), "Lone@Example.net", comment="Yes!")
    db.session.commit()
    subject = lookup.subject_for_email("lone@example.net")
    assert subject.person is None
    erasure.erase_subject(subject)
    db.session.commit()
    signature = db.session.get(Signature, signature.id)
    assert (signature.email, signature.comment, signature.first_name) == ("", None, "")
    assert signature.email_key == "erased:" + consent.email_hash("lone@example.net")
    assert consent.is_suppressed("lone@example.net")
    with pytest.raises(erasure.ErasureError, match="already been erased"):
        erasure.erase_subject(lookup.subject_for_email("lone@example.net"))
    with pytest.raises(erasure.ErasureError, match="holds nothing"):
        erasure.erase_subject(lookup.subject_for_email("never.seen@example.net"))
