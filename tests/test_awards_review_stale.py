"""A decision form carries the revision the reviewer saw: a raise after the page was opened
makes the decision stale, and it changes nothing."""

import re

from sqlalchemy import func, select

from crm.awards.models import AwardRegistration
from crm.extensions import db
from crm.mailings.models import Delivery
from tests import factories
from tests import test_awards_registration_support as support


def test_stale_verify_after_a_raise_is_refused(app, client, login, login_as):
    support.seed_levels()
    login_as("member")
    assert client.post("/awards/register", data=support.form()).status_code == 302
    registration_id = db.session.scalar(select(AwardRegistration.id))

    officer = factories.user("officer")
    db.session.commit()
    staff = login(officer, as_client=app.test_client())
    page = staff.get("/awards/review").get_data(as_text=True)
    [seen] = re.findall(r'name="revision" value="(\d+)"', page)
    assert seen == "1"

    raised = support.form(units=(("DE", "30000"), ("FR", "15000")), files=[support.pdf("q3.pdf")])
    url = f"/awards/registrations/{registration_id}/raise"
    assert client.post(url, data=raised).status_code == 302

    response = staff.post(
        f"/awards/review/{registration_id}",
        data={"decision": "verify", "revision": seen},
        follow_redirects=True,
    )
    assert "the figures changed since you opened this page" in response.get_data(as_text=True)
    db.session.expire_all()
    registration = db.session.get(AwardRegistration, registration_id)
    assert registration.status == "submitted" and registration.decided_at is None
    assert registration.total_units == 45_000
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0

    # Opened again, the page carries revision 2 and the decision goes through.
    page = staff.get("/awards/review").get_data(as_text=True)
    assert re.findall(r'name="revision" value="(\d+)"', page) == ["2"]
    staff.post(f"/awards/review/{registration_id}", data={"decision": "verify", "revision": "2"})
    db.session.expire_all()
    assert db.session.get(AwardRegistration, registration_id).status == "verified"


def test_decision_without_the_revision_is_refused(app, client, login, login_as):
    support.seed_levels()
    login_as("member")
    assert client.post("/awards/register", data=support.form()).status_code == 302
    registration_id = db.session.scalar(select(AwardRegistration.id))
    admin = factories.user("admin")
    db.session.commit()
    staff = login(admin, as_client=app.test_client())
    response = staff.post(
        f"/awards/review/{registration_id}", data={"decision": "verify"}, follow_redirects=True
    )
    assert "Choose a decision" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AwardRegistration, registration_id).status == "submitted"
