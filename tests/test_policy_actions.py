"""The action log: logging with prefilled subjects and participants, the email fallback, edits,
deletes, the audit trail, role rules, timelines on every linked record and who sees them."""

from datetime import date
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.policy.models import Action, ActionParticipant
from crm.policy.timeline import for_organisation, timeline_page, visible_to
from tests import factories
from tests import test_policy_actions_support as support
from tests.test_directory import count_queries


def _participants(action_id: int) -> set[tuple]:
    rows = db.session.execute(
        select(
            ActionParticipant.person_id,
            ActionParticipant.organisation_id,
            ActionParticipant.user_id,
        ).where(ActionParticipant.action_id == action_id)
    )
    return {tuple(r) for r in rows}


def _form(**overrides) -> dict:
    return {
        "kind": "meeting",
        "occurred_on": "2026-03-10",
        "title": "Met the rapporteur",
        **overrides,
    }


def test_new_action_is_prefilled_from_the_record_page(client, login_as):
    login_as("officer")
    prio = support.priority("Value gap")
    camp = support.campaign(prio, "Fair streaming")
    mep = support.stakeholder(first="Clara", last="Rapporteur")
    org = factories.organisation("Nordlicht Records")
    db.session.commit()
    page = client.get(
        f"/actions/new?campaign_id={camp.id}&person_id={mep.id}&organisation_id={org.id}"
    ).get_data(as_text=True)
    assert f'<option selected value="{camp.id}">' in page
    assert f'<option selected value="{prio.id}">' in page  # the campaign's priority
    assert f'value="person:{mep.id}" checked' in page and "Clara Rapporteur" in page
    assert f'value="organisation:{org.id}" checked' in page and "Nordlicht Records" in page
    assert f'value="{date.today().isoformat()}"' in page
    # Ids that are not ours, or not numbers, are ignored rather than failing.
    assert client.get("/actions/new?campaign_id=999999999999&person_id=x").status_code == 200


def test_log_an_action_with_participants_and_follow_up(client, login_as):
    officer = login_as("officer")
    prio = support.priority()
    dos = support.dossier(prio, "AI Act", "2021/0106(COD)")
    mep = support.stakeholder()
    org = factories.organisation()
    db.session.commit()
    response = client.post(
        "/actions/new",
        data=_form(
            participant=[f"person:{mep.id}", f"organisation:{org.id}", f"user:{officer.id}"],
            dossier_id=str(dos.id),
            summary="Asked for transparency of training data.",
            shared_with_members="y",
            followup_note="Send our position paper",
            followup_due_on="2026-03-17",
        ),
    )
    assert response.status_code == 302
    action = db.session.scalar(select(Action))
    assert response.headers["Location"].endswith(f"/actions/{action.id}")
    assert action.dossier_id == dos.id and action.priority_id == prio.id  # filled from dossier
    assert action.logged_by_id == officer.id and action.shared_with_members is True
    # A follow-up without an assignee goes to whoever logged it.
    assert action.followup_assignee_id == officer.id
    assert _participants(action.id) == {
        (mep.id, None, None),
        (None, org.id, None),
        (None, None, officer.id),
    }
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "action"))
    assert event.action == "create" and event.entity_id == action.id
    assert sorted(event.after["participants"]) == sorted(
        [f"person:{mep.id}", f"organisation:{org.id}", f"user:{officer.id}"]
    )
    page = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Send our position paper" in page and "AI Act" in page


def test_participants_by_email_without_javascript(client, login_as):
    login_as("admin")
    mep = support.stakeholder(email="clara.mep@europarl.example")
    contact = factories.person(factories.organisation(), email="anna@label.example")
    colleague = factories.user("officer", email="colleague@indiemusic.example")
    db.session.commit()
    emails = "Clara.MEP@europarl.example\n  anna@label.example \n\ncolleague@indiemusic.example"
    response = client.post("/actions/new", data=_form(participant_emails=emails))
    assert response.status_code == 302
    action = db.session.scalar(select(Action))
    assert _participants(action.id) == {
        (mep.id, None, None),
        (contact.id, None, None),
        (None, None, colleague.id),
    }


