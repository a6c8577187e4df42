"""Campaign pages and joint letters: inviting co-signers (once), answers by staff and by the
member's own organisation until the deadline, the signatory list and its CSV."""

import csv
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.policy import services, services_campaigns
from crm.policy.models import JointLetterSignatory
from tests import factories


def _letter(deadline=None, **fields):
    priority = services.create_priority({"title": "VAT on music", "status": "active"})
    campaign = services_campaigns.create_campaign(
        {
            "priority_id": priority.id,
            "title": "Reduced VAT for music",
            "kind": "joint_letter",
            "status": "active",
            "deadline": deadline,
            "letter_text": "Dear Ministers,\nPlease.",
            **fields,
        }
    )
    db.session.commit()
    return campaign


def _signatory(campaign, org):
    return db.session.scalar(
        select(JointLetterSignatory).where(
            JointLetterSignatory.campaign_id == campaign.id,
            JointLetterSignatory.organisation_id == org.id,
        )
    )


def test_campaign_page_has_its_sections(client, login_as):
    login_as("comms")
    campaign = _letter(results="Three ministers replied")
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    for heading in ("Goals", "Joint letter", "Declarations", "Mailings", "Results"):
        assert f">{heading}</h2>" in page, heading
    assert 'id="timeline-heading"' in page
    assert "when the declarations feature arrives" in page
    assert "when the mailings feature arrives" in page
    assert "Three ministers replied" in page and "Dear Ministers,<br>Please." in page
    assert "Invite organisations" not in page  # comms reads only


def test_officer_invites_an_organisation_once(client, login_as):
    login_as("officer")
    campaign = _letter()
    org = factories.organisation("Nordlicht Tonträger", city="Berlin")
    db.session.commit()
    search = client.get(f"/campaigns/{campaign.id}/invite?q=nordlicht").get_data(as_text=True)
    assert "Nordlicht Tonträger" in search and 'name="organisation_id"' in search
    first = client.post(
        f"/campaigns/{campaign.id}/invite",
        data={"organisation_id": org.id},
        follow_redirects=True,
    )
    assert "Nordlicht Tonträger is invited to co-sign." in first.get_data(as_text=True)
    second = client.post(
        f"/campaigns/{campaign.id}/invite",
        data={"organisation_id": org.id},
        follow_redirects=True,
    )
    assert "was already invited (answer: invited); nothing changed." in second.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count()).select_from(JointLetterSignatory)) == 1
    assert "already invited" in client.get(f"/campaigns/{campaign.id}/invite?q=nordlicht").get_data(
        as_text=True
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "joint_letter_signatory")
    ).all()
    assert len(events) == 1 and events[0].organisation_id == org.id
    bad = client.post(f"/campaigns/{campaign.id}/invite", data={"organisation_id": "abc"})
    assert bad.status_code == 200 and "Organisation:" in bad.get_data(as_text=True)
    missing = client.post(f"/campaigns/{campaign.id}/invite", data={"organisation_id": 99999})
    assert missing.status_code == 200
    for number in ("99999999999999999999", "-1", "0"):
        huge = client.post(f"/campaigns/{campaign.id}/invite", data={"organisation_id": number})
        assert huge.status_code == 200 and "Organisation:" in huge.get_data(as_text=True)
    assert "Choose an organisation from the directory." in missing.get_data(as_text=True)


