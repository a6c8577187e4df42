"""The rows a new public signature writes (the signature, its audit entry, its confirmation mail)
and the statements that write them. signing.py decides what to write; this module only writes.

Two ways, one result:
- in the caller's transaction (any database): the signature's INSERT ... ON CONFLICT DO NOTHING,
  then the audit entry and the mail once its id is known;
- committed at once (PostgreSQL, the signing POST): one statement, run outside any transaction,
  so the request costs one round trip. The signature's id is taken beforehand from a block of
  the id sequence reserved by this process (IdBlocks), because the mail's link must name it.

The audit and outbox rows are written with Core: the same rows crm.audit.services.record() and
crm.mailings.outbox.queue_email() would add through the ORM, whose flush costs more than the
request's writes together (tests/test_declarations_signing_fastpath.py compares them)."""

import threading
from collections import deque
from functools import cache

from flask import current_app
from psycopg.errors import UniqueViolation
from sqlalchemy import JSON, bindparam, insert, literal, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from crm.audit.models import AuditEvent
from crm.audit.services import current_actor
from crm.db import autocommit_engine, utcnow
from crm.declarations.models import Signature
from crm.extensions import app_state, db
from crm.mailings.models import Delivery, DeliveryStatus, Priority
from crm.mailings.outbox import make_message_id

# Every column a new signature sets; those the declaration does not ask stay NULL.
SIGNATURE_COLUMNS = (
    "declaration_id",
    "version_id",
    "created_at",
    "email",
    "email_key",
    "first_name",
    "last_name",
    "signing_as",
    "organisation_name",
    "country",
    "job_title",
    "city",
    "comment",
    "language",
    "list_publicly",
    "consent_updates",
    "consent_wording",
    "status",
    "moderation",
    "match_status",
    "confirmations_sent",
    "confirmation_sent_at",
)
_AUDIT_COLUMNS = (
    "created_at",
    "actor_id",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "organisation_id",
    "summary",
    "before",
    "after",
)
_MAIL_COLUMNS = (
    "created_at",
    "kind",
    "priority",
    "to_email",
    "subject",
    "text_body",
    "html_body",
    "headers",
    "message_id",
    "status",
    "attempts",
    "next_attempt_at",
)
# INSERT ... ON CONFLICT DO NOTHING, in the dialects the CRM runs on.
_UPSERT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


# What the rows of every new signature hold alike. The one statement (insert_committed) has them
# written into its SQL, so that only what differs travels with each request.
NEW_SIGNATURE_FIXED = {
    "status": "unconfirmed",
    "moderation": "pending",
    "match_status": "none",
    # Counted as mailed from the start, so a racing duplicate never finds it "unsent".
    "confirmations_sent": 1,
}
_AUDIT_FIXED = {
    "action": "create",
    "entity_type": "signature",
    "organisation_id": None,
    "before": None,
    "after": None,
}
_MAIL_FIXED = {
    "kind": "signature-confirm",
    "priority": Priority.TRANSACTIONAL,
    "html_body": None,
    "headers": None,
    "status": DeliveryStatus.QUEUED.value,
    "attempts": 0,
}
# Stamped with the moment of the request: in the one statement, all of them its one "now".
_NOW_COLUMNS = {"created_at", "confirmation_sent_at", "next_attempt_at"}


def audit_row(signature_id: int | None, summary: str) -> dict:
    """The audit entry of a new signature (entity_id filled in by the statement when None)."""
    actor_id, actor = current_actor()
    return {
        **_AUDIT_FIXED,
        "created_at": utcnow(),
        "actor_id": actor_id,
        "actor": actor,
        "entity_id": signature_id,
        "summary": summary[:300],
    }


def mail_row(to_email: str, subject: str, body: str, key: str) -> dict:
    """The outbox row of a confirmation mail, as queue_email() would write it."""
    now = utcnow()
    return {
        **_MAIL_FIXED,
        "created_at": now,
        "to_email": to_email,
        "subject": subject,
        "text_body": body,
        "message_id": make_message_id(key),
        "next_attempt_at": now,
    }