def test_unknown_emails_are_field_errors_and_nothing_is_saved(client, login_as):
    login_as("officer")
    support.stakeholder(email="known@europarl.example")
    db.session.commit()
    response = client.post(
        "/actions/new",
        data=_form(participant_emails="known@europarl.example\nnobody@nowhere.example"),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No person or user has this email: nobody@nowhere.example" in page
    assert "invalid-feedback" in page
    assert db.session.scalar(select(Action)) is None


def test_refused_input_is_shown_on_its_field(client, login_as):
    login_as("officer")
    prio, other = support.priority(), support.priority()
    camp = support.campaign(other)
    db.session.commit()
    cases = [
        _form(priority_id=str(prio.id), campaign_id=str(camp.id)),  # campaign of another priority
        _form(occurred_on="2026-02-30"),
        _form(title="   "),
        _form(kind="lunch"),
        _form(followup_note="Call back"),  # a follow-up needs a due date
        _form(participant=["person:999999"]),
        _form(participant=["robot:1"]),
        _form(campaign_id="abc"),
    ]
    for data in cases:
        response = client.post("/actions/new", data=data)
        assert response.status_code == 200, data
        assert "invalid-feedback" in response.get_data(as_text=True), data
    assert db.session.scalar(select(Action)) is None


def test_edit_changes_fields_and_participants_and_is_audited(client, login_as):
    login_as("officer")
    mep, journalist = support.stakeholder(), support.stakeholder(kind="journalist")
    action = support.log("First title", people=[mep])
    db.session.commit()
    form = client.get(f"/actions/{action.id}/edit").get_data(as_text=True)
    assert f'value="person:{mep.id}" checked' in form and "First title" in form
    response = client.post(
        f"/actions/{action.id}/edit",
        data=_form(title="Second title", kind="call", participant=[f"person:{journalist.id}"]),
    )
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert action.title == "Second title" and action.kind == "call"
    assert _participants(action.id) == {(journalist.id, None, None)}
    update = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "action", AuditEvent.action == "update")
    )
    assert update.before["title"] == "First title" and update.after["title"] == "Second title"
    assert update.before["participants"] == [f"person:{mep.id}"]


def test_delete_removes_the_action_and_its_participants(client, login_as):
    login_as("admin")
    action = support.log(people=[support.stakeholder()])
    db.session.commit()
    assert client.post(f"/actions/{action.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Action)) is None
    assert db.session.scalar(select(ActionParticipant)) is None
    assert db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.entity_type == "action", AuditEvent.action == "delete"
        )
    )


def test_comms_reads_but_changes_nothing(client, login_as):
    login_as("comms")
    action = support.log("Read only")
    db.session.commit()
    assert client.get(f"/actions/{action.id}").status_code == 200
    page = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Read only" in page and "/edit" not in page
    assert client.get("/actions/new").status_code == 403
    assert client.post("/actions/new", data=_form()).status_code == 403
    assert client.post(f"/actions/{action.id}/edit", data=_form(title="x")).status_code == 403
    assert client.post(f"/actions/{action.id}/delete").status_code == 403
    assert client.post(f"/actions/{action.id}/follow-up/done").status_code == 403
    assert client.get("/actions/participants.json?q=ab").status_code == 200
    assert db.session.get(Action, action.id).title == "Read only"


POLICY_PAGES = [
    ("GET", "/actions/new"),
    ("POST", "/actions/new"),
    ("GET", "/actions/{id}"),
    ("GET", "/actions/{id}/edit"),
    ("POST", "/actions/{id}/delete"),
    ("POST", "/actions/{id}/follow-up/done"),
    ("GET", "/actions/participants.json?q=ma"),
    ("GET", "/follow-ups"),
    ("GET", "/reports"),
    ("GET", "/reports/eu-meetings?date_from=2026-01-01&date_to=2026-12-31"),
    ("GET", "/reports/eu-meetings.csv?date_from=2026-01-01&date_to=2026-12-31"),
    ("GET", "/reports/actions-by-priority"),
    ("GET", "/reports/campaigns/{campaign}"),
]


