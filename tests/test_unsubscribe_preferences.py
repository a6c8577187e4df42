"""The preference centre: each purpose as it stands for the address's person, changed by a
CSRF-checked POST that records consent from the "preference centre" with its wording version;
a person who unsubscribed can come back, a bounced or complained address cannot from here."""

import re

import pytest

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Consent, Suppression
from crm.mailings.tokens import unsubscribe_token
from crm.mailings.unsubscribe import WORDING_VERSION
from tests import factories


@pytest.fixture
def person():
    organisation = factories.organisation()
    factories.membership(organisation)  # a current member: member communications reach it
    person = factories.person(organisation, email="pat@example.org")
    consent.record_consent(
        person, "newsletter", True, basis="consent", source="signup", wording_version="w1"
    )
    db.session.commit()
    return person


@pytest.fixture
def csrf_client(make_app):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def _url(email="pat@example.org"):
    return f"/preferences/{unsubscribe_token(email, 'newsletter', None)}"


def _checked(html):
    """purpose -> ticked, as the page shows them."""
    boxes = re.findall(r'<input([^>]*name="purpose_(\w+)"[^>]*)>', html)
    return {name: "checked" in attrs for attrs, name in boxes}


def _token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _answers(person):
    db.session.expire_all()
    rows = db.session.scalars(db.select(Consent).where(Consent.person_id == person.id))
    return {row.purpose: row for row in rows}


def test_the_page_shows_each_purpose_as_it_stands(client, person):
    html = client.get(_url()).get_data(as_text=True)
    assert "p***@example.org" in html
    # Newsletter granted; member communications rests on legitimate interest (yes until
    # withdrawn); press releases and campaign updates need a consent that was never given.
    assert _checked(html) == {
        "member_communications": True,
        "newsletter": True,
        "press_releases": False,
        "campaign_updates": False,
    }


def test_member_communications_show_as_not_received_outside_membership(client):
    factories.person(factories.organisation(), email="pat@example.org")
    db.session.commit()
    assert _checked(client.get(_url()).get_data(as_text=True))["member_communications"] is False


def test_changes_are_recorded_as_consent_from_the_preference_centre(csrf_client, person):
    html = csrf_client.get(_url()).get_data(as_text=True)
    form = {
        "csrf_token": _token(html),
        "purpose_member_communications": "y",
        "purpose_press_releases": "y",
    }
    response = csrf_client.post(_url(), data=form)
    assert response.status_code == 200
    assert "Saved." in response.get_data(as_text=True)
    answers = _answers(person)
    assert answers["newsletter"].granted is False
    assert answers["press_releases"].granted is True
    assert answers["press_releases"].basis == "consent"
    for purpose in ("newsletter", "press_releases"):
        assert answers[purpose].source == "preference centre"
        assert answers[purpose].wording_version == WORDING_VERSION
        assert answers[purpose].wording
    assert "member_communications" not in answers  # unchanged, nothing recorded
    assert _checked(response.get_data(as_text=True))["press_releases"] is True


def test_a_post_without_the_csrf_token_is_refused(csrf_client, person):
    response = csrf_client.post(_url(), data={"purpose_press_releases": "y"})
    assert response.status_code == 400
    assert "press_releases" not in _answers(person)


def test_someone_who_unsubscribed_can_come_back(client, person):
    consent.suppress("pat@example.org", "unsubscribed", source="one-click")
    db.session.commit()
    html = client.get(_url()).get_data(as_text=True)
    assert 'name="resubscribe"' in html
    form = {"resubscribe": "y", "purpose_newsletter": "y", "purpose_member_communications": "y"}
    assert client.post(_url(), data=form).status_code == 200
    assert not consent.is_suppressed("pat@example.org")
    lifted = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.entity_type == "suppression", AuditEvent.action == "delete"
        )
    )
    assert lifted is not None


def test_a_bounced_address_cannot_be_lifted_from_here(client, person):
    consent.suppress("pat@example.org", "complaint", source="feedback report")
    db.session.commit()
    html = client.get(_url()).get_data(as_text=True)
    assert 'name="resubscribe"' not in html and "reported as unwanted" in html
    client.post(_url(), data={"resubscribe": "y", "purpose_newsletter": "y"})
    db.session.expire_all()
    assert db.session.scalar(db.select(Suppression.reason)) == "complaint"


def test_an_address_without_a_person_shows_its_suppression_only(client):
    consent.suppress("nobody@example.org", "unsubscribed", source="one-click")
    db.session.commit()
    html = client.get(_url("nobody@example.org")).get_data(as_text=True)
    assert _checked(html) == {} and 'name="resubscribe"' in html
    client.post(_url("nobody@example.org"), data={"resubscribe": "y"})
    assert not consent.is_suppressed("nobody@example.org")


def test_get_changes_nothing_and_a_bad_link_is_a_404(client, person):
    before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    client.get(_url())
    client.head(_url())
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == before
    assert client.get("/preferences/forged").status_code == 404
    assert client.post("/preferences/forged", data={"resubscribe": "y"}).status_code == 404


def test_preference_posts_are_rate_limited(make_limited_app):
    app = make_limited_app(UNSUBSCRIBE_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with app.app_context():
        url = _url("someone@example.org")
    assert [client.post(url).status_code for _ in range(3)] == [200, 200, 429]
