"""Fixtures: one migrated database per run (PostgreSQL when CRM_TEST_DATABASE_URL is set,
else a SQLite file), emptied after every test; apps, clients, logins and a loopback SMTP server."""

import os
import smtplib
import socket
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from config import TestingConfig, database_url
from crm import create_app
from crm.audit.services import set_system_actor
from crm.extensions import db, limiter
from tests import factories

PASSWORD = factories.PASSWORD


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    url = os.environ.get("CRM_TEST_DATABASE_URL")
    if url:
        return database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in production: its own `g` (where
    Flask-Login caches the user) and its own database session. Without this, requests would
    share the test's app context, and one client's user would leak into another's request."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def make_app(database_uri, tmp_path_factory):
    """Build an app on the test database, with config overrides for tests that need them."""
    instance = tmp_path_factory.mktemp("instance")

    def build(**overrides):
        attrs = {
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "INSTANCE_DIR": str(instance),
            **overrides,
        }
        config = type("Config", (TestingConfig,), attrs)
        app = create_app(config)
        app.test_client_class = IsolatedClient
        return app

    return build


@pytest.fixture
def make_limited_app(make_app):
    """An app with rate limiting on. The Limiter instance is shared by every app in the process,
    so switch it off again afterwards or it would throttle the rest of the suite."""
    yield lambda **overrides: make_app(RATELIMIT_ENABLED=True, **overrides)
    limiter.enabled = False
    limiter.reset()


@pytest.fixture(scope="session")
def app(make_app, database_uri):
    app = make_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    return app


def _empty_tables():
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        # Organisations point at their association: check foreign keys only at commit.
        db.session.execute(text("PRAGMA defer_foreign_keys = ON"))
        for name in reversed(tables):
            db.session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (our table names)
    db.session.commit()


@pytest.fixture(autouse=True)
def app_context(app):
    """Every test runs in an app context and leaves the database empty behind it."""
    set_system_actor("system")  # a CLI command run by an earlier test must not leak its name
    with app.app_context():
        yield
        db.session.rollback()
        _empty_tables()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """Sign a client in as a user; returns the client."""

    def sign_in(user, as_client=None):
        target = as_client or client
        response = target.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, "login failed"
        return target

    return sign_in


@pytest.fixture
def login_as(login):
    """Create a user of the role (scoped to a fresh organisation where needed) and sign in."""

    def sign_in(role, organisation=None):
        user = factories.user(role, organisation=organisation)
        db.session.commit()
        login(user)
        return user

    return sign_in


# --- mail ------------------------------------------------------------------------------------


class _Recorder:
    def __init__(self):
        self.messages = []
        self.reply = None  # e.g. "451 try later" to refuse the next messages

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.reply:
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback; the app mails it for this test only."""
    recorder = _Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    old_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = port
    app.extensions["mail"].port = port
    smtplib.SMTP._crm_allowed = True
    try:
        yield recorder
    finally:
        smtplib.SMTP._crm_allowed = False
        app.config["MAIL_PORT"] = old_port
        app.extensions["mail"].port = old_port
        controller.stop()


@pytest.fixture(autouse=True)
def no_unrequested_smtp(monkeypatch):
    """Fail any test that opens an SMTP connection without asking for the smtp_server fixture."""
    real_connect = smtplib.SMTP.connect

    def guarded(self, *args, **kwargs):
        if not getattr(smtplib.SMTP, "_crm_allowed", False):
            pytest.fail("this test opened an SMTP connection without the smtp_server fixture")
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)
