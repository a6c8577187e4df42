"""`crm backup`, `crm backup verify` and `crm restore`: a database with rows in every table is
backed up, restored into an empty database, and found equal table by table."""

import json
import sqlite3
import stat
import threading
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.mailings.models import Delivery, Mailing, MailingStatus
from crm.ops import backup, manifest
from crm.ops.after_restore import hold_mail_after_restore
from tests.test_privacy_support import days_ago, delivery, fill_all_domains, mailing


def _sqlite_app(make_app, path, migrate=True):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    if migrate:
        with app.app_context():
            upgrade()
    return app


def _cli(app, *args, input=None):
    with app.app_context():  # the CLI runs in the app context it finds
        return app.test_cli_runner().invoke(args=["crm", *args], input=input)


def _describe(app) -> dict:
    with app.app_context(), db.engine.connect() as conn:
        return manifest.describe(conn)


@pytest.fixture
def filled(make_app, tmp_path):
    """A migrated SQLite database with realistic rows in every table."""
    app = _sqlite_app(make_app, tmp_path / "live.sqlite3")
    with app.app_context():
        fill_all_domains()
        db.session.commit()
    return app


def test_sqlite_backup_restores_into_an_empty_database_table_for_table(filled, make_app, tmp_path):
    target = tmp_path / "backups" / "crm.backup"
    result = _cli(filled, "backup", str(target))
    assert result.exit_code == 0, result.output
    written = json.loads(manifest.manifest_path(target).read_text())
    tables = written["tables"]
    assert set(tables) == set(db.metadata.tables)
    assert [name for name, t in tables.items() if t["rows"] == 0] == []  # every domain is in
    assert written["backend"] == "sqlite" and written["alembic_revision"]
    assert _cli(filled, "backup", "verify", str(target)).exit_code == 0

    empty = _sqlite_app(make_app, tmp_path / "restored.sqlite3", migrate=False)
    result = _cli(empty, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert "every table matches its manifest" in result.output
    restored = _describe(empty)
    assert restored["tables"] == tables == _describe(filled)["tables"]
    assert restored["alembic_revision"] == written["alembic_revision"]


def test_restore_refuses_a_database_that_holds_rows_unless_forced(filled, make_app, tmp_path):
    target = tmp_path / "crm.backup"
    assert _cli(filled, "backup", str(target)).exit_code == 0
    other = _sqlite_app(make_app, tmp_path / "other.sqlite3")
    with other.app_context():
        from tests import factories

        factories.organisation("Already Here Records")
        db.session.commit()
    result = _cli(other, "restore", str(target), "--yes")
    assert result.exit_code != 0
    assert "is not empty" in result.output and "--force" in result.output
    assert _describe(other)["tables"]["organisation"]["rows"] == 1
    result = _cli(other, "restore", str(target), "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert _describe(other)["tables"] == _describe(filled)["tables"]


def test_restore_asks_before_replacing(filled, make_app, tmp_path):
    target = tmp_path / "crm.backup"
    assert _cli(filled, "backup", str(target)).exit_code == 0
    empty = _sqlite_app(make_app, tmp_path / "empty.sqlite3")
    result = _cli(empty, "restore", str(target), input="n\n")
    assert result.exit_code != 0
    assert _describe(empty)["tables"]["organisation"]["rows"] == 0


def test_verify_finds_a_changed_backup_and_a_changed_manifest(filled, tmp_path):
    target = tmp_path / "crm.backup"
    assert _cli(filled, "backup", str(target)).exit_code == 0
    path = manifest.manifest_path(target)
    written = json.loads(path.read_text())
    written["tables"]["signature"]["rows"] += 1
    path.write_text(json.dumps(written))
    result = _cli(filled, "backup", "verify", str(target))
    assert result.exit_code != 0 and "signature: " in result.output
    with sqlite3.connect(target) as conn:
        conn.execute("DELETE FROM bounce_event")
    result = _cli(filled, "backup", "verify", str(target))
    assert result.exit_code != 0 and "does not match its manifest's checksum" in result.output


def test_sqlite_backup_is_consistent_while_the_app_writes(filled, tmp_path):
    """A writer adds 50 audit rows per transaction during the backups: each backup holds
    whole transactions only, and its manifest matches it."""
    with filled.app_context():
        live = backup.sqlite_file(db.engine)
    stop, started = threading.Event(), threading.Event()

    def write():
        conn = sqlite3.connect(live, timeout=10)
        while not stop.is_set():
            with conn:
                conn.executemany(
                    "INSERT INTO audit_event (created_at, actor, action, entity_type, summary) "
                    "VALUES ('2026-01-01 00:00:00', 'writer', 'pair', 'test', ?)",
                    [(f"row {i}",) for i in range(50)],
                )
            started.set()
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    assert started.wait(10)
    try:
        seen = []
        for n in range(4):
            target = tmp_path / f"during-{n}.backup"
            assert _cli(filled, "backup", str(target)).exit_code == 0
            with sqlite3.connect(target) as conn:
                count = conn.execute("SELECT count(*) FROM audit_event WHERE action='pair'")
                seen.append(count.fetchone()[0])
            assert backup.verify(target) == []
    finally:
        stop.set()
        writer.join()
    assert all(count > 0 and count % 50 == 0 for count in seen), seen
    assert seen == sorted(seen)


def test_the_password_never_reaches_the_command_line(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    url = make_url("postgresql+psycopg://crm:s3cret-pw@db.internal:5433/crm?sslmode=require")
    args, env = backup.pg_arguments(url)
    assert not any("s3cret" in arg for arg in args)
    assert env["PGPASSWORD"] == "s3cret-pw" and env["PGSSLMODE"] == "require"
    assert "--host=db.internal" in args and "--port=5433" in args and "--username=crm" in args


def test_a_url_without_password_keeps_pgpassword_from_the_environment(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    args, env = backup.pg_arguments(make_url("postgresql+psycopg://crm@db.internal/crm"))
    assert env["PGPASSWORD"] == "from-the-environment"
    assert not any("from-the-environment" in arg for arg in args)
    monkeypatch.delenv("PGPASSWORD")
    _, env = backup.pg_arguments(make_url("postgresql+psycopg://crm@db.internal/crm"))
    assert "PGPASSWORD" not in env


def test_backups_and_manifests_are_readable_by_their_owner_only(filled, tmp_path):
    target = tmp_path / "crm.backup"
    target.write_text("an older backup, world-readable")
    target.chmod(0o644)
    assert _cli(filled, "backup", str(target)).exit_code == 0
    for path in (target, manifest.manifest_path(target)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not target.with_name(target.name + ".partial").exists()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_a_backup_onto_the_live_database_is_refused(filled, tmp_path, suffix):
    live = tmp_path / "live.sqlite3"
    before = live.read_bytes()
    result = _cli(filled, "backup", str(live) + suffix)
    assert result.exit_code != 0
    assert "is the live database" in result.output
    assert live.read_bytes() == before
    # The same file by another name: a path through a symbolic link.
    (tmp_path / "alias").symlink_to(tmp_path)
    result = _cli(filled, "backup", str(tmp_path / "alias" / "live.sqlite3"))
    assert result.exit_code != 0 and "is the live database" in result.output


def _outbox_in_flight():
    """A mailing half sent (one sent, one claimed by a worker, one queued), a scheduled one, a
    finished one and a transactional mail claimed by a worker; returns their ids."""
    sending = mailing("Half sent", status="sending")
    delivery("a@x.org", mailing_=sending, status="sent", sent_at=days_ago(0))
    claimed = delivery("b@x.org", mailing_=sending, status="sending", claimed_by="w1")
    claimed.claimed_at = days_ago(0)
    delivery("c@x.org", mailing_=sending)
    scheduled = mailing("Next week", status="scheduled")
    delivery("d@x.org", mailing_=scheduled)
    done = mailing("Done", status="sent")
    delivery("e@x.org", mailing_=done, status="sent")
    reset = delivery("f@x.org", kind="password-reset", status="sending", claimed_by="w1")
    db.session.commit()
    return {"sending": sending.id, "scheduled": scheduled.id, "done": done.id, "reset": reset.id}


def test_after_a_restore_mailings_still_in_flight_are_paused():
    ids = _outbox_in_flight()
    held = hold_mail_after_restore()
    db.session.commit()
    assert (held.mailings, held.requeued) == (2, 2)
    for key in ("sending", "scheduled"):
        item = db.session.get(Mailing, ids[key])
        assert item.status == MailingStatus.PAUSED, key
        assert item.status_reason == "paused after a restore: check before resuming"
    assert db.session.get(Mailing, ids["done"]).status == MailingStatus.SENT
    statuses = db.session.scalars(select(Delivery.status).order_by(Delivery.id)).all()
    assert statuses == ["sent", "queued", "queued", "queued", "sent", "queued"]
    assert db.session.scalar(select(Delivery.claimed_by).where(Delivery.id == ids["reset"])) is None
    assert db.session.scalars(select(AuditEvent.action)).all().count("pause") == 2
    assert hold_mail_after_restore().mailings == 0  # already paused ones are not counted again


def test_the_restore_command_pauses_mail_and_says_so(make_app, tmp_path):
    live = _sqlite_app(make_app, tmp_path / "live.sqlite3")
    with live.app_context():
        _outbox_in_flight()
    target = tmp_path / "crm.backup"
    assert _cli(live, "backup", str(target)).exit_code == 0
    empty = _sqlite_app(make_app, tmp_path / "restored.sqlite3", migrate=False)
    result = _cli(empty, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert "every table matches its manifest" in result.output
    assert "paused 2 mailings" in result.output and "2 deliveries" in result.output
    with empty.app_context():
        assert db.session.get(Mailing, 1).status == MailingStatus.PAUSED


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def fresh_pg_database(database_uri):
    """A new database with a unique name on the test server, dropped afterwards."""
    if not database_uri.startswith("postgresql"):
        pytest.skip("PostgreSQL backup and restore: runs when CRM_TEST_DATABASE_URL is set")
    name = f"crm_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(database_uri).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_uri).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_backup_restores_into_a_fresh_database(
    app, make_app, fresh_pg_database, tmp_path
):
    fill_all_domains()
    db.session.commit()
    target = tmp_path / "crm.pgdump"
    result = _cli(app, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    written = json.loads(manifest.manifest_path(target).read_text())
    assert written["backend"] == "postgresql"
    assert [name for name, t in written["tables"].items() if t["rows"] == 0] == []
    result = _cli(app, "backup", "verify", str(target))
    assert result.exit_code == 0, result.output

    fresh = make_app(SQLALCHEMY_DATABASE_URI=fresh_pg_database)
    try:
        result = _cli(fresh, "restore", str(target), "--yes")
        assert result.exit_code == 0, result.output
        restored = _describe(fresh)
        assert restored["tables"] == written["tables"] == _describe(app)["tables"]
        assert restored["alembic_revision"] == written["alembic_revision"]
        result = _cli(fresh, "restore", str(target), "--yes")
        assert result.exit_code != 0 and "is not empty" in result.output
    finally:
        with fresh.app_context():
            db.engine.dispose()
