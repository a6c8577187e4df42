"""Consent per purpose and the suppression list: upserts with audit, idempotent suppression
with stronger reasons winning, lifting only unsubscribes, erasure by hash, queued bulk mail
cancelled on suppression, and consent from a confirmed declaration signature."""

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.declarations import signing, tokens
from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Consent, Suppression
from crm.mailings.models import Delivery, Mailing
from tests import factories
from tests.test_declarations_staff import make_declaration, make_signature


def _events(entity_type: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == entity_type).order_by(AuditEvent.id)
        )
    )


def test_email_hash_is_sha256_of_the_trimmed_lower_cased_address():
    expected = hashlib.sha256(b"ada@example.org").hexdigest()
    assert consent.email_hash("  Ada@Example.ORG ") == expected


def test_purposes_and_bases():
    assert set(consent.PURPOSES) == {
        "member_communications",
        "newsletter",
        "press_releases",
        "campaign_updates",
    }
    assert consent.PURPOSES["member_communications"][1] is False
    assert all(consent.PURPOSES[p][1] for p in ("newsletter", "press_releases", "campaign_updates"))
    assert consent.BASES == ("consent", "legitimate_interest", "contract")


def test_record_consent_inserts_then_updates_with_audit():
    person = factories.person(factories.organisation())
    first = datetime(2026, 1, 2, 10, tzinfo=UTC)
    row = consent.record_consent(
        person,
        "newsletter",
        True,
        basis="consent",
        source="form",
        wording_version="2026-01",
        wording="Yes, send me news",
        when=first,
    )
    assert (row.granted, row.granted_at, row.withdrawn_at) == (True, first, None)
    later = datetime(2026, 3, 1, 9, tzinfo=UTC)
    again = consent.record_consent(
        person, "newsletter", False, basis="consent", source="preferences", when=later
    )
    db.session.commit()
    assert again.id == row.id
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 1
    assert (again.granted, again.granted_at, again.withdrawn_at) == (False, first, later)
    assert again.source == "preferences" and again.wording is None
    created, updated = _events("consent")
    assert created.action == "create" and created.before is None
    assert created.after["wording_version"] == "2026-01"
    assert updated.action == "update"
    assert updated.before["granted"] is True and updated.after["granted"] is False
    assert updated.organisation_id == person.organisation_id


def test_record_consent_refuses_unknown_purpose_or_basis():
    person = factories.person()
    with pytest.raises(consent.ConsentError, match="purpose"):
        consent.record_consent(person, "marketing", True, basis="consent", source="x")
    with pytest.raises(consent.ConsentError, match="basis"):
        consent.record_consent(person, "newsletter", True, basis="whim", source="x")


def test_record_consent_survives_a_concurrent_first_answer(monkeypatch):
    """Another request inserted the row after our lookup: the savepoint catches the conflict
    and this answer becomes an update of that row."""
    person = factories.person()
    db.session.add(
        Consent(person_id=person.id, purpose="newsletter", granted=False, basis="consent")
    )
    db.session.flush()
    real = consent._consent_for
    calls = []

    def blind_first(person_id, purpose):
        calls.append(purpose)
        return None if len(calls) == 1 else real(person_id, purpose)

    monkeypatch.setattr(consent, "_consent_for", blind_first)
    row = consent.record_consent(
        person, "newsletter", True, basis="consent", source="x", wording_version="v1"
    )
    db.session.commit()
    assert len(calls) == 2 and row.granted
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 1


def test_suppress_is_idempotent_and_a_stronger_reason_wins():
    entry = consent.suppress(" Ada@Example.org", "unsubscribed", source="one-click")
    assert entry.email_key == "ada@example.org"
    assert entry.email_hash == consent.email_hash("ada@example.org")
    assert consent.suppress("ada@example.org", "unsubscribed", source="again").id == entry.id
    assert entry.source == "one-click"
    consent.suppress("ada@example.org", "complaint", source="fbl", mailing_id=None)
    assert entry.reason == "complaint"
    consent.suppress("ada@example.org", "hard_bounce", source="dsn")  # weaker: kept complaint
    db.session.commit()
    assert entry.reason == "complaint" and entry.source == "fbl"
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 1
    assert [e.action for e in _events("suppression")] == ["create", "update"]
    assert consent.is_suppressed("ADA@example.org")
    assert not consent.is_suppressed("bob@example.org")