def test_staff_record_answers_and_counts_follow(client, login_as):
    login_as("officer")
    campaign = _letter()
    orgs = [factories.organisation(f"Label {n}") for n in range(3)]
    for org in orgs:
        services_campaigns.invite(campaign, org.id)
    db.session.commit()
    s0, s1 = _signatory(campaign, orgs[0]), _signatory(campaign, orgs[1])
    assert client.post(f"/signatories/{s0.id}/answer", data={"status": "agreed"}).status_code == 302
    assert (
        client.post(
            f"/signatories/{s1.id}/answer", data={"status": "declined", "note": "Board said no"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert s0.status == "agreed" and s0.responded_at is not None
    assert s1.note == "Board said no"
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<strong>agreed 1</strong>" in page and "declined 1" in page
    assert "no answer yet 1" in page
    bad = client.post(f"/signatories/{s0.id}/answer", data={"status": "maybe"})
    assert bad.status_code == 200 and "Not a valid choice." in bad.get_data(as_text=True)


def test_member_answers_its_own_invitation_until_the_deadline(app, client, login, login_as):
    campaign = _letter(deadline=date.today() + timedelta(days=3))
    member_org = factories.organisation("Our Label")
    other_org = factories.organisation("Their Label")
    services_campaigns.invite(campaign, member_org.id)
    services_campaigns.invite(campaign, other_org.id)
    db.session.commit()
    mine, theirs = _signatory(campaign, member_org), _signatory(campaign, other_org)
    login_as("member", organisation=member_org)

    org_page = client.get(f"/organisations/{member_org.id}").get_data(as_text=True)
    assert "/joint-letters" in org_page
    listing = client.get("/joint-letters").get_data(as_text=True)
    assert "Reduced VAT for music" in listing and f"/joint-letters/{theirs.id}" not in listing
    page = client.get(f"/joint-letters/{mine.id}").get_data(as_text=True)
    assert "Dear Ministers,<br>Please." in page
    # Another organisation's invitation: neither readable nor answerable.
    assert client.get(f"/joint-letters/{theirs.id}").status_code == 403
    assert client.post(f"/joint-letters/{theirs.id}", data={"status": "agreed"}).status_code == 403
    empty = client.post(f"/joint-letters/{mine.id}", data={})
    assert empty.status_code == 200 and "Choose an answer." in empty.get_data(as_text=True)
    response = client.post(f"/joint-letters/{mine.id}", data={"status": "agreed"})
    assert response.status_code == 302
    db.session.expire_all()
    assert mine.status == "agreed" and mine.responded_at is not None
    assert theirs.status == "invited"
    # Members may not set "invited" back, and staff pages stay closed to them.
    assert client.post(f"/joint-letters/{mine.id}", data={"status": "invited"}).status_code == 200
    assert client.get(f"/campaigns/{campaign.id}").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}/signatories").status_code == 403
    assert (
        client.post(f"/signatories/{mine.id}/answer", data={"status": "declined"}).status_code
        == 403
    )

    # After the deadline the answer is refused, clearly.
    campaign.deadline = date.today() - timedelta(days=1)
    db.session.commit()
    late = client.post(f"/joint-letters/{mine.id}", data={"status": "declined"})
    assert late.status_code == 200
    assert "answers are closed" in late.get_data(as_text=True)
    db.session.expire_all()
    assert mine.status == "agreed"


def test_association_users_do_not_see_invitations(client, login_as):
    campaign = _letter()
    org = factories.organisation("Some Label")
    signatory = services_campaigns.invite(campaign, org.id).signatory
    db.session.commit()
    login_as("association")
    assert client.get("/joint-letters").status_code == 403
    assert client.get(f"/joint-letters/{signatory.id}").status_code == 403


def test_signatory_list_and_formula_safe_csv(client, login_as):
    login_as("comms")
    campaign = _letter(deadline=date.today() - timedelta(days=10))
    rows = [
        ("Zeta Records", "DE", "agreed"),
        ("Alpha Music", "DE", "agreed"),
        ("=HYPERLINK(1)", "FR", "agreed"),
        ("Beats Oy", "FI", "agreed"),
        ("Declined Ltd", "AT", "declined"),
        ("Silent Label", "AT", "invited"),
    ]
    for name, country, status in rows:
        org = factories.organisation(name, country=country)
        signatory = services_campaigns.invite(campaign, org.id).signatory
        if status != "invited":
            services_campaigns.record_answer(signatory, status)
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}/signatories").get_data(as_text=True)
    assert "Declined Ltd" not in page and "Silent Label" not in page
    # Finland, France, Germany (by country name), then by name within a country.
    order = [page.index(n) for n in ("Beats Oy", "=HYPERLINK(1)", "Alpha Music", "Zeta Records")]
    assert order == sorted(order)
    response = client.get(f"/campaigns/{campaign.id}/signatories.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["organisation", "acronym", "country"]
    assert [r[0] for r in table[1:]] == [
        "Beats Oy",
        "'=HYPERLINK(1)",
        "Alpha Music",
        "Zeta Records",
    ]


def test_joint_letter_pages_are_404_for_other_campaigns(client, login_as):
    login_as("officer")
    priority = services.create_priority({"title": "Climate", "status": "active"})
    campaign = services_campaigns.create_campaign(
        {"priority_id": priority.id, "title": "Lobbying", "kind": "lobbying", "status": "active"}
    )
    db.session.commit()
    assert client.get(f"/campaigns/{campaign.id}/invite").status_code == 404
    assert client.get(f"/campaigns/{campaign.id}/signatories.csv").status_code == 404


def test_officer_creates_and_edits_a_campaign(client, login_as):
    officer = login_as("officer")
    priority = services.create_priority({"title": "Value gap", "status": "active"})
    db.session.commit()
    response = client.post(
        "/campaigns/new",
        data={
            "priority_id": priority.id,
            "title": "Value gap: fix it",
            "kind": "lobbying",
            "status": "active",
            "owner_id": officer.id,
            "starts_on": "2026-01-10",
        },
    )
    assert response.status_code == 302
    campaign = db.session.scalar(select(services_campaigns.Campaign))
    assert campaign.slug == "value-gap-fix-it"
    response = client.post(
        f"/campaigns/{campaign.id}/edit",
        data={
            "priority_id": priority.id,
            "title": campaign.title,
            "kind": "lobbying",
            "status": "closed",
            "starts_on": "2026-01-10",
            "ends_on": "2025-01-01",
        },
    )
    assert response.status_code == 200 and "The end is before the start." in response.get_data(
        as_text=True
    )
    response = client.post(
        f"/campaigns/{campaign.id}/edit",
        data={
            "priority_id": priority.id,
            "title": campaign.title,
            "kind": "lobbying",
            "status": "closed",
            "results": "Article 17 adopted",
        },
    )
    assert response.status_code == 302
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "campaign")
    ).all()
    assert sorted(actions) == ["create", "update"]
    assert campaign.title in client.get(f"/priorities/{priority.id}").get_data(as_text=True)


