"""Answering a request for more information: corrected figures or more statements at the same
level (or a higher one), a new revision, and the registration back in the review queue."""

import pytest
from sqlalchemy import func, select

from crm.awards import review
from crm.awards.models import AwardRegistration, AwardRevision
from crm.extensions import db
from crm.mailings.models import Delivery
from tests import test_awards_registration_support as support


@pytest.fixture
def asked(app, login_as, client):
    support.seed_levels()
    login_as("member")
    assert client.post("/awards/register", data=support.form()).status_code == 302
    registration = db.session.scalar(select(AwardRegistration))
    with app.test_request_context():
        review.request_info(registration, None, "Please add the French distributor statement.")
    db.session.commit()
    return registration.id


def _reload(registration_id):
    db.session.expire_all()
    return db.session.get(AwardRegistration, registration_id)


def test_the_mail_and_the_page_point_to_the_answer(asked, client):
    body = db.session.scalar(select(Delivery.text_body))
    assert "Answer and resubmit" in body and "correct the figures" in body
    page = client.get(f"/awards/registrations/{asked}").get_data(as_text=True)
    assert f'href="/awards/registrations/{asked}/raise"' in page
    assert "Answer and resubmit" in page
    form = client.get(f"/awards/registrations/{asked}/raise").get_data(as_text=True)
    assert "Please add the French distributor statement." in form
    assert 'value="12000"' in form and 'value="Resubmit"' in form


def test_answer_at_the_same_level_resubmits_with_a_new_revision(asked, client):
    data = support.form(
        units=(("DE", "12000"), ("FR", "9500")), files=[support.pdf("fr-statement.pdf")]
    )
    response = client.post(f"/awards/registrations/{asked}/raise", data=data)
    assert response.status_code == 302
    registration = _reload(asked)
    assert registration.status == "submitted"
    assert registration.total_units == 21_500 and registration.level.name == "Silver"
    assert [r.number for r in registration.revisions] == [1, 2]
    assert sorted(e.original_name for e in registration.evidence) == [
        "fr-statement.pdf",
        "statement.pdf",
    ]
    assert asked in [r.id for r in review.review_queue()]
    # Answered, the page offers a raise again (a higher level only), not an answer.
    page = client.get(f"/awards/registrations/{asked}").get_data(as_text=True)
    assert "Answer and resubmit" not in page and "Raise with new figures" in page
    again = client.get(f"/awards/registrations/{asked}/raise").get_data(as_text=True)
    assert "they must reach a higher level" in again


def test_answer_may_keep_the_statements_already_uploaded(asked, client):
    data = support.form(units=(("DE", "12500"), ("FR", "9000")), files=[])
    assert client.post(f"/awards/registrations/{asked}/raise", data=data).status_code == 302
    registration = _reload(asked)
    assert registration.status == "submitted" and registration.total_units == 21_500
    assert len(registration.evidence) == 1


def test_answer_below_the_level_applied_for_is_refused(asked, client):
    data = support.form(units=(("DE", "12000"), ("FR", "7000")))  # 19,000: below Silver
    response = client.post(f"/awards/registrations/{asked}/raise", data=data)
    assert response.status_code == 200
    assert "Nothing was saved" in response.get_data(as_text=True)
    registration = _reload(asked)
    assert registration.status == "info_requested" and registration.total_units == 21_000
    assert db.session.scalar(select(func.count()).select_from(AwardRevision)) == 1


def test_another_label_cannot_answer(asked, app, login):
    from tests import factories

    other = factories.user("member")
    db.session.commit()
    stranger = login(other, as_client=app.test_client())
    assert stranger.get(f"/awards/registrations/{asked}/raise").status_code == 403