# --- in the caller's transaction ----------------------------------------------------------------


def insert_signature(values: dict) -> int | None:
    """INSERT ... ON CONFLICT (declaration, email) DO NOTHING RETURNING id, in the session's
    transaction: the new id, or None when this email has signed this declaration already."""
    connection = db.session.connection()
    return connection.execute(_insert_statement(connection.dialect.name), values).scalar()


def insert_audit_and_mail(audit: dict, mail: dict) -> None:
    connection = db.session.connection()
    connection.execute(_audit_insert(), audit)
    connection.execute(_mail_insert(), mail)


# Statements are built once: building one costs more than running it.
@cache
def _insert_statement(dialect: str):
    table = Signature.__table__
    return (
        _UPSERT_INSERT[dialect](table)
        .values({name: bindparam(name) for name in SIGNATURE_COLUMNS})
        .on_conflict_do_nothing(index_elements=["declaration_id", "email_key"])
        .returning(table.c.id)
    )


@cache
def _audit_insert():
    return insert(AuditEvent.__table__).values({name: bindparam(name) for name in _AUDIT_COLUMNS})


@cache
def _mail_insert():
    return insert(Delivery.__table__).values({name: bindparam(name) for name in _MAIL_COLUMNS})


# --- committed at once (PostgreSQL) -------------------------------------------------------------


class DuplicateId(Exception):
    """The reserved id was taken already (the sequence was reset, say by a restore)."""


def insert_committed(signature_id: int, values: dict, audit: dict, mail: dict) -> int | None:
    """Write the signature (with this reserved id), its audit entry and its mail in one
    statement, committed on return: the id, or None when the email had signed already (then
    nothing is written). Data-modifying CTEs run once and in full; the audit entry and the mail
    are INSERT ... SELECT from the signature's row, so they exist only if it does. Raises
    DuplicateId if a row holds the id already.

    Only what differs between signatures is sent: the statement holds NEW_SIGNATURE_FIXED and
    the audit and mail rows' fixed values itself, and stamps all three rows with
    values["created_at"] (the timestamps of `audit` and `mail` are not read).

    The statement goes to the driver connection itself, checked out of the app's pool (with its
    ping) and in autocommit mode for this one statement: SQLAlchemy's execution layer would cost
    this request more than PostgreSQL does. Driver errors come out as SQLAlchemy's, so the app
    answers an outage as it does everywhere (503), and a broken connection leaves the pool."""
    statement, sent = _all_in_one()
    rows = {"": values, "audit_": audit, "mail_": mail}
    params = {"id": signature_id, "now": values["created_at"]}
    for prefix, name in sent:
        params[prefix + name] = rows[prefix][name]
    dialect = db.engine.dialect
    try:
        pooled = db.engine.raw_connection()
    except dialect.loaded_dbapi.Error as error:  # the pool could not reconnect: an outage
        raise DBAPIError.instance(
            None, None, error, dialect.loaded_dbapi.Error, connection_invalidated=True
        ) from error
    try:
        driver = pooled.dbapi_connection
        try:
            driver.autocommit = True
            try:
                # Prepared outright: psycopg would prepare it after five runs anyway, and asked
                # also skips counting them (about 20 µs a call). Behind a pooler that cannot
                # keep prepared statements (PgBouncer in transaction mode), drop prepare=True.
                row = driver.execute(statement, params, prepare=True).fetchone()
            finally:
                driver.autocommit = False
        except UniqueViolation as error:
            if error.diag.constraint_name == "pk_signature":
                raise DuplicateId(signature_id) from error
            raise _wrapped(statement, params, error, pooled) from error
        except dialect.loaded_dbapi.Error as error:
            raise _wrapped(statement, params, error, pooled) from error
    finally:
        pooled.close()
    return row[0] if row else None


