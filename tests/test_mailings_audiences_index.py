"""Stored filters that are no longer valid never give a 500 (audiences index, audience page,
edit, export, mailing page, preview, scheduling) and reach nobody; the audiences index counts
at most one page of audiences per load."""

import pytest
from sqlalchemy import event, select

from crm.extensions import db
from crm.mailings import audience_services, mailing_states
from crm.mailings.audience_models import Audience
from crm.mailings.models import Delivery, MailingKind
from tests import factories
from tests.test_mailings_compose import draft

REASON = "this audience&#39;s filters are no longer valid"


@pytest.fixture(params=["removed value", "wrong shape", "not an object"])
def broken(request):
    """A segment saved when its filters were valid; a value has since become invalid."""
    org = factories.organisation("Still Here")
    factories.membership(org)
    factories.person(org, "still@here.example")
    audience = audience_services.create_audience(
        {"name": "Once valid", "filters": {"include": {"org_kinds": ["label"]}}}
    )
    audience.filters = {
        "removed value": {"include": {"org_kinds": ["record_shop"]}, "exclude": {}},
        "wrong shape": {"include": {"countries": 5}, "exclude": {"list_ids": {"a": 1}}},
        "not an object": ["include"],
    }[request.param]
    db.session.commit()
    return audience


def test_audience_pages_show_the_reason_and_count_nobody(broken, client, login_as):
    login_as("comms")
    index = client.get("/mailings/audiences")
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    assert "Once valid" in page and REASON[1:] in page
    assert '<td class="text-end">0</td>' in page
    response = client.get(f"/mailings/audiences/{broken.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert REASON[1:] in page and "0 people reached" in page
    assert client.get(f"/mailings/audiences/{broken.id}/edit").status_code == 200
    export = client.get(f"/mailings/audiences/{broken.id}/export.csv", follow_redirects=True)
    assert export.status_code == 200 and REASON[1:] in export.get_data(as_text=True)


def test_a_mailing_to_it_fails_preflight_and_is_not_scheduled(broken, client, login_as):
    mailing = draft(broken, kind=MailingKind.MEMBER_UPDATE)
    login_as("comms")
    page = client.get(f"/mailings/{mailing.id}")
    assert page.status_code == 200
    assert "“Once valid”: " + REASON in page.get_data(as_text=True)
    assert client.get(f"/mailings/{mailing.id}/preview").status_code == 200
    response = client.post(f"/mailings/{mailing.id}/schedule", data={"when": "now"})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert mailing.status == "draft"
    assert db.session.scalar(select(Delivery.id).where(Delivery.mailing_id == mailing.id)) is None
    with pytest.raises(mailing_states.PreflightFailed, match="no longer valid"):
        mailing_states.schedule(mailing)
    db.session.rollback()


def test_the_index_counts_one_page_of_audiences_at_a_time(client, login_as):
    org = factories.organisation("Counted")
    factories.membership(org)
    factories.person(org, "counted@example.org")
    for n in range(25):
        audience_services.create_audience(
            {"name": f"Segment {n:02d}", "filters": {"include": {"countries": ["DE"]}}}
        )
    db.session.commit()
    login_as("officer")
    counts = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if "person.email_key" in statement:  # a recipients statement (count or rows)
            counts.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        first = client.get("/mailings/audiences").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert len(counts) == 20
    assert first.count('<td class="text-end">1</td>') == 20
    assert "Segment 19" in first and "Segment 20" not in first
    assert "25 audiences, page 1 of 2" in first
    second = client.get("/mailings/audiences?page=2").get_data(as_text=True)
    assert second.count('<td class="text-end">1</td>') == 5 and "Segment 24" in second
    assert db.session.scalar(select(Audience.id).where(Audience.name == "Segment 24"))