@pytest.mark.parametrize("role", ["association", "member"])
def test_member_and_association_users_get_403_on_every_action_route(client, login_as, role):
    login_as(role)
    camp = support.campaign(support.priority())
    action = support.log(shared_with_members=True, campaign_id=camp.id)
    db.session.commit()
    for method, pattern in POLICY_PAGES:
        url = pattern.format(id=action.id, campaign=camp.id)
        assert client.open(url, method=method).status_code == 403, url
    assert db.session.get(Action, action.id) is not None


def test_participant_search_finds_people_organisations_and_staff(client, login_as):
    login_as("officer")
    support.stakeholder(first="Marta", last="Kowalska", email="marta@europarl.example")
    factories.organisation("Martello Music")
    factories.user("comms", email="martin@indiemusic.example")
    factories.user("member", email="marvin@label.example")  # not staff: not offered
    db.session.commit()
    results = client.get("/actions/participants.json?q=mar").get_json()["results"]
    labels = {r["label"] for r in results}
    assert "Marta Kowalska" in labels
    assert "Martello Music" in labels
    assert "martin@indiemusic.example (staff)" in labels
    assert not any("marvin" in label for label in labels)
    assert all(":" in r["token"] for r in results)
    assert client.get("/actions/participants.json?q=%25_").get_json()["results"] == []
    assert client.get("/actions/participants.json?q=m").get_json()["results"] == []


# --- timelines ------------------------------------------------------------------------------


