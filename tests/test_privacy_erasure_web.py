"""Erasure from the person's personal-data page (admins, typed confirmation) and the CLI."""

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.members.models import Person
from crm.privacy import erasure
from tests import factories
from tests.test_privacy_support import EMAIL, LOGIN, rich_person, user_of


def _erasures() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "erase")
    )


def _url(ids, action="erase") -> str:
    return f"/people/{ids['person_id']}/personal-data/{action}"


def test_a_wrong_confirmation_erases_nothing_and_says_why(client, login_as):
    ids = rich_person()
    db.session.commit()
    login_as("admin")
    response = client.post(_url(ids), data={"confirmation": "someone.else@example.org"})
    assert response.status_code == 400
    assert "This does not match; nothing was erased." in response.get_data(as_text=True)
    response = client.post(_url(ids), data={"confirmation": ""})
    assert response.status_code == 400
    assert db.session.get(Person, ids["person_id"]).last_name == "Quillfeather"
    assert _erasures() == 0


def test_admin_erases_after_typing_the_email(client, login_as):
    ids = rich_person()
    db.session.commit()
    login_as("admin")
    response = client.post(_url(ids), data={"confirmation": f"  {EMAIL.upper()} "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/people/{ids['person_id']}/personal-data")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "has been erased" in page and "was erased on" in page
    assert "Erase this person" not in page  # no second form
    db.session.expire_all()
    assert db.session.get(Person, ids["person_id"]).email is None
    assert user_of(ids["person_id"]) is None
    # A second attempt (an old tab) is refused with a clear message.
    response = client.post(_url(ids), data={"confirmation": "Erased"}, follow_redirects=True)
    assert "already been erased" in response.get_data(as_text=True)
    assert _erasures() == 1


def test_a_person_without_email_is_confirmed_by_full_name(client, login_as):
    person = factories.person(email="", first_name="Nora", last_name="Nomail")
    db.session.commit()
    login_as("admin")
    page = client.get(f"/people/{person.id}/personal-data").get_data(as_text=True)
    assert "Type the person&#39;s full name to confirm" in page
    response = client.post(
        f"/people/{person.id}/personal-data/erase", data={"confirmation": "nora nomail"}
    )
    assert response.status_code == 302
    assert erasure.erasure_event(person.id) is not None


def test_officers_cannot_erase(client, login_as):
    ids = rich_person()
    db.session.commit()
    login_as("officer")
    assert client.post(_url(ids), data={"confirmation": EMAIL}).status_code == 403
    assert _erasures() == 0


def test_an_admin_cannot_erase_their_own_person(client, login):
    me = factories.person(email="secretariat@indiemusic.example")
    admin = factories.user("admin", email="secretariat@indiemusic.example")
    db.session.commit()
    login(admin)
    response = client.post(
        f"/people/{me.id}/personal-data/erase",
        data={"confirmation": "secretariat@indiemusic.example"},
        follow_redirects=True,
    )
    assert "your own account" in response.get_data(as_text=True)
    assert _erasures() == 0


def test_cli_erases_after_confirmation_and_only_once(runner):
    ids = rich_person()
    db.session.commit()
    args = ["crm", "personal-data", "erase", "--person-id", str(ids["person_id"])]
    result = runner.invoke(args=args, input="n\n")
    assert result.exit_code != 0 and _erasures() == 0
    result = runner.invoke(args=args, input="y\n")
    assert result.exit_code == 0, result.output
    assert "user_account 1" in result.output and "signature 2" in result.output
    result = runner.invoke(args=[*args, "--yes"])
    assert result.exit_code != 0 and "already been erased" in result.output
    assert _erasures() == 1


def test_cli_erases_by_the_login_address(runner):
    ids = rich_person()
    db.session.commit()
    result = runner.invoke(args=["crm", "personal-data", "erase", "--email", LOGIN, "--yes"])
    assert result.exit_code == 0, result.output
    assert erasure.erasure_event(ids["person_id"]).actor == "cli:personal-data"


def test_with_csrf_on_the_page_forms_carry_a_token_that_works(make_app):
    import re

    from tests.factories import PASSWORD as PASSWORD_FOR_TESTS

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    ids = rich_person()
    admin = factories.user("admin")
    db.session.commit()

    def token(page):
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)

    login_token = token(client.get("/login").get_data(as_text=True))
    data = {"email": admin.email, "password": PASSWORD_FOR_TESTS, "csrf_token": login_token}
    assert client.post("/login", data=data).status_code == 302
    page = client.get(f"/people/{ids['person_id']}/personal-data").get_data(as_text=True)
    for action in ("export", "erase"):
        form = page[page.index(f'action="{_url(ids, action)}"') :].split("</form>")[0]
        assert 'name="csrf_token"' in form, action
    tokens = [token(page)] * 2
    assert client.post(_url(ids, "export")).status_code == 400
    assert client.post(_url(ids, "export"), data={"csrf_token": tokens[0]}).status_code == 200
    response = client.post(_url(ids), data={"confirmation": EMAIL, "csrf_token": tokens[1]})
    assert response.status_code == 302 and _erasures() == 1
