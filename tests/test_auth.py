"""Login, lockout, logout, password reset by email, the create-user command."""

import re
from datetime import timedelta

import pytest

from crm.auth.models import User
from crm.auth.services import find_user_by_email
from crm.db import utcnow
from crm.extensions import db
from crm.mailings import worker
from tests import factories
from tests.conftest import PASSWORD


def _login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_login_and_logout(client):
    user = factories.user("officer")
    db.session.commit()
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405  # never on GET
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_passwords_are_hashed(client):
    user = factories.user("admin")
    db.session.commit()
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    user = factories.user("comms")
    db.session.commit()
    wrong = _login(client, user.email, "wrong password here")
    unknown = _login(client, "nobody@example.org", "wrong password here")
    assert wrong.status_code == unknown.status_code == 200
    message = b"Email or password not recognised"
    assert message in wrong.data and message in unknown.data


def test_account_locks_after_repeated_failures_without_saying_so(app, client):
    user = factories.user("officer")
    db.session.commit()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        _login(client, user.email, "wrong password here")
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until > utcnow()
    # Even the right password is refused while locked, with the usual message.
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 200 and b"not recognised" in response.data
    locked = db.session.get(User, user.id)
    locked.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _login(client, user.email, PASSWORD).status_code == 302


def test_inactive_account_cannot_log_in(client):
    user = factories.user("officer")
    user.active = False
    db.session.commit()
    assert _login(client, user.email, PASSWORD).status_code == 200


def test_login_redirect_stays_on_site(client):
    user = factories.user("admin")
    db.session.commit()
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=/organisations", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/organisations"