def test_suppress_refuses_bad_input():
    with pytest.raises(consent.ConsentError):
        consent.suppress("not an address", "unsubscribed", source="x")
    with pytest.raises(consent.ConsentError):
        consent.suppress("a@example.org", "bored", source="x")
    with pytest.raises(consent.ConsentError):
        consent.suppress("a@example.org", "erased", source="x")  # erasure has its own door


def test_only_an_unsubscribe_can_be_lifted():
    consent.suppress("a@example.org", "unsubscribed", source="x")
    consent.suppress("b@example.org", "hard_bounce", source="x")
    assert consent.unsuppress("A@example.org") is True
    assert not consent.is_suppressed("a@example.org")
    assert consent.unsuppress("a@example.org") is False
    with pytest.raises(consent.ConsentError, match="only an unsubscribe"):
        consent.unsuppress("b@example.org")
    assert consent.is_suppressed("b@example.org")
    assert _events("suppression")[-1].action == "delete"


def test_erasure_keeps_only_the_hash_and_no_address_in_the_audit():
    consent.suppress("gone@example.org", "unsubscribed", source="x")
    entry = consent.suppress_hash_only("Gone@example.org")
    db.session.commit()
    assert (entry.reason, entry.email_key) == ("erased", None)
    assert consent.is_suppressed("gone@example.org")
    last = _events("suppression")[-1]
    assert "gone@" not in last.summary and last.after["email_key"] is None
    assert last.before["email_key"] is None
    # A later unsubscribe of the same address neither weakens it nor stores the address again.
    consent.suppress("gone@example.org", "unsubscribed", source="x")
    assert entry.email_key is None and entry.reason == "erased"
    with pytest.raises(consent.ConsentError):
        consent.unsuppress("gone@example.org")
    fresh = consent.suppress_hash_only("never.seen@example.org")
    assert fresh.email_key is None and fresh.source == "erasure"


def _delivery(mailing_id, key, status="queued", n=[0]):  # noqa: B006 (a counter on purpose)
    n[0] += 1
    delivery = Delivery(
        kind="bulk" if mailing_id else "password_reset",
        to_email=key,
        recipient_key=key,
        subject="s",
        mailing_id=mailing_id,
        message_id=f"<{n[0]}-{key}>",
        status=status,
    )
    db.session.add(delivery)
    return delivery


def _mailing():
    mailing = Mailing(
        purpose="newsletter",
        subject="News",
        from_name="IME",
        from_email="news@example.org",
        status="sending",
    )
    db.session.add(mailing)
    db.session.flush()
    return mailing


def test_suppressing_cancels_queued_bulk_deliveries_only():
    mailing = _mailing()
    queued = _delivery(mailing.id, "ada@example.org")
    sent = _delivery(_mailing().id, "ada@example.org", "sent")
    transactional = _delivery(None, "ada@example.org")
    other = _delivery(mailing.id, "bob@example.org")
    db.session.commit()
    consent.suppress("ADA@example.org", "unsubscribed", source="one-click")
    db.session.commit()
    db.session.expire_all()
    assert queued.status == "cancelled"
    assert (sent.status, transactional.status, other.status) == ("sent", "queued", "queued")
    assert consent.cancel_queued_bulk("bob@example.org") == 1


def _consenting_signature(person, consent_updates=True):
    declaration = make_declaration("fair-digital-deals", ask_consent=True)
    return make_signature(
        declaration,
        person.email,
        status="unconfirmed",
        consent_updates=consent_updates,
        consent_wording="Keep me informed about the campaign",
    )


def test_a_confirmed_signature_with_consent_records_campaign_updates():
    person = factories.person(factories.organisation(), "signer@example.org")
    signature = _consenting_signature(person)
    db.session.commit()
    signing.confirm(tokens.confirm_token(signature))
    db.session.commit()
    row = db.session.scalar(select(Consent).where(Consent.person_id == person.id))
    assert (row.purpose, row.granted, row.basis) == ("campaign_updates", True, "consent")
    assert row.source == "declaration:fair-digital-deals"
    assert row.wording == "Keep me informed about the campaign"
    assert row.granted_at == signature.confirmed_at


def test_a_signature_without_consent_or_without_a_match_records_nothing():
    person = factories.person(factories.organisation(), "quiet@example.org")
    signature = _consenting_signature(person, consent_updates=False)
    db.session.commit()
    signing.confirm(tokens.confirm_token(signature))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