def test_staff_note_stays_staff_only_and_survives_an_empty_member_note(client, login_as):
    campaign = _letter(deadline=date.today() + timedelta(days=3))
    org = factories.organisation("Our Label")
    signatory = services_campaigns.invite(campaign, org.id).signatory
    services_campaigns.record_answer(signatory, "invited", "Chased by phone, CEO hesitant")
    db.session.commit()
    login_as("member", organisation=org)
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "CEO hesitant" not in page  # the audit trail hides the staff note
    response = client.post(f"/joint-letters/{signatory.id}", data={"status": "agreed", "note": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert signatory.status == "agreed" and signatory.note == "Chased by phone, CEO hesitant"
    client.post(f"/joint-letters/{signatory.id}", data={"status": "agreed", "note": "Happy to"})
    db.session.expire_all()
    assert signatory.note == "Happy to"


def test_members_no_longer_see_a_campaign_that_is_not_a_joint_letter_any_more(client, login_as):
    campaign = _letter()
    org = factories.organisation("Our Label")
    signatory = services_campaigns.invite(campaign, org.id).signatory
    services_campaigns.update_campaign(campaign, {"kind": "lobbying"})
    db.session.commit()
    login_as("member", organisation=org)
    assert "Reduced VAT for music" not in client.get("/joint-letters").get_data(as_text=True)
    assert client.get(f"/joint-letters/{signatory.id}").status_code == 404
    answer = client.post(f"/joint-letters/{signatory.id}", data={"status": "agreed"})
    assert answer.status_code == 404
    db.session.expire_all()
    assert signatory.status == "invited"
