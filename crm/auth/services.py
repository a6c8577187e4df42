"""Accounts: creation, authentication with lockout, password reset links."""

from datetime import timedelta
from functools import cache

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from crm.audit.services import current_actor, record, snapshot
from crm.auth.models import User
from crm.auth.roles import SCOPED, Role
from crm.db import conflict_raises, utcnow
from crm.extensions import db
from crm.mailings.outbox import queue_email
from crm.members.models import Organisation
from crm.signed import timed_serializer

MIN_PASSWORD_LENGTH = 12


@cache
def _dummy_hash(method: str) -> str:
    # Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
    return generate_password_hash("no account has this password", method=method)


class AccountError(ValueError):
    """A user-facing reason an account operation was refused."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(
        db.select(User).where(func.lower(User.email) == normalise_email(email))
    )


def _user_snapshot(user: User) -> dict:
    return snapshot(user, exclude=("password_hash",))


def create_user(
    email: str, password: str, role: str, organisation_id: int | None = None, active: bool = True
) -> User:
    """Create an account; association and member users must name their organisation."""
    email = normalise_email(email)
    if role not in set(Role):
        raise AccountError(f"unknown role {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if find_user_by_email(email):
        raise AccountError("an account with this email already exists")
    _check_scope(role, organisation_id)
    user = User(
        email=email,
        role=role,
        active=active,
        organisation_id=organisation_id if role in SCOPED else None,
    )
    user.set_password(password)
    # Created concurrently after our check: the same answer as the check's.
    with conflict_raises(AccountError("an account with this email already exists")):
        db.session.add(user)
    record(
        "create",
        "user",
        user.id,
        f"Created user {email} ({role})",
        after=_user_snapshot(user),
        organisation_id=user.organisation_id,
    )
    return user


def _check_scope(role: str, organisation_id: int | None) -> None:
    if role not in SCOPED:
        return
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None:
        raise AccountError("association and member users must belong to an organisation")
    if role == Role.ASSOCIATION and not org.is_association:
        raise AccountError("an association user must belong to a national association")


def update_user(user: User, *, role: str, organisation_id: int | None, active: bool) -> None:
    """Change an account's role, scope or active flag; nobody demotes or deactivates themself,
    so the CRM cannot be left without an admin by accident."""
    actor_id, _ = current_actor()
    if user.id == actor_id and (role != Role.ADMIN or not active):
        raise AccountError("you cannot remove your own admin role or deactivate yourself")
    _check_scope(role, organisation_id)
    before = _user_snapshot(user)
    user.role = role
    user.organisation_id = organisation_id if role in SCOPED else None
    user.active = active
    if active:
        user.failed_logins = 0
        user.locked_until = None
    db.session.flush()
    record(
        "update",
        "user",
        user.id,
        f"Updated user {user.email}",
        before=before,
        after=_user_snapshot(user),
        organisation_id=user.organisation_id,
    )


def set_password(user: User, password: str) -> None:
    """An admin sets an account's password (this ends the user's other sessions)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.set_password(password)
    record(
        "password-set",
        "user",
        user.id,
        f"Password set for {user.email} by an admin",
        organisation_id=user.organisation_id,
    )


def delete_user(user: User) -> None:
    """Delete an account; the audit trail keeps what it was. An account that took part in
    logged actions is refused: deleting it would take it out of those actions' participants
    (the rows go with the account), so the log would no longer say who was there."""
    from crm.policy.models import ActionParticipant  # policy imports auth

    taken_part = db.session.scalar(
        select(func.count())
        .select_from(ActionParticipant)
        .where(ActionParticipant.user_id == user.id)
    )
    if taken_part:
        raise AccountError(
            f"This account took part in {taken_part} logged action(s): deactivate it instead "
            "(untick Active), so the action log keeps who was there."
        )
    record(
        "delete",
        "user",
        user.id,
        f"Deleted user {user.email}",
        before=_user_snapshot(user),
        organisation_id=user.organisation_id,
    )
    db.session.delete(user)
    db.session.flush()


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right and the account usable; None otherwise, saying nothing
    of whether the email exists or the account is locked."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        user.check_password(password)  # same cost as an open account
        return None
    if not user.check_password(password) or not user.active:
        # Counted in the database, so parallel guesses cannot overwrite each other's count.
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(user, ["failed_logins"])
        if user.failed_logins >= current_app.config["LOCKOUT_THRESHOLD"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
            user.failed_logins = 0
            record(
                "lock",
                "user",
                user.id,
                f"Locked {user.email} after repeated failed logins",
                organisation_id=user.organisation_id,
            )
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _serializer() -> URLSafeTimedSerializer:
    return timed_serializer("password-reset")


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; the caller says the same thing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    token = _serializer().dumps({"uid": user.id, "fp": user.password_fingerprint})
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "auth.reset_password", token=token
    )
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    # Asked twice within one second (a double click), the token and so the message are the same
    # ones, already queued: the unique Message-ID refuses the second, and that is the answer
    # (not a 500, which would also tell that the account exists).
    try:
        with db.session.begin_nested():
            queue_email(
                user.email,
                "Reset your password",
                render_template("auth/email/reset.txt", link=link, minutes=minutes),
                kind="password_reset",
                key=f"password-reset:{user.id}:{token}",
            )
            record(
                "reset-requested",
                "user",
                user.id,
                f"Password reset requested for {user.email}",
                organisation_id=user.organisation_id,
            )
            db.session.flush()
    except IntegrityError:
        return


def user_for_reset_token(token: str) -> User | None:
    """The user a valid, unexpired, unused reset token belongs to."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or not user.active or data.get("fp") != user.password_fingerprint:
        return None
    return user


def reset_password(user: User, password: str) -> None:
    """Set a new password; the token that led here is now spent."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.set_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record(
        "password-reset",
        "user",
        user.id,
        f"Password reset for {user.email}",
        organisation_id=user.organisation_id,
    )