def test_login_is_rate_limited(make_limited_app):
    app = make_limited_app(RATELIMIT_STORAGE_URI="memory://", LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    with app.app_context():
        codes = [
            client.post("/login", data={"email": "x@example.org", "password": "y"}).status_code
            for _ in range(4)
        ]
    assert codes == [200, 200, 200, 429]


def _reset_link(message) -> str:
    return re.search(
        r"http://\S+/password/reset/\S+", message.get_body(("plain",)).get_content()
    ).group(0)


@pytest.mark.smtp
def test_password_reset_by_email_link_works_once(client, smtp_server):
    user = factories.user("member")
    db.session.commit()
    response = client.post("/password/forgot", data={"email": user.email.upper()})
    assert response.status_code == 302
    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    assert message["To"] == user.email
    path = _reset_link(message).split("5000", 1)[1]
    assert client.get(path).status_code == 200
    new_password = "a brand new password"
    response = client.post(path, data={"password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert _login(client, user.email, new_password).status_code == 302
    client.post("/logout")
    # The same link again: spent.
    assert client.get(path).status_code == 400
    assert (
        client.post(
            path, data={"password": "another password 1", "confirm": "another password 1"}
        ).status_code
        == 400
    )


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client):
    known = factories.user("member")
    db.session.commit()
    answer_unknown = client.post(
        "/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    answer_known = client.post(
        "/password/forgot", data={"email": known.email}, follow_redirects=True
    )
    assert b"If an account uses that address" in answer_unknown.data
    assert b"If an account uses that address" in answer_known.data
    from crm.mailings.models import Delivery

    assert [d.to_email for d in db.session.scalars(db.select(Delivery))] == [known.email]


def test_expired_and_tampered_reset_tokens_are_refused(app, client):
    from itsdangerous import URLSafeTimedSerializer

    user = factories.user("member")
    db.session.commit()
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset")
    good = serializer.dumps({"uid": user.id, "fp": user.password_fingerprint})
    assert client.get(f"/password/reset/{good}").status_code == 200
    assert client.get(f"/password/reset/{good[:-2]}xx").status_code == 400
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        assert client.get(f"/password/reset/{good}").status_code == 400
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_create_user_command(runner):
    result = runner.invoke(
        args=[
            "crm",
            "create-user",
            "First.Admin@Example.org",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a strong first password\n",
    )
    assert result.exit_code == 0, result.output
    user = find_user_by_email("first.admin@example.org")
    assert user.role == "admin" and user.check_password("a strong first password")
    again = runner.invoke(
        args=[
            "crm",
            "create-user",
            "first.admin@example.org",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a strong first password\n",
    )
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        args=["crm", "create-user", "x@example.org", "--role", "admin", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12" in short.output


def test_create_user_command_prompts_twice(runner):
    result = runner.invoke(
        args=["crm", "create-user", "prompted@example.org", "--role", "officer"],
        input="prompted password 1\nprompted password 1\n",
    )
    assert result.exit_code == 0, result.output
    assert find_user_by_email("prompted@example.org").role == "officer"


def test_member_user_must_name_an_organisation(runner):
    result = runner.invoke(
        args=["crm", "create-user", "m@example.org", "--role", "member", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code != 0 and "must belong to an organisation" in result.output


def test_admin_manages_users_and_it_is_audited(client, login_as):
    from crm.audit.models import AuditEvent

    admin = login_as("admin")
    org = factories.organisation("Account Owner Records")
    db.session.commit()
    response = client.post(
        "/users/new",
        data={
            "email": "new.member@example.org",
            "role": "member",
            "organisation_id": org.id,
            "password": "member password 12",
            "active": "y",
        },
    )
    assert response.status_code == 302
    user = find_user_by_email("new.member@example.org")
    assert user.organisation_id == org.id
    response = client.post(
        f"/users/{user.id}/edit", data={"role": "member", "organisation_id": org.id}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    assert client.post(f"/users/{user.id}/delete").status_code == 302
    assert client.post(f"/users/{admin.id}/delete").status_code == 400
    actions = db.session.scalars(
        db.select(AuditEvent.action)
        .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "update", "delete"]


def test_user_form_errors_are_shown(client, login_as):
    login_as("admin")
    response = client.post(
        "/users/new", data={"email": "not-an-email", "role": "member", "password": "x"}
    )
    assert response.status_code == 200
    assert b"Invalid email address" in response.data
    response = client.post(
        "/users/new",
        data={
            "email": "ok@example.org",
            "role": "member",
            "organisation_id": 0,
            "password": "long enough password",
        },
    )
    assert b"must belong to an organisation" in response.data


def test_a_password_reset_ends_other_sessions(app, client):
    from crm.auth import services

    user = factories.user("officer")
    db.session.commit()
    other_device = app.test_client()
    assert _login(other_device, user.email, PASSWORD).status_code == 302
    assert other_device.get("/").status_code == 200
    services.reset_password(db.session.get(User, user.id), "a completely new password")
    db.session.commit()
    assert other_device.get("/").status_code == 302  # signed out


def test_admin_cannot_demote_or_deactivate_themself(client, login_as):
    admin = login_as("admin")
    response = client.post(f"/users/{admin.id}/edit", data={"role": "officer", "active": "y"})
    assert response.status_code == 200 and b"cannot remove your own admin role" in response.data
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"


def test_admin_setting_a_password_is_audited_and_inactive_creation_recorded(client, login_as):
    from crm.audit.models import AuditEvent

    login_as("admin")
    org = factories.organisation()
    db.session.commit()
    client.post(
        "/users/new",
        data={
            "email": "off@example.org",
            "role": "member",
            "organisation_id": org.id,
            "password": "member password 12",
        },
    )
    user = find_user_by_email("off@example.org")
    created = db.session.scalar(db.select(AuditEvent).where(AuditEvent.entity_id == user.id))
    assert user.active is False and created.after["active"] is False
    client.post(
        f"/users/{user.id}/edit",
        data={"role": "member", "organisation_id": org.id, "password": "another password 12"},
    )
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "password-set"))


# --- no user enumeration: answers and costs alike, whatever the account ---------------------


def _hash_checks(monkeypatch):
    """Count password-hash checks (the costly part of a login) wherever they are made."""
    import crm.auth.models
    import crm.auth.services

    calls = []
    for module in (crm.auth.models, crm.auth.services):
        real = module.check_password_hash
        monkeypatch.setattr(
            module,
            "check_password_hash",
            lambda stored, given, real=real: calls.append(1) or real(stored, given),
        )
    return calls


def test_login_costs_one_hash_check_whether_the_account_exists_or_not(client, monkeypatch):
    known = factories.user("officer")
    locked = factories.user("comms")
    locked.locked_until = utcnow() + timedelta(minutes=5)
    inactive = factories.user("member")
    inactive.active = False
    db.session.commit()
    calls = _hash_checks(monkeypatch)
    answers = {}
    for email in (known.email, locked.email, inactive.email, "nobody@example.org"):
        calls.clear()
        response = _login(client, email, "wrong password here")
        answers[email] = (response.status_code, len(calls))
        assert b"Email or password not recognised" in response.data
    assert set(answers.values()) == {(200, 1)}, answers


def test_locked_inactive_and_unknown_accounts_get_the_same_page(client):
    locked = factories.user("comms")
    locked.locked_until = utcnow() + timedelta(minutes=5)
    inactive = factories.user("member")
    inactive.active = False
    db.session.commit()

    def page(email, password):
        html = _login(client, email, password).get_data(as_text=True)
        # The form echoes the email typed; everything else must be identical.
        return re.sub(r'name="csrf_token"[^>]*>', "", html.replace(email, "EMAIL"))

    unknown = page("nobody@example.org", PASSWORD)
    assert page(locked.email, PASSWORD) == unknown  # even with the right password
    assert page(inactive.email, PASSWORD) == unknown


def test_lockout_counts_only_consecutive_failures(app, client):
    user = factories.user("officer")
    db.session.commit()
    for _ in range(app.config["LOCKOUT_THRESHOLD"] - 1):
        _login(client, user.email, "wrong password here")
    assert _login(client, user.email, PASSWORD).status_code == 302  # resets the count
    client.post("/logout")
    for _ in range(app.config["LOCKOUT_THRESHOLD"] - 1):
        _login(client, user.email, "wrong password here")
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is None


def test_password_reset_for_inactive_account_says_the_same_and_sends_nothing(client):
    inactive = factories.user("member")
    inactive.active = False
    db.session.commit()
    answer = client.post("/password/forgot", data={"email": inactive.email})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert answer.status_code == unknown.status_code == 302
    assert answer.headers["Location"] == unknown.headers["Location"]
    from crm.mailings.models import Delivery

    assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == 0


def test_password_reset_asked_twice_in_one_second_queues_one_mail(client, monkeypatch):
    """The same second gives the same token and Message-ID: the second request must answer as
    the first (it once was a 500, which also told that the account exists)."""
    from itsdangerous.timed import TimestampSigner

    from crm.mailings.models import Delivery

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    user = factories.user("member")
    db.session.commit()
    answers = [client.post("/password/forgot", data={"email": user.email}) for _ in range(2)]
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert [a.status_code for a in answers] == [302, 302] == [unknown.status_code] * 2
    assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == 1


def test_password_reset_is_rate_limited(make_limited_app):
    app = make_limited_app(RATELIMIT_STORAGE_URI="memory://", RESET_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with app.app_context():
        codes = [
            client.post("/password/forgot", data={"email": "x@example.org"}).status_code
            for _ in range(3)
        ]
        token_codes = [
            client.post("/password/reset/not-a-token", data={"password": "x"}).status_code
            for _ in range(3)
        ]
    assert codes == [302, 302, 429]
    assert token_codes == [400, 400, 429]


def test_an_account_in_the_action_log_is_deactivated_not_deleted(client, login_as):
    """Deleting it would drop it from the participants of the actions it took part in."""
    from datetime import date

    from crm.policy.models import Action, ActionParticipant

    login_as("admin")
    officer = factories.user("officer")
    action = Action(kind="meeting", occurred_on=date(2026, 3, 2), title="Meeting at the EP")
    action.participants.append(ActionParticipant(user_id=officer.id))
    db.session.add(action)
    db.session.commit()
    response = client.post(f"/users/{officer.id}/delete", follow_redirects=True)
    assert "took part in 1 logged action(s): deactivate it instead" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(User, officer.id) is not None
    assert db.session.scalar(db.select(ActionParticipant.user_id)) == officer.id
