"""One-click unsubscribe: GET asks and changes nothing (mail scanners follow links), POST
suppresses at once, without cookies or a CSRF token (RFC 8058), idempotently; bad links 404."""

import pytest

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.mailings import consent, worker
from crm.mailings.audience_models import Consent, Suppression
from crm.mailings.models import Delivery
from crm.mailings.tokens import unsubscribe_token
from tests import factories
from tests.test_mail_worker import make_mailing

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def reader():
    """A person who consented to the newsletter, and a mailing to them still queued."""
    person = factories.person(factories.organisation(), email="Reader0@Example.org")
    consent.record_consent(
        person, "newsletter", True, basis="consent", source="test", wording_version="w1"
    )
    db.session.commit()
    return person


@pytest.fixture
def csrf_client(make_app):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def _suppression(key="reader0@example.org"):
    db.session.expire_all()
    return db.session.scalar(db.select(Suppression).where(Suppression.email_key == key))


def _state():
    """Everything an unsubscribe could change, to compare before and after."""
    db.session.expire_all()
    return (
        db.session.scalar(db.select(db.func.count()).select_from(Suppression)),
        [(c.purpose, c.granted) for c in db.session.scalars(db.select(Consent))],
        db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)),
        sorted(db.session.scalars(db.select(Delivery.status))),
    )


def test_get_shows_the_question_and_changes_nothing(client, reader):
    mailing = make_mailing(1)
    token = unsubscribe_token("reader0@example.org", "newsletter", mailing.id)
    before = _state()
    page = client.get(f"/u/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "r***@example.org" in html and "reader0@example.org" not in html
    assert "newsletter" in html
    assert 'method="post"' in html and ">Unsubscribe</button>" in html
    assert f"/preferences/{token}" in html
    client.get(f"/preferences/{token}")
    client.head(f"/u/{token}")
    assert _state() == before


def test_one_click_post_without_cookies_or_csrf_suppresses_at_once(csrf_client, reader):
    mailing = make_mailing(2)
    token = unsubscribe_token("reader0@example.org", "newsletter", mailing.id)
    response = csrf_client.post(f"/u/{token}", data=ONE_CLICK)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    entry = _suppression()
    assert (entry.reason, entry.source, entry.mailing_id) == (
        "unsubscribed",
        "one-click",
        mailing.id,
    )
    assert consent.is_suppressed("reader0@example.org")
    answer = db.session.scalar(db.select(Consent).where(Consent.person_id == reader.id))
    assert answer.granted is False and answer.source == "one-click"
    # The queued copy to that reader is cancelled; the other reader's is not.
    rows = dict(db.session.execute(db.select(Delivery.to_email, Delivery.status)).all())
    assert rows == {"reader0@example.org": "cancelled", "reader1@example.org": "queued"}


def test_the_pages_button_unsubscribes_as_the_page(client, reader):
    token = unsubscribe_token("reader0@example.org", "newsletter", None)
    assert client.post(f"/u/{token}", data={"confirm": "1"}).status_code == 200
    assert _suppression().source == "unsubscribe page"


def test_unsubscribing_twice_changes_nothing_more(client, reader):
    token = unsubscribe_token("reader0@example.org", "newsletter", None)
    client.post(f"/u/{token}", data=ONE_CLICK)
    after_first = _state()
    assert client.post(f"/u/{token}", data=ONE_CLICK).status_code == 200
    assert _state() == after_first
    page = client.get(f"/u/{token}").get_data(as_text=True)
    assert "already unsubscribed" in page


def test_a_stronger_reason_is_kept(client, reader):
    consent.suppress("reader0@example.org", "hard_bounce", source="bounce 5.1.1")
    db.session.commit()
    token = unsubscribe_token("reader0@example.org", "newsletter", None)
    assert client.post(f"/u/{token}", data=ONE_CLICK).status_code == 200
    assert _suppression().reason == "hard_bounce"


def test_an_address_we_hold_no_person_for_is_suppressed_too(client):
    token = unsubscribe_token("stranger@example.org", "press_releases", None)
    assert client.post(f"/u/{token}", data=ONE_CLICK).status_code == 200
    assert _suppression("stranger@example.org").reason == "unsubscribed"


def test_a_deleted_mailing_in_the_link_does_not_matter(client, reader):
    token = unsubscribe_token("reader0@example.org", "newsletter", 999_999)
    assert client.post(f"/u/{token}", data=ONE_CLICK).status_code == 200
    assert _suppression().mailing_id is None


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "not.a.token",
        "eyJlIjoiYUBiLmMifQ",  # unsigned
        "eyJlIjoiYUBiLmMiLCJwIjoibmV3c2xldHRlciIsIm0iOm51bGx9.forged",
        "a" * 2000,
    ],
)
def test_a_link_that_is_not_ours_is_a_404_page(client, token):
    for method in ("GET", "POST"):
        response = client.open(f"/u/{token}", method=method, data=ONE_CLICK)
        assert response.status_code == 404, method
        assert "not recognised" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Suppression)) == 0


def test_a_signed_link_with_a_strange_address_is_refused_not_a_500(client):
    token = unsubscribe_token("no-at-sign", "newsletter", None)
    assert client.post(f"/u/{token}", data=ONE_CLICK).status_code == 404


def test_the_link_in_a_sent_mailing_unsubscribes_its_reader(client, smtp_server, reader):
    make_mailing(1)
    worker.run(drain=True)
    [message] = smtp_server.messages
    url = message["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    assert _suppression() is None  # a scanner following the link unsubscribes no one
    assert client.post(f"/{path}", data=ONE_CLICK).status_code == 200
    assert _suppression().reason == "unsubscribed"


def test_refused_links_are_rate_limited_but_genuine_ones_are_not(make_limited_app):
    app = make_limited_app(UNSUBSCRIBE_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with app.app_context():
        tokens = [unsubscribe_token(f"r{i}@example.org", "newsletter", None) for i in range(4)]
    for token in tokens:  # genuine one-click POSTs (a mail provider's servers) all go through
        assert client.post(f"/u/{token}", data=ONE_CLICK).status_code == 200
    assert client.post("/u/bad", data=ONE_CLICK).status_code == 404
    assert client.post("/u/bad", data=ONE_CLICK).status_code == 404
    assert client.post("/u/bad", data=ONE_CLICK).status_code == 429
