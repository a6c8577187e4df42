"""The signing POST's fast path: a quick check standing in for SignForm (never accepting what
SignForm refuses, and giving the same data), and audit and outbox rows written with Core that
equal those record() and queue_email() write."""

import random

import pytest
from sqlalchemy import select, text

from crm.audit.models import AuditEvent
from crm.audit.services import record
from crm.declarations import public_views
from crm.declarations.public_loading import signing_target
from crm.declarations.services import text_for
from crm.extensions import db
from crm.mailings.models import Delivery
from crm.mailings.outbox import make_message_id, queue_email
from tests.test_declarations_public import form, make_open_declaration

PAGE = "/declarations/fair-digital-deals"
ODD_VALUES = (
    "",
    " ",
    "  Ana ",
    "x" * 100,
    "x" * 101,
    " " + "x" * 100 + " ",
    "ana@example.org",
    " ana@example.org ",
    "ana@@example.org",
    "ana@example",
    "ana..b@example.org",
    "a" * 250 + "@example.org",
    "ü@example.org",
    "individual",
    "organisation",
    "both",
    "FR",
    "fr",
    "XX",
    "y",
    "false",
    "0",
    "x" * 201,
    "Ana\nSigner",
    "Ana\tSigner",
    "Ana\u2028Signer",
    "Ana\x85Signer",
    " Ana\r\n",
)
FIELDS = (
    "first_name",
    "last_name",
    "email",
    "signing_as",
    "organisation",
    "country",
    "list_publicly",
    "consent_updates",
    "website",
    "job_title",
)


def _both_ways(app, declaration, data):
    """(quick data or None, SignForm data or None) for one posted form."""
    with app.test_request_context(PAGE, method="POST", data=data):
        _declaration, version = signing_target(declaration.slug)
        text = text_for(version, "en")
        quick = public_views._quick_data(_declaration, text)
        form_ = public_views._form(_declaration, text, "en")
        full = form_.data if public_views._valid(form_, _declaration, "en") else None
    return quick, full


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"signer_kinds": "organisation", "asked_fields": ["country", "job_title"]},
        {"signer_kinds": "individual", "list_publicly": False, "ask_consent": False},
    ],
)
def test_the_quick_check_never_accepts_what_the_form_refuses(app, settings):
    declaration = make_open_declaration(**settings)
    rng = random.Random(20261121)
    quick_accepted = 0
    for _ in range(300):
        data = form()
        for name in rng.sample(FIELDS, rng.randint(1, 3)):
            if rng.random() < 0.15:
                data.pop(name, None)
            else:
                data[name] = rng.choice(ODD_VALUES)
        quick, full = _both_ways(app, declaration, data)
        if quick is not None:
            quick_accepted += 1
            assert full is not None, data
            # Everything sign() reads is the same.
            for name, value in quick.items():
                assert full[name] == value, (name, data)
    assert quick_accepted > 20  # the fast path is taken for ordinary forms


def test_an_ordinary_form_takes_the_quick_path_and_an_odd_one_the_form(app):
    declaration = make_open_declaration()
    quick, full = _both_ways(app, declaration, form())
    assert quick is not None and full is not None
    quick, full = _both_ways(app, declaration, form(country="XX"))
    assert quick is None and full is None  # SignForm refuses it, with its error shown
    quick, full = _both_ways(app, declaration, form(signing_as="organisation", organisation=" "))
    assert quick is None and full is None


def _columns(row, skip=("id", "created_at", "next_attempt_at")):
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in skip
    }


def test_the_signature_writes_the_audit_and_outbox_rows_the_services_would(app, client):
    make_open_declaration()
    assert client.post(PAGE, data=form()).status_code == 303
    db.session.expire_all()
    audit = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    mail = db.session.scalars(select(Delivery)).one()
    with app.test_request_context():
        expected_audit = record("create", "signature", audit.entity_id, audit.summary)
        expected_mail = queue_email(
            mail.to_email,
            mail.subject,
            mail.text_body,
            kind="signature-confirm",
            key="another message",  # the Message-ID is unique: compared below
        )
        db.session.flush()
        assert _columns(audit) == _columns(expected_audit)
        expected = _columns(
            expected_mail, skip=("id", "created_at", "next_attempt_at", "message_id")
        )
        assert (
            _columns(mail, skip=("id", "created_at", "next_attempt_at", "message_id")) == expected
        )
        assert mail.message_id == make_message_id(f"signature-confirm:{audit.entity_id}:1")
        # Stored alike too: JSON null where the services write JSON null (the ORM reads both
        # it and SQL NULL as None).
        stored = text(
            "SELECT CAST(before AS TEXT), CAST(after AS TEXT) FROM audit_event WHERE id = :id"
        )
        assert db.session.execute(stored, {"id": audit.id}).one() == tuple(
            db.session.execute(stored, {"id": expected_audit.id}).one()
        )
        headers = text("SELECT CAST(headers AS TEXT) FROM delivery WHERE id = :id")
        assert db.session.scalar(headers, {"id": mail.id}) == db.session.scalar(
            headers, {"id": expected_mail.id}
        )
        db.session.rollback()
    assert audit.summary == "Unconfirmed signature on fair-digital-deals (individual)"
    assert audit.actor == "system" and audit.actor_id is None
    assert mail.created_at == mail.next_attempt_at
