"""The database out of reach answers 503 "temporarily unavailable", never a 500: for visitors and
signed-in staff, when the connection fails at checkout or during the commit. A connection that
died in the pool (a PostgreSQL restart) is replaced unnoticed (crm.db.ping_when_idle)."""

import os

import psycopg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from crm.declarations.models import Signature
from crm.extensions import db
from tests import factories
from tests.conftest import PASSWORD
from tests.test_declarations_public import form, make_open_declaration

UNREACHABLE = {
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none",
    "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
}


def test_signed_in_staff_get_503_not_500_when_the_database_is_down(app, make_app):
    user = factories.user("officer")
    db.session.commit()
    source = app.test_client()
    assert (
        source.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    down = make_app(**UNREACHABLE).test_client()
    down.set_cookie("session", source.get_cookie("session").value)
    for path in ("/", "/organisations"):
        response = down.get(path)
        assert response.status_code == 503, path
        assert b"The database cannot be reached" in response.data
        assert response.headers["Retry-After"] == "30"


def test_public_signing_gets_503_when_the_database_is_down(make_app):
    client = make_app(**UNREACHABLE).test_client()
    response = client.post("/declarations/any-slug", data=form())
    assert response.status_code == 503
    assert b"The database cannot be reached" in response.data


def _lost_connection(*args, **kwargs):
    raise OperationalError("COMMIT", None, ConnectionError("server closed the connection"))


def _driver_lost_connection(*args, **kwargs):
    raise psycopg.OperationalError("server closed the connection unexpectedly")


def _signing_write_fails(monkeypatch, session_error, driver_error) -> None:
    """Make the signing POST's write fail where it happens: the session's commit (SQLite), or
    the one statement PostgreSQL is handed directly (declarations.signature_writes)."""
    monkeypatch.setattr(Session, "commit", session_error)
    monkeypatch.setattr(psycopg.Connection, "execute", driver_error)


def test_connection_lost_during_commit_is_503_and_nothing_is_kept(app, client, monkeypatch):
    make_open_declaration("commit-lost")
    _signing_write_fails(monkeypatch, _lost_connection, _driver_lost_connection)
    response = client.post("/declarations/commit-lost", data=form())
    assert response.status_code == 503
    assert b"The database cannot be reached" in response.data
    monkeypatch.undo()
    db.session.expire_all()
    if db.engine.dialect.name == "postgresql":
        # (On SQLite the signing savepoint's release already commits: see declarations.signing.)
        assert db.session.scalar(select(func.count()).select_from(Signature)) == 0


def test_a_database_bug_is_still_a_500_not_hidden_as_an_outage(app, make_app, monkeypatch):
    def duplicate(*args, **kwargs):
        raise IntegrityError("INSERT", None, ValueError("duplicate key"))

    def driver_duplicate(*args, **kwargs):
        raise psycopg.errors.UniqueViolation("duplicate key value violates a unique constraint")

    production_like = make_app(PROPAGATE_EXCEPTIONS=False)
    make_open_declaration("integrity")
    _signing_write_fails(monkeypatch, duplicate, driver_duplicate)
    response = production_like.test_client().post("/declarations/integrity", data=form())
    assert response.status_code == 500
    assert b"Something went wrong" in response.data


def test_connection_lost_while_closing_the_session_keeps_the_answer(client, monkeypatch):
    make_open_declaration("closing")
    real_close = Session.close
    calls = []

    def close_once_broken(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("ROLLBACK", None, ConnectionError("terminating connection"))
        return real_close(self, *args, **kwargs)

    monkeypatch.setattr(Session, "close", close_once_broken)
    # With the error escaping the teardown, this would raise (a bare 500 under gunicorn).
    response = client.get("/declarations/closing")
    assert response.status_code == 200 and calls


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("CRM_TEST_DATABASE_URL"), reason="needs PostgreSQL (CRM_TEST_DATABASE_URL)"
)
def test_connections_killed_by_a_restart_are_replaced_without_an_error(app, client):
    make_open_declaration("restarted")
    assert client.get("/declarations/restarted").status_code == 200  # a pooled connection
    db.session.commit()
    outside = create_engine(db.engine.url, poolclass=NullPool)  # not one of the pool's own
    with outside.connect() as admin:
        killed = admin.execute(
            text(
                # As in a restart, the backends are gone before anyone reconnects.
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    outside.dispose()
    assert killed >= 1
    db.session.remove()
    # Used a moment ago, yet found dead at checkout (their sockets have the server's goodbye
    # to read) and replaced by new ones.
    assert client.get("/declarations/restarted").status_code == 200
    assert client.post("/declarations/restarted", data=form()).status_code in (200, 303)


def test_health_check_answers_503_while_the_database_is_down(client, make_app):
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.json == {"status": "ok", "database": "ok", "rate_limit_storage": "off"}
    assert healthy.headers["Cache-Control"] == "no-store"
    down = make_app(**UNREACHABLE).test_client().get("/healthz")
    assert down.status_code == 503
    assert down.json["database"] == "unavailable" and down.json["status"] == "unavailable"
