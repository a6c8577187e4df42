"""What the signing POST keeps between requests to stay cheap, and why it stays right: the
process's copy of the declaration (re-read for a newer text, dropped on an edit), the block of
signature ids it reserves (a restored, rewound sequence costs a retry, never a clash), and the
pooled connections it does not ping while they are in steady use."""

import os
import time
from datetime import date, timedelta

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

import crm.db
from crm.declarations import services, tokens
from crm.declarations.models import DeclarationText, DeclarationVersion, Signature
from crm.extensions import db
from crm.mailings.models import Delivery
from tests.test_declarations_public import CHECK_INBOX, form, make_open_declaration
from tests.test_declarations_staff import make_signature

PAGE = "/declarations/fair-digital-deals"
postgresql_only = pytest.mark.skipif(
    not os.environ.get("CRM_TEST_DATABASE_URL"), reason="needs PostgreSQL (CRM_TEST_DATABASE_URL)"
)


def _post(client, email: str, stamp: str | None = None):
    data = form(email) if stamp is None else form(email, stamp=stamp)
    return client.post(PAGE, data=data)


def _version_of(email: str) -> int | None:
    db.session.expire_all()
    return db.session.scalar(select(Signature.version_id).where(Signature.email == email))


def test_a_newer_text_than_the_kept_copy_is_read_afresh(make_app):
    """Another process made a new version (this one was not told): a form showing the new text
    is checked against it, and a form showing the old text is sent back to be read again."""
    app = make_app(SIGNING_TARGET_CACHE_SECONDS=600)
    client = app.test_client()
    with app.app_context():
        declaration = make_open_declaration()
        first = declaration.versions[0]
        assert _post(client, "first@example.org").status_code == 303  # the copy is kept now
        newer = _add_version_elsewhere(declaration.id)

        new_stamp = tokens.form_stamp(declaration.id, newer.id)
        assert _post(client, "reader-of-v2@example.org", new_stamp).status_code == 303
        assert _version_of("reader-of-v2@example.org") == newer.id

        old_stamp = tokens.form_stamp(declaration.id, first.id)
        page = _post(client, "reader-of-v1@example.org", old_stamp)
        assert page.status_code == 200
        assert "The text was updated" in page.get_data(as_text=True)
        assert _version_of("reader-of-v1@example.org") is None


def test_an_edit_through_the_services_drops_the_kept_copy_at_once(make_app):
    app = make_app(SIGNING_TARGET_CACHE_SECONDS=600)
    client = app.test_client()
    with app.app_context():
        declaration = make_open_declaration()
        assert _post(client, "before@example.org").status_code == 303
        services.update_declaration(declaration, {"close_on": date.today() - timedelta(days=1)})
        db.session.commit()
        page = _post(client, "after@example.org")
        assert page.status_code == 200
        assert "This declaration is closed" in page.get_data(as_text=True)
        assert CHECK_INBOX not in page.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


def test_a_copy_older_than_its_lifetime_is_read_again(make_app):
    app = make_app(SIGNING_TARGET_CACHE_SECONDS=0.2)
    client = app.test_client()
    with app.app_context():
        declaration = make_open_declaration()
        assert _post(client, "before@example.org").status_code == 303
        _set_close_on(declaration.id, date.today() - timedelta(days=1))
        time.sleep(0.3)
        assert "This declaration is closed" in _post(client, "after@example.org").get_data(
            as_text=True
        )


