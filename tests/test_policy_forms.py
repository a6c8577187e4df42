"""Whatever is posted to a policy form, the answer is a page with field errors, never a 500;
and comms, association and member users get 403 on every policy write."""

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.policy import services, services_campaigns, services_stakeholders
from crm.policy.models import Campaign, Dossier, Milestone, Priority, StakeholderProfile
from tests import factories

GARBAGE = {
    "title": "a" * 5000,
    "slug": "Not A Slug!",
    "summary": "=1+1",
    "owner_id": "abc",
    "status": "nonsense",
    "position": "-5",
    "priority_id": "x",
    "stage": "orbit",
    "kind": "<b>",
    "starts_on": "2025-13-40",
    "ends_on": "yesterday",
    "deadline": "soon",
    "happened_on": "2024-02-30",
    "first_name": "",
    "last_name": "=cmd|' /C calc'!A0",
    "email": "not-an-email",
    "phone": "call me",
    "organisation_id": "-1",
    "committees": ["CULT", "NOPE"],
    "political_group": "Pirates",
    "country": "XX",
    "url": "ftp://example.org",
    "label": "",
    "due_on": "31/31/2031",
}


@pytest.fixture
def records():
    priority = services.create_priority({"title": "Fuzz", "status": "active"})
    dossier = services.create_dossier(
        {"priority_id": priority.id, "title": "Fuzz dossier", "stage": "committee"}
    )
    campaign = services_campaigns.create_campaign(
        {
            "priority_id": priority.id,
            "title": "Fuzz letter",
            "kind": "joint_letter",
            "status": "active",
        }
    )
    signatory = services_campaigns.invite(campaign, factories.organisation().id).signatory
    profile = services_stakeholders.create_stakeholder(
        {"first_name": "F", "last_name": "Z", "kind": "mep"}
    )
    milestone = services.create_milestone({"happened_on": services_date(), "title": "M"})
    db.session.commit()
    return {
        "priority": priority.id,
        "dossier": dossier.id,
        "campaign": campaign.id,
        "signatory": signatory.id,
        "profile": profile.id,
        "milestone": milestone.id,
    }


def services_date():
    from datetime import date

    return date(2024, 1, 1)


def _form_urls(r):
    return [
        "/priorities/new",
        f"/priorities/{r['priority']}/edit",
        f"/priorities/{r['priority']}/documents/new",
        "/dossiers/new",
        f"/dossiers/{r['dossier']}/edit",
        f"/dossiers/{r['dossier']}/dates",
        "/stakeholders/new",
        f"/stakeholders/{r['profile']}/edit",
        "/campaigns/new",
        f"/campaigns/{r['campaign']}/edit",
        f"/campaigns/{r['campaign']}/invite",
        f"/signatories/{r['signatory']}/answer",
        "/milestones/new",
        f"/milestones/{r['milestone']}/edit",
    ]


def _counts():
    return [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Priority, Dossier, Campaign, StakeholderProfile, Milestone)
    ]


@pytest.mark.parametrize("data", [GARBAGE, {k: "" for k in GARBAGE}, {}])
def test_garbage_gives_field_errors_not_500(client, login_as, records, data):
    login_as("officer")
    before = _counts()
    urls = _form_urls(records)
    if not data:
        # An empty POST to an edit page keeps the record's values (Flask-WTF reads no form
        # data then), so only the pages that create something must refuse it.
        urls = [u for u in urls if u.endswith(("/new", "/dates", "/invite"))]
    for url in urls:
        response = client.post(url, data=data)
        assert response.status_code == 200, (url, response.status_code)
        page = response.get_data(as_text=True)
        assert "invalid-feedback" in page or "alert-danger" in page, url
    assert _counts() == before


@pytest.mark.parametrize("role", ["comms", "association", "member"])
def test_non_editors_get_403_on_every_policy_write(client, login_as, records, role):
    login_as(role)
    posts = _form_urls(records) + [
        f"/milestones/{records['milestone']}/publish",
    ]
    for url in posts:
        assert client.post(url, data={"title": "x"}).status_code == 403, url
    if role != "comms":
        for url in (
            "/priorities",
            "/dossiers",
            "/stakeholders",
            "/campaigns",
            "/milestones/manage",
            f"/campaigns/{records['campaign']}",
        ):
            assert client.get(url).status_code == 403, url