def _wrapped(statement: str, params: dict, error: Exception, pooled) -> DBAPIError:
    """The driver's error as SQLAlchemy would raise it; a connection it broke is discarded."""
    broken = db.engine.dialect.is_disconnect(error, pooled.dbapi_connection, None)
    if broken:
        pooled.invalidate(error)
    dbapi_error = db.engine.dialect.loaded_dbapi.Error
    return DBAPIError.instance(statement, params, error, dbapi_error, connection_invalidated=broken)


@cache
def _all_in_one() -> tuple[str, tuple[tuple[str, str], ...]]:
    """The statement below as the driver takes it (psycopg's %(name)s placeholders), and the
    values it is sent besides "id" and "now": (row prefix, column) pairs."""
    dialect = db.engine.dialect
    sent = []

    def source(table, prefix: str, name: str, fixed: dict):
        column = table.c[name]
        if name in _NOW_COLUMNS:
            return bindparam("now", type_=column.type)
        if name in fixed:
            value = fixed[name]
            if value is None and isinstance(column.type, JSON) and not column.type.none_as_null:
                return literal_column("CAST('null' AS JSON)", column.type)  # as the ORM writes
            rendered = str(
                literal(value, column.type).compile(
                    dialect=dialect, compile_kwargs={"literal_binds": True}
                )
            )
            if "%" in rendered:  # escaped once here, it would be escaped again for the driver
                raise ValueError(f"a fixed value with '%' cannot be written as SQL: {rendered}")
            return literal_column(rendered, column.type)
        sent.append((prefix, name))
        return bindparam(prefix + name, type_=column.type)

    signature = Signature.__table__
    new = (
        postgresql.insert(signature)
        .values(
            id=bindparam("id"),
            **{
                name: source(signature, "", name, NEW_SIGNATURE_FIXED) for name in SIGNATURE_COLUMNS
            },
        )
        .on_conflict_do_nothing(index_elements=["declaration_id", "email_key"])
        .returning(signature.c.id)
        .cte("new_signature")
    )

    def copied(table, prefix: str, columns: tuple[str, ...], fixed: dict):
        return insert(table).from_select(
            columns,
            select(
                *(
                    new.c.id
                    if (table is AuditEvent.__table__ and name == "entity_id")
                    else source(table, prefix, name, fixed)
                    for name in columns
                )
            ).select_from(new),
            include_defaults=False,
        )

    audit = copied(AuditEvent.__table__, "audit_", _AUDIT_COLUMNS, _AUDIT_FIXED).cte("new_audit")
    mail = copied(Delivery.__table__, "mail_", _MAIL_COLUMNS, _MAIL_FIXED).cte("new_mail")
    statement = select(new.c.id).add_cte(audit, mail)
    return str(statement.compile(dialect=dialect)), tuple(sent)


class IdBlocks:
    """Signature ids reserved from the id sequence a block at a time (SIGNATURE_ID_BLOCK), so
    that a signing request needs no round trip of its own to learn its id. Ids left unused when
    the process ends are gaps, nothing more. One per app, shared by its threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ids: deque[int] = deque()

    def take(self) -> int:
        with self._lock:
            if not self._ids:
                self._ids.extend(self._reserve(current_app.config["SIGNATURE_ID_BLOCK"]))
            return self._ids.popleft()

    def discard(self) -> None:
        """Forget the ids held (after one proved taken): the next take() reserves afresh."""
        with self._lock:
            self._ids.clear()

    @staticmethod
    def _reserve(size: int) -> list[int]:
        with autocommit_engine().connect() as connection:
            return list(connection.execute(_RESERVE, {"size": max(1, size)}).scalars())


_RESERVE = text("SELECT nextval('signature_id_seq') FROM generate_series(1, :size)")


def id_blocks() -> IdBlocks:
    return app_state("crm.signature_ids", IdBlocks)
