"""Declarative base with a constraint naming convention, and small shared column helpers."""

import select
import time
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


@contextmanager
def conflict_raises(error: Exception):
    """Write inside a savepoint: a unique or foreign-key conflict (usually a concurrent request
    that won the race after the service's own checks) raises `error`, a clear user-facing
    message, instead of a 500, and the caller's transaction stays usable."""
    from crm.extensions import db  # extensions imports this module

    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as conflict:
        raise error from conflict


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL for concurrent readers, a busy timeout instead of 'database is locked', FKs enforced."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def autocommit_engine():
    """The app's engine (the same pool) with its connections in autocommit mode, for a hot path
    whose write is a single statement: that statement is its own transaction, so there is no
    BEGIN and COMMIT round trip. Check a connection out only for the statement, and never while
    the request's session holds one: a request holding two would starve the pool under load."""
    from crm.extensions import app_state, db  # extensions imports this module

    return app_state(
        "crm.autocommit_engine",
        lambda: db.engine.execution_options(isolation_level="AUTOCOMMIT"),
    )


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """SQLAlchemy's pool_pre_ping without its round trip for connections in steady use.

    A pooled connection is pinged before use if it sat idle over `idle_seconds` (a firewall may
    have dropped it silently), or if its socket has something to read: an idle connection
    receives nothing unless the server is ending it (a restart, pg_terminate_backend), so a
    zero-timeout poll, no round trip, finds those. A failed ping makes the pool discard the
    connection and take another (DisconnectionError is the checkout event's documented way to
    say so). SQLite has nothing to ping."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _note_idle_since(dbapi_connection, record):
        record.info["idle_since"] = _clock()  # from its opening, or its last use

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.get("idle_since")
        if (
            idle_since is not None
            and _clock() - idle_since < idle_seconds
            and not _has_input(dbapi_connection)
        ):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"ping failed: {error}") from error


_clock = time.monotonic  # a name of its own, for the tests to move it


def _has_input(dbapi_connection) -> bool:
    try:
        return bool(select.select([dbapi_connection.fileno()], [], [], 0)[0])
    except Exception:  # closed or unusable (the driver raises its own error): let the ping say
        return True
