"""A backup's manifest: per table its row count and a checksum of its rows in key order, the
Alembic revision, and the backup file's own checksum. Written beside the backup, compared after
a restore and by `crm backup verify`."""

import hashlib
import json
import os
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import Engine

from crm.db import utcnow
from crm.extensions import db

FORMAT = "indie-crm-backup-manifest/1"


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".manifest.json")


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def table_checksums(connection: Connection) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": ...}} for every table of the app's schema, read through
    the ORM's column types so that the same data gives the same sums on any connection."""
    existing = set(inspect(connection).get_table_names())
    result = {}
    for table in sorted(db.metadata.tables.values(), key=lambda t: t.name):
        if table.name not in existing:
            continue
        digest, count = hashlib.sha256(), 0
        stmt = select(table).order_by(*table.primary_key.columns)
        for row in connection.execution_options(yield_per=2000).execute(stmt):
            line = json.dumps([_plain(v) for v in row], sort_keys=True, separators=(",", ":"))
            digest.update(line.encode("utf-8") + b"\n")
            count += 1
        result[table.name] = {"rows": count, "sha256": digest.hexdigest()}
    return result


def alembic_revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def describe(connection: Connection) -> dict:
    """The manifest's content part: tables and revision, as this connection sees them."""
    return {"alembic_revision": alembic_revision(connection), "tables": table_checksums(connection)}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(backup: Path, backend: str, content: dict) -> dict:
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "backend": backend,
        "backup_file": backup.name,
        "backup_sha256": file_sha256(backup),
        **content,
    }
    path = manifest_path(backup)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    # Mode 0600 from the start, like the backup: the manifest names every table of personal data.
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(json.dumps(manifest, indent=2) + "\n")
    partial.replace(path)
    return manifest


def read(backup: Path) -> dict:
    path = manifest_path(backup)
    if not path.is_file():
        raise FileNotFoundError(f"no manifest beside the backup ({path.name})")
    return json.loads(path.read_text(encoding="utf-8"))


def differences(expected: dict, actual: dict) -> list[str]:
    """What differs between two manifests' content, one line each; empty when they agree."""
    problems = []
    if expected.get("alembic_revision") != actual.get("alembic_revision"):
        problems.append(
            f"alembic revision: expected {expected.get('alembic_revision')}, "
            f"found {actual.get('alembic_revision')}"
        )
    want, have = expected.get("tables", {}), actual.get("tables", {})
    for name in sorted(set(want) | set(have)):
        if name not in have:
            problems.append(f"{name}: missing")
        elif name not in want:
            problems.append(f"{name}: not in the manifest")
        elif want[name]["rows"] != have[name]["rows"]:
            problems.append(f"{name}: {have[name]['rows']} rows, expected {want[name]['rows']}")
        elif want[name]["sha256"] != have[name]["sha256"]:
            problems.append(f"{name}: same row count, different content")
    return problems


class _PlainSqlite(sqlite3.Connection):
    """A connection the app's connect hooks leave alone (they would switch the file to WAL)."""


def sqlite_reader(path: Path) -> Engine:
    """A read-only engine on a SQLite file (a backup), which it never writes to."""
    uri = f"file:{path.resolve()}?mode=ro"
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, factory=_PlainSqlite),
    )
