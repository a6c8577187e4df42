"""Who an audit entry names: the signed-in user, however Flask-Login knows them (the session or
only the remember-me cookie), else the system. A public form asks cheaply for an anonymous
visitor; these hold it to the same answers as asking Flask-Login."""

from flask_login import LoginManager
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from tests import factories
from tests.conftest import PASSWORD
from tests.test_declarations_public import form, make_open_declaration

PAGE = "/declarations/fair-digital-deals"


def _signature_audit() -> AuditEvent:
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "signature")
        .order_by(AuditEvent.id.desc())
    ).first()


def test_an_anonymous_visitor_is_recorded_as_the_system(client):
    make_open_declaration()
    assert client.post(PAGE, data=form()).status_code == 303
    audit = _signature_audit()
    assert (audit.actor_id, audit.actor) == (None, "system")


def test_a_signed_in_user_is_recorded_by_name(client, login):
    make_open_declaration()
    user = factories.user("officer")
    db.session.commit()
    login(user)
    assert client.post(PAGE, data=form()).status_code == 303
    audit = _signature_audit()
    assert (audit.actor_id, audit.actor) == (user.id, user.email)


def test_a_user_known_only_by_the_remember_cookie_is_recorded_by_name(client):
    make_open_declaration()
    user = factories.user("officer")
    db.session.commit()
    answer = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert answer.status_code == 302
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")  # the browser was closed: only "remember me" is left
    assert client.post(PAGE, data=form()).status_code == 303
    audit = _signature_audit()
    assert (audit.actor_id, audit.actor) == (user.id, user.email)


def test_an_anonymous_signature_does_not_ask_flask_login(client, monkeypatch):
    """The shortcut is taken: an anonymous visitor's signature never loads a user."""
    make_open_declaration()

    def refuse(self):
        raise AssertionError("Flask-Login was asked for the user of an anonymous request")

    monkeypatch.setattr(LoginManager, "_load_user", refuse)
    assert client.post(PAGE, data=form()).status_code == 303
    assert _signature_audit().actor == "system"


def test_a_session_taken_to_another_browser_is_not_the_user(client, login):
    """Strong session protection still applies: the same session cookie from another browser
    is anonymous, so the signature is the system's, not the user's."""
    make_open_declaration()
    user = factories.user("officer")
    db.session.commit()
    login(user)
    answer = client.post(PAGE, data=form(), headers={"User-Agent": "Another browser/1.0"})
    assert answer.status_code == 303
    audit = _signature_audit()
    assert (audit.actor_id, audit.actor) == (None, "system")
