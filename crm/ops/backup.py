"""Backups and restores of the app's database, with a manifest to check them against.

SQLite: the online backup API copies a consistent snapshot while the app keeps writing.
PostgreSQL: pg_dump in the custom format, started on a snapshot exported from a repeatable-read
transaction in which the manifest is computed too, so dump and manifest show the same moment.
The password reaches pg_dump and pg_restore through PGPASSWORD, never their command line.
Backups and manifests are created readable by their owner only: they hold everyone's data.
"""

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 (fixed argument lists, no shell)
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import URL, Engine

from crm.extensions import db
from crm.ops import manifest
from crm.ops.after_restore import HeldMail, hold_mail_after_restore


class BackupError(RuntimeError):
    """A backup or restore that failed or was refused, with a message for the operator."""


def backend(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {name} databases are not supported")
    return name


def safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def tables_with_rows(engine: Engine) -> list[str]:
    """The app's tables that hold at least one row (an empty database has none)."""
    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        return [
            t.name
            for t in db.metadata.sorted_tables
            if t.name in existing and conn.scalar(select(func.count()).select_from(t)) > 0
        ]


# --- SQLite -----------------------------------------------------------------------------------


def sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the SQLite database must be a file given by its path")
    return Path(database)


def _raw(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(path)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 (replacing any file there), before anything is
    written into it: a file made first and restricted later is readable in between."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def _sqlite_backup(engine: Engine, target: Path) -> dict:
    partial = private_file(target.with_name(target.name + ".partial"))
    # Read-write only so that SQLite may open the live file's WAL index; nothing is written.
    # SQLite opens the empty file as a new database and keeps its mode (and gives its journal
    # the same one).
    source, copy = _raw(sqlite_file(engine)), _raw(partial)
    try:
        # One step (pages=-1): the whole database as of one moment; writers carry on meanwhile.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        copy.close()
        source.close()
    partial.replace(target)
    reader = manifest.sqlite_reader(target)
    try:
        with reader.connect() as conn:
            return manifest.describe(conn)
    finally:
        reader.dispose()


def _sqlite_restore(engine: Engine, backup: Path) -> None:
    target = sqlite_file(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
    db.session.remove()
    engine.dispose()
    source, destination = _raw(backup, read_only=True), _raw(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def pg_arguments(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore, and their environment (PGPASSWORD)."""
    args = ["--no-password"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    # Without a password in the URL, one the operator gave in PGPASSWORD (or ~/.pgpass) stays.
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    if "sslmode" in url.query:
        env["PGSSLMODE"] = str(url.query["sslmode"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client)")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _pg_backup(engine: Engine, target: Path) -> dict:
    args, env = pg_arguments(engine.url)
    partial = private_file(target.with_name(target.name + ".partial"))  # pg_dump keeps the mode
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            command = ["pg_dump", "--format=custom", f"--file={partial}"]
            command += [f"--snapshot={snapshot}", *args, f"--dbname={engine.url.database}"]
            _run(command, env)
            content = manifest.describe(conn)
    partial.replace(target)
    return content


def _pg_restore(engine: Engine, backup: Path, has_schema: bool) -> None:
    args, env = pg_arguments(engine.url)
    db.session.remove()
    engine.dispose()  # our own idle connections would hold locks that --clean waits for
    command = ["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error", *args]
    if has_schema:
        command += ["--clean", "--if-exists"]
    _run([*command, f"--dbname={engine.url.database}", str(backup)], env)


@contextmanager
def scratch_database(engine: Engine):
    """A new, empty PostgreSQL database beside the app's, dropped afterwards."""
    name = f"{engine.url.database}_verify_{uuid.uuid4().hex[:10]}"
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        scratch = create_engine(engine.url.set(database=name))
        try:
            yield scratch
        finally:
            scratch.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- the three operations ---------------------------------------------------------------------


def _refuse_live_files(engine: Engine, target: Path) -> None:
    """A backup written over the live SQLite database or its WAL, shared-memory or journal
    file would destroy it."""
    live = sqlite_file(engine).resolve()
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = live.with_name(live.name + suffix)
        if path == target or (path.exists() and target.exists() and path.samefile(target)):
            which = f" ({suffix[1:]} file)" if suffix else ""
            raise BackupError(
                f"{target} is the live database{which}; give the backup a path of its own"
            )


def create(target: Path) -> dict:
    """Back the app's database up into `target` and write the manifest beside it."""
    engine = db.engine
    kind = backend(engine)
    target = target.resolve()
    if target.exists() and target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    if kind == "sqlite":
        _refuse_live_files(engine, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    content = _sqlite_backup(engine, target) if kind == "sqlite" else _pg_backup(engine, target)
    return manifest.write(target, kind, content)


def restore(backup: Path, force: bool = False) -> tuple[list[str], HeldMail]:
    """Restore `backup` into the app's database, which must be empty unless `force`; returns
    the differences against the manifest (empty when the restore is exact) and the mail held
    back afterwards (see after_restore), which is committed."""
    engine = db.engine
    kind = backend(engine)
    expected = manifest.read(backup)
    if expected["backend"] != kind:
        raise BackupError(f"this is a {expected['backend']} backup; the database is {kind}")
    if manifest.file_sha256(backup) != expected["backup_sha256"]:
        raise BackupError("the backup file does not match its manifest's checksum")
    filled = tables_with_rows(engine)
    if filled and not force:
        raise BackupError(
            f"the database {safe_url(engine)} is not empty ({len(filled)} tables hold rows, "
            f"e.g. {', '.join(filled[:3])}); restore into an empty database, or add --force "
            "to replace its content"
        )
    if kind == "sqlite":
        _sqlite_restore(engine, backup)
    else:
        with engine.connect() as conn:
            has_schema = bool(inspect(conn).get_table_names())
        _pg_restore(engine, backup, has_schema)
    with engine.connect() as conn:
        problems = manifest.differences(expected, manifest.describe(conn))
    # Compared first: the manifest describes the backup as it was taken.
    held = hold_mail_after_restore()
    db.session.commit()
    return problems, held


def verify(backup: Path) -> list[str]:
    """Check a backup against its manifest: the file's checksum, then its content (PostgreSQL:
    restored into a scratch database that is dropped afterwards)."""
    expected = manifest.read(backup)
    if manifest.file_sha256(backup) != expected["backup_sha256"]:
        return ["the backup file does not match its manifest's checksum"]
    if expected["backend"] == "sqlite":
        reader = manifest.sqlite_reader(backup)
        try:
            with reader.connect() as conn:
                return manifest.differences(expected, manifest.describe(conn))
        finally:
            reader.dispose()
    engine = db.engine
    if backend(engine) != "postgresql":
        raise BackupError("verifying a PostgreSQL backup needs the app on PostgreSQL")
    with scratch_database(engine) as scratch:
        _pg_restore(scratch, backup, has_schema=False)
        with scratch.connect() as conn:
            return manifest.differences(expected, manifest.describe(conn))
