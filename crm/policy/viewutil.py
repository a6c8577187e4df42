"""Helpers shared by the policy views: choices, form errors, the action-log link."""

from flask import current_app, flash, request, url_for
from sqlalchemy import select

from crm.auth.roles import STAFF, Role
from crm.extensions import db
from crm.policy.models import Priority

# Staff who change policy records; comms reads them only.
POLICY_EDITORS = (Role.ADMIN, Role.OFFICER)
POLICY_READERS = STAFF


def log_action_url(**subject) -> str | None:
    """Where "Log an action" goes with this record prefilled, once the action log exists."""
    if "policy.new_action" not in current_app.view_functions:
        return None
    return url_for("policy.new_action", **subject)


def owner_choices() -> list[tuple[int, str]]:
    # Imported here: crm.members.views imports the policy package while crm.auth is loading.
    from crm.auth.models import User

    rows = db.session.execute(
        select(User.id, User.email)
        .where(User.role.in_([r.value for r in STAFF]), User.active.is_(True))
        .order_by(User.email)
    )
    return [(0, "— none —")] + [(r.id, r.email) for r in rows]


def priority_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Priority.id, Priority.title).order_by(Priority.position, Priority.title)
    )
    return [(r.id, r.title) for r in rows]


def id_arg(name: str) -> int | None:
    """A positive id from the query string, or None for anything else, numbers too large for a
    database column among them (as crm.members.directory reads its ids)."""
    value = request.args.get(name, "")
    if value.isascii() and value.isdigit() and len(value) < 10 and int(value) > 0:
        return int(value)
    return None


def form_error(error, form) -> None:
    """Show a service's refusal on the field it names, or as a message."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        flash(str(error), "danger")
