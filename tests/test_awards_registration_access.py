"""Object-level access to registrations and their evidence: the label's own member users and
staff only; other members and associations get 403, even with the evidence URL."""

import pytest
from sqlalchemy import select

from crm.awards.models import AwardRegistration
from crm.extensions import db
from tests import factories
from tests import test_awards_registration_support as support


@pytest.fixture
def registered(app, login):
    """A registration of one label, made by its member user through the form."""
    support.seed_levels()
    association = factories.association("VUT")
    label = factories.organisation("Owner Records", association_id=association.id)
    owner = factories.user("member", organisation=label)
    colleague = factories.user("member", organisation=label)
    db.session.commit()
    client = login(owner, app.test_client())
    assert client.post("/awards/register", data=support.form()).status_code == 302
    registration = db.session.scalar(select(AwardRegistration))
    return {
        "registration": registration,
        "evidence_id": registration.evidence[0].id,
        "owner": owner,
        "colleague": colleague,
        "association": association,
    }


def _paths(world):
    registration = world["registration"]
    return (
        f"/awards/registrations/{registration.id}",
        f"/awards/evidence/{world['evidence_id']}",
    )


def _client(app, login, user):
    return login(user, app.test_client())


def test_another_member_gets_403_on_page_evidence_and_raise(app, login, registered):
    stranger = factories.user("member")
    db.session.commit()
    client = _client(app, login, stranger)
    for path in _paths(registered):
        assert client.get(path).status_code == 403, path
    registration_id = registered["registration"].id
    assert client.get(f"/awards/registrations/{registration_id}/raise").status_code == 403
    response = client.post(
        f"/awards/registrations/{registration_id}/raise",
        data=support.form(units=(("DE", "50000"),)),
    )
    assert response.status_code == 403
    assert "First Light" not in client.get("/awards/registrations").get_data(as_text=True)


def test_the_labels_association_gets_403(app, login, registered):
    user = factories.user("association", organisation=registered["association"])
    db.session.commit()
    client = _client(app, login, user)
    for path in (*_paths(registered), "/awards/registrations", "/awards/register"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("role", ["admin", "officer", "comms"])
def test_staff_read_the_registration_and_its_evidence(app, login, registered, role):
    user = factories.user(role)
    db.session.commit()
    client = _client(app, login, user)
    page, file_url = _paths(registered)
    assert client.get(page).status_code == 200
    response = client.get(file_url)
    assert response.status_code == 200
    assert response.data == support.PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "statement.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    assert "Owner Records" in client.get("/awards/registrations").get_data(as_text=True)
    # Staff read; only the label raises its own registration.
    raise_url = f"/awards/registrations/{registered['registration'].id}/raise"
    assert client.get(raise_url).status_code == 403


def test_the_labels_other_users_see_it(app, login, registered):
    client = _client(app, login, registered["colleague"])
    page, file_url = _paths(registered)
    assert client.get(page).status_code == 200
    response = client.get(file_url)
    assert response.status_code == 200 and response.data == support.PDF


def test_anonymous_is_sent_to_login_for_evidence(app, registered):
    response = app.test_client().get(_paths(registered)[1])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_missing_records_are_404(app, login, registered):
    client = _client(app, login, registered["owner"])
    assert client.get("/awards/registrations/999999").status_code == 404
    assert client.get("/awards/evidence/999999").status_code == 404
    assert client.get("/awards/evidence/99999999999999").status_code == 404