@postgresql_only
def test_ids_reserved_before_the_sequence_was_rewound_are_not_reused(make_app):
    """A restore puts the id sequence back; rows written since may hold ids this process had
    reserved. Its insert then meets an id taken: it reserves a fresh block and goes on."""
    app = make_app(SIGNATURE_ID_BLOCK=5)
    client = app.test_client()
    with app.app_context():
        declaration = make_open_declaration()
        assert _post(client, "first@example.org").status_code == 303  # id 1; 2 to 5 held
        db.session.execute(text("SELECT setval('signature_id_seq', 1)"))
        make_signature(declaration, "restored-2@example.org")  # takes id 2, then 3
        make_signature(declaration, "restored-3@example.org")
        db.session.commit()
        assert _post(client, "second@example.org").status_code == 303
        db.session.expire_all()
        ids = dict(db.session.execute(select(Signature.email, Signature.id)).all())
        assert ids["first@example.org"] == 1
        assert {ids["restored-2@example.org"], ids["restored-3@example.org"]} == {2, 3}
        assert ids["second@example.org"] not in (1, 2, 3)
        mail = db.session.scalars(
            select(Delivery.text_body).where(Delivery.to_email == "second@example.org")
        ).one()
        # Its confirmation link names the id it was written under.
        token = mail.split(f"{PAGE}/confirm/")[1].split()[0]
        assert tokens.read_confirm_token(token)[1] == ids["second@example.org"]


@postgresql_only
def test_a_connection_in_steady_use_is_not_pinged_and_an_idle_one_is(make_app, monkeypatch):
    app = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=5)
    with app.app_context():
        engine = db.engine
    now = [1000.0]
    monkeypatch.setattr(crm.db, "_clock", lambda: now[0])
    pings = []
    dialect_class = type(engine.dialect)
    real_ping = dialect_class.do_ping
    monkeypatch.setattr(
        dialect_class, "do_ping", lambda self, conn: pings.append(1) or real_ping(self, conn)
    )
    engine.dispose()
    for _ in range(5):  # a new connection (just opened), then the same one in steady use
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        now[0] += 1
    assert pings == []
    now[0] += 5
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert pings == [1]
    engine.dispose()


@postgresql_only
def test_an_outage_at_the_write_answers_503(make_app, monkeypatch):
    """With the declaration kept and ids reserved, the write may be the request's first
    contact with the database: a pool that cannot reconnect there is an outage (503)."""
    app = make_app(SIGNING_TARGET_CACHE_SECONDS=600, SIGNATURE_ID_BLOCK=50)
    client = app.test_client()
    with app.app_context():
        make_open_declaration()
    assert _post(client, "first@example.org").status_code == 303

    def unreachable(self):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(Engine, "raw_connection", unreachable)
    response = _post(client, "second@example.org")
    assert response.status_code == 503
    assert b"The database cannot be reached" in response.data
    monkeypatch.undo()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


def test_a_kept_copy_saying_closed_is_checked_before_refusing(make_app):
    app = make_app(SIGNING_TARGET_CACHE_SECONDS=600)
    client = app.test_client()
    with app.app_context():
        declaration = make_open_declaration(close_on=date.today() - timedelta(days=1))
        assert "This declaration is closed" in _post(client, "early@example.org").get_data(
            as_text=True
        )
        _set_close_on(declaration.id, None)  # reopened by another process
        assert _post(client, "reopened@example.org").status_code == 303
        assert _version_of("reopened@example.org") is not None


def test_a_copy_reread_for_a_newer_text_is_checked_for_being_open(make_app):
    app = make_app(SIGNING_TARGET_CACHE_SECONDS=600)
    client = app.test_client()
    with app.app_context():
        declaration = make_open_declaration()
        assert _post(client, "first@example.org").status_code == 303
        newer = _add_version_elsewhere(declaration.id)
        _set_close_on(declaration.id, date.today() - timedelta(days=1))  # then closed
        stamp = tokens.form_stamp(declaration.id, newer.id)
        page = _post(client, "late@example.org", stamp)
        assert "This declaration is closed" in page.get_data(as_text=True)
        assert _version_of("late@example.org") is None


def _set_close_on(declaration_id: int, day) -> None:
    """Change the declaration as another process would: nothing tells this one."""
    db.session.execute(
        text("UPDATE declaration SET close_on = :day WHERE id = :id"),
        {"day": day, "id": declaration_id},
    )
    db.session.commit()


def _add_version_elsewhere(declaration_id: int) -> DeclarationVersion:
    """A second version with an English text, added as another process would: nothing drops
    this one's kept copy."""
    newer = DeclarationVersion(declaration_id=declaration_id, number=2)
    newer.texts.append(DeclarationText(language="en", title="Fair deals, v2", body="More."))
    db.session.add(newer)
    db.session.commit()
    return newer