def test_an_action_shows_on_every_record_it_is_linked_to(client, login_as):
    login_as("comms")
    prio = support.priority("Value gap")
    other_prio = support.priority("VAT on music")
    camp = support.campaign(prio, "Fair streaming")
    dos = support.dossier(prio, "Copyright directive")
    mep = support.stakeholder(first="Clara", last="Linked")
    profile_id = db.session.scalar(
        select(support.StakeholderProfile.id).where(support.StakeholderProfile.person_id == mep.id)
    )
    org = factories.organisation("Linked Records")
    contact = factories.person(org)
    support.log(
        "The linked meeting", people=[mep], orgs=[org], campaign_id=camp.id, dossier_id=dos.id
    )
    support.log("Only through the campaign", campaign_id=camp.id)
    support.log("Only through a contact", people=[contact])
    support.log("Unrelated", priority_id=other_prio.id)
    db.session.commit()
    pages = {
        f"/priorities/{prio.id}": {"The linked meeting", "Only through the campaign"},
        f"/campaigns/{camp.id}": {"The linked meeting", "Only through the campaign"},
        f"/dossiers/{dos.id}": {"The linked meeting"},
        f"/stakeholders/{profile_id}": {"The linked meeting"},
        f"/organisations/{org.id}": {"The linked meeting", "Only through a contact"},
        f"/priorities/{other_prio.id}": {"Unrelated"},
    }
    titles = {
        "The linked meeting",
        "Only through the campaign",
        "Only through a contact",
        "Unrelated",
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        timeline = response.get_data(as_text=True).split('class="timeline', 1)[1]
        shown = {title for title in titles if f">{title}<" in timeline}
        assert shown == expected, url


def test_members_see_only_shared_actions_they_took_part_in(app, login):
    association = factories.association("VUT")
    org = factories.organisation("Member Records", association_id=association.id)
    sibling = factories.organisation("Sibling Records", association_id=association.id)
    contact = factories.person(org)
    mep = support.stakeholder()
    support.log("Shared, we took part", orgs=[org], people=[mep], shared_with_members=True)
    support.log("Shared, our contact took part", people=[contact], shared_with_members=True)
    support.log("Not shared", orgs=[org], shared_with_members=False)
    support.log("Shared, only the sibling", orgs=[sibling], shared_with_members=True)
    member = factories.user("member", organisation=org)
    assoc_user = factories.user("association", organisation=association)
    officer = factories.user("officer")
    db.session.commit()

    def timeline(user, org_id):
        client = login(user, app.test_client())
        response = client.get(f"/organisations/{org_id}")
        assert response.status_code == 200
        return response.get_data(as_text=True).split('class="timeline', 1)[1]

    member_view = timeline(member, org.id)
    assert "Shared, we took part" in member_view and "Shared, our contact took part" in member_view
    assert "Not shared" not in member_view and "Shared, only the sibling" not in member_view
    assert "/actions/" not in member_view  # no links to pages they may not open
    association_view = timeline(assoc_user, sibling.id)
    assert "Shared, only the sibling" in association_view and "Not shared" not in association_view
    officer_view = timeline(officer, org.id)
    assert "Not shared" in officer_view and "Shared, we took part" in officer_view

    # The rule itself, as a query: what each user may see of the organisation's timeline.
    def titles(user):
        stmt = visible_to(for_organisation(org.id), user)
        return set(db.session.scalars(stmt.with_only_columns(Action.title)))

    assert titles(member) == {"Shared, we took part", "Shared, our contact took part"}
    assert titles(assoc_user) == titles(member)
    assert titles(officer) == titles(member) | {"Not shared"}


def test_organisation_page_statements_do_not_grow_with_its_actions(client, login_as):
    login_as("admin")
    prio = support.priority()
    camp = support.campaign(prio)
    org = factories.organisation("Busy Records")
    people = [factories.person(org) for _ in range(3)]
    mep = support.stakeholder()

    def add(count, start):
        db.session.add_all(
            Action(
                kind="meeting",
                occurred_on=date(2025, 1, 1 + n % 28),
                title=f"Action {start + n}",
                campaign_id=camp.id,
                priority_id=prio.id,
                participants=[
                    ActionParticipant(organisation_id=org.id),
                    ActionParticipant(person_id=people[n % 3].id),
                    ActionParticipant(person_id=mep.id),
                ],
            )
            for n in range(count)
        )
        db.session.commit()

    counts = []
    for total in (120, 400):
        add(total - (120 if counts else 0), 0 if not counts else 120)
        db.session.expire_all()
        with count_queries() as statements:
            response = client.get(f"/organisations/{org.id}")
        assert response.status_code == 200
        assert f"{total} actions" in response.get_data(as_text=True)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_timeline_pages(client, login_as):
    user = login_as("officer")
    org = factories.organisation()
    for n in range(30):
        support.log(f"Numbered {n:02d}", orgs=[org], on=date(2026, 1, 1 + n))
    db.session.commit()
    page = timeline_page(for_organisation(org.id), user, page=2)
    assert page.total == 30 and [a.title for a in page.items][:1] == ["Numbered 04"]
    html = client.get(f"/organisations/{org.id}?tpage=2").get_data(as_text=True)
    assert "Numbered 04" in html and "Numbered 29" not in html
    assert client.get(f"/organisations/{org.id}?tpage=-4").status_code == 200


UNSAFE_NEXT = ("/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example")


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_next_never_leaves_the_site(client, login_as, target):
    me = login_as("officer")
    action = support.log("Chase", followup_due_on=date(2026, 6, 1), followup_assignee_id=me.id)
    db.session.commit()
    page = client.get(f"/actions/new?next={target}").get_data(as_text=True)
    assert "evil.example" not in page  # no Cancel link to it
    response = client.post(f"/actions/new?next={target}", data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/actions/")
    response = client.post(f"/actions/{action.id}/follow-up/done", data={"next": unquote(target)})
    assert response.headers["Location"] == "/follow-ups"


def test_next_within_the_site_is_followed(client, login_as):
    login_as("officer")
    db.session.commit()
    response = client.post("/actions/new?next=/follow-ups?x=1", data=_form())
    assert response.headers["Location"] == "/follow-ups?x=1"


def test_a_follow_up_added_on_edit_goes_to_the_editor(client, login_as):
    editor = login_as("officer")
    action = support.log("No follow-up yet")
    db.session.commit()
    response = client.post(
        f"/actions/{action.id}/edit",
        data=_form(followup_note="Send the paper", followup_due_on="2026-04-01"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Action, action.id).followup_assignee_id == editor.id
    assert "Send the paper" in client.get("/follow-ups").get_data(as_text=True)


def test_moving_a_dossier_or_campaign_moves_its_actions(client, login_as):
    from crm.policy import services as policy_services
    from crm.policy import services_campaigns

    login_as("officer")
    old, new = support.priority("Old"), support.priority("New")
    dos, camp = support.dossier(old, "AI Act"), support.campaign(old, "Fair streaming")
    on_dossier = support.log("On the dossier", dossier_id=dos.id)
    on_campaign = support.log("On the campaign", campaign_id=camp.id)
    elsewhere = support.log("Elsewhere", priority_id=old.id)
    db.session.commit()
    response = client.post(
        f"/dossiers/{dos.id}/edit",
        data={"priority_id": new.id, "title": dos.title, "stage": dos.stage or "proposal"},
    )
    assert response.status_code == 302
    services_campaigns.update_campaign(camp, {"priority_id": new.id})
    policy_services.update_dossier(dos, {"title": "AI Act, renamed"})  # no move: no event
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Action, on_dossier.id).priority_id == new.id
    assert db.session.get(Action, on_campaign.id).priority_id == new.id
    assert db.session.get(Action, elsewhere.id).priority_id == old.id
    moved = db.session.scalars(
        select(AuditEvent).where(AuditEvent.summary.like("Moved %")).order_by(AuditEvent.id)
    ).all()
    assert [(e.entity_type, e.entity_id, e.after["actions_moved"]) for e in moved] == [
        ("dossier", dos.id, 1),
        ("campaign", camp.id, 1),
    ]
    # The moved action can be edited again without "belongs to another priority".
    response = client.post(
        f"/actions/{on_dossier.id}/edit",
        data=_form(dossier_id=str(dos.id), priority_id=str(new.id)),
    )
    assert response.status_code == 302


def test_only_staff_users_take_part_as_users(client, login_as):
    login_as("officer")
    member = factories.user("member", email="member-user@label.example")
    association = factories.user("association")
    comms = factories.user("comms")
    db.session.commit()
    for data in (
        _form(participant=[f"user:{member.id}"]),
        _form(participant=[f"user:{association.id}"]),
        _form(participant=["user:999999"]),
        _form(participant_emails="member-user@label.example"),
    ):
        response = client.post("/actions/new", data=data)
        assert response.status_code == 200, data
        assert "invalid-feedback" in response.get_data(as_text=True), data
    assert db.session.scalar(select(Action)) is None
    response = client.post("/actions/new", data=_form(participant=[f"user:{comms.id}"]))
    assert response.status_code == 302
    assert _participants(db.session.scalar(select(Action.id))) == {(None, None, comms.id)}


def test_timeline_pager_leads_to_the_record_page_after_a_refused_form(client, login_as):
    login_as("officer")
    prio = support.priority()
    dos = support.dossier(prio, "AI Act")
    for n in range(30):
        support.log(f"Numbered {n:02d}", dossier_id=dos.id, on=date(2026, 1, 1 + n))
    db.session.commit()
    refused = client.post(f"/dossiers/{dos.id}/dates", data={"label": "", "due_on": "x"})
    assert refused.status_code in (200, 400)
    html = refused.get_data(as_text=True)
    older = f'href="/dossiers/{dos.id}?tpage=2"'
    assert older in html and f"/dossiers/{dos.id}/dates?tpage" not in html
    second = client.get(f"/dossiers/{dos.id}?tpage=2").get_data(as_text=True)
    assert "Numbered 04" in second and f'href="/dossiers/{dos.id}?tpage=1"' in second
    assert client.get(f"/dossiers/{dos.id}?tpage=2").status_code == 200
