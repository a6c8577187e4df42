"""Writing audit events. Every service that changes a record calls record()."""

from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from sqlalchemy import inspect

from crm.audit.models import AuditEvent
from crm.extensions import db

# Who acts when there is no logged-in user: a CLI command or the daily job sets this.
_system_actor: ContextVar[str] = ContextVar("system_actor", default="system")


def set_system_actor(label: str) -> None:
    _system_actor.set(label)


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj, exclude: tuple[str, ...] = ()) -> dict:
    """The column values of a model instance as a JSON-ready dict."""
    mapper = inspect(obj).mapper
    return {
        column.key: _json_value(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in exclude and column.key not in {"created_at", "updated_at"}
    }


def current_actor() -> tuple[int | None, str]:
    if has_request_context() and _may_be_signed_in() and current_user.is_authenticated:
        return current_user.id, current_user.email
    return None, _system_actor.get()


def _may_be_signed_in() -> bool:
    """Whether Flask-Login could find a user for this request: one it has loaded already, a
    user id in the session, a remember-me cookie, or a request or header loader to ask. With
    none of them the visitor is anonymous, and a public form (a signature) records them so
    without asking Flask-Login, whose session-protection check (a hash of the visitor's address
    and browser) has nothing to protect when the session holds no user."""
    if "_login_user" in g:
        return True
    manager = current_app.login_manager
    if manager._request_callback is not None or manager._header_callback is not None:
        return True
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE)
    return "_user_id" in session or cookie in request.cookies


def record(
    action: str,
    entity_type: str,
    entity_id: int | None,
    summary: str,
    *,
    before: dict | None = None,
    after: dict | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Add one audit event to the session; it commits with the change it describes."""
    actor_id, actor = current_actor()
    event = AuditEvent(
        actor_id=actor_id,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        summary=summary[:300],
        before=before,
        after=after,
        organisation_id=organisation_id,
    )
    db.session.add(event)
    return event


def events_for_organisation(
    organisation_id: int, internal: bool = True, limit: int = 100
) -> list[AuditEvent]:
    """The organisation's own trail and that of its people and memberships, newest first.

    Without `internal` (for member and association users) account events are left out; the
    page hides internal fields such as notes.
    """
    stmt = (
        db.select(AuditEvent)
        .where(AuditEvent.organisation_id == organisation_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if not internal:
        stmt = stmt.where(AuditEvent.entity_type != "user")
    return list(db.session.scalars(stmt))


def events_for(entity_type: str, entity_id: int, limit: int = 100) -> list[AuditEvent]:
    """One record's trail, newest first."""
    return list(
        db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
