"""Every route in app.url_map: anonymous users are sent to login, wrong roles get 403, scoped
users reach only their own organisation's records."""

import pytest

from crm.extensions import db
from crm.members.models import Organisation, Person
from tests import factories

ALL = ("admin", "officer", "comms", "association", "member")
STAFF = ("admin", "officer", "comms")
EDITORS = ("admin", "officer")
PUBLIC = "public"
# Roles that pass the role check; "any" endpoints then check the object (see the tests below).
EXPECTED = {
    "static": PUBLIC,
    "health": PUBLIC,  # /healthz for load balancers: 200/503 and which backend is down, no data
    "bootstrap.static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "mailings.dev_mailbox": PUBLIC,  # development only: 404 in every other configuration
    "mailings.dev_message": PUBLIC,
    "auth.users": ("admin",),
    "auth.new_user": ("admin",),
    "auth.edit_user": ("admin",),
    "auth.delete_user": ("admin",),
    "audit.audit_log": ("admin",),
    "dashboard.index": ALL,
    "members.directory": (*STAFF, "association"),
    "members.export_directory": (*STAFF, "association"),
    "members.new_organisation": EDITORS,
    "members.organisation": ALL,
    # Comms reads the directory but changes nothing in it.
    "members.edit_organisation": (*EDITORS, "association", "member"),
    "members.delete_organisation": ("admin",),
    "members.new_person": (*EDITORS, "association", "member"),
    "members.edit_person": (*EDITORS, "association", "member"),
    "members.delete_person": (*EDITORS, "association", "member"),
    "members.new_membership": EDITORS,
    "members.edit_membership": EDITORS,
    "members.import_upload": ("admin",),
    "members.import_confirm": ("admin",),
    # The action log: officers and the secretariat write it; comms reads it and the reports.
    "policy.new_action": EDITORS,
    "policy.action": STAFF,
    "policy.edit_action": EDITORS,
    "policy.delete_action": EDITORS,
    "policy.complete_followup": EDITORS,
    "policy.participants_json": STAFF,
    "policy.followups": STAFF,
    "policy.reports_index": STAFF,
    "policy.report_eu_meetings": STAFF,
    "policy.report_eu_meetings_csv": STAFF,
    "policy.report_priorities": STAFF,
    "policy.report_campaign": STAFF,
    # Policy records (issue 4): comms reads, officers and admins write.
    "policy.priorities": STAFF,
    "policy.priority": STAFF,
    "policy.new_priority": EDITORS,
    "policy.edit_priority": EDITORS,
    "policy.new_document": EDITORS,
    "policy.download_document": STAFF,
    "policy.delete_document": EDITORS,
    "policy.dossiers": STAFF,
    "policy.dossier": STAFF,
    "policy.new_dossier": EDITORS,
    "policy.edit_dossier": EDITORS,
    "policy.add_dossier_date": EDITORS,
    "policy.toggle_dossier_date": EDITORS,
    "policy.delete_dossier_date": EDITORS,
    "policy.stakeholders": STAFF,
    "policy.stakeholder": STAFF,
    "policy.new_stakeholder": EDITORS,
    "policy.edit_stakeholder": EDITORS,
    "policy.campaigns": STAFF,
    "policy.campaign": STAFF,
    "policy.new_campaign": EDITORS,
    "policy.edit_campaign": EDITORS,
    "policy.milestones": STAFF,
    "policy.new_milestone": EDITORS,
    "policy.edit_milestone": EDITORS,
    "policy.toggle_milestone": EDITORS,
    "policy.public_milestones": PUBLIC,
    "policy.invite_organisations": EDITORS,
    "policy.invite_organisation": EDITORS,
    "policy.signatory_answer": EDITORS,
    "policy.signatories": STAFF,
    "policy.signatories_csv": STAFF,
    # A member answers its own organisation's invitation to co-sign (object-checked).
    "policy.my_invitations": ("member",),
    "policy.my_invitation": ("member",),
    # Declarations, staff side (issue 3): officers decide moderation and matches; staff read and
    # export; associations see coverage of their own members; the signatory list is public.
    "declarations.signatories": PUBLIC,
    "declarations.staff_signatures": STAFF,
    "declarations.export_signatures": STAFF,
    "declarations.moderation_queue": EDITORS,
    "declarations.moderate_signature": EDITORS,
    "declarations.match_queue": EDITORS,
    "declarations.resolve_match": EDITORS,
    "declarations.coverage_page": (*STAFF, "association"),
    "declarations.non_signers_csv": (*STAFF, "association"),
    # Declarations, officers and the public (issue 3): officers write, comms reads; signing,
    # its confirmation link, the embed and the count are public on purpose.
    "declarations.manage": STAFF,
    "declarations.declaration": STAFF,
    "declarations.new_declaration": EDITORS,
    "declarations.edit_declaration": EDITORS,
    "declarations.save_text": EDITORS,
    "declarations.public_declaration": PUBLIC,
    "declarations.embed": PUBLIC,
    "declarations.count_json": PUBLIC,
    "declarations.confirm_signature": PUBLIC,
    # Where a signing form redirects (post/redirect/get): "check your inbox", read-only.
    "declarations.sign_sent": PUBLIC,
    "declarations.embed_sent": PUBLIC,
    # Sales Awards review and statistics (issue 6): officers and the secretariat decide, comms
    # reads; the winners, their pages, certificates and the feed are public on purpose.
    "awards.review_queue": STAFF,
    "awards.decide_registration": EDITORS,
    "awards.stats_page": STAFF,
    "awards.export_verified": STAFF,
    "awards.public_awards": PUBLIC,
    "awards.public_award": PUBLIC,
    "awards.certificate": PUBLIC,
    "awards.feed_atom": PUBLIC,
    # Sales Awards levels and registrations (issue 6): admins keep the levels; a member label
    # registers and raises its own releases; the label's users and staff read them and their
    # evidence (object-checked: other members and associations get 403).
    "awards.levels": ("admin",),
    "awards.new_level": ("admin",),
    "awards.edit_level": ("admin",),
    "awards.register": ("member",),
    "awards.raise_registration": ("member",),
    "awards.registrations": (*STAFF, "member"),
    "awards.registration": (*STAFF, "member"),
    "awards.download_evidence": (*STAFF, "member"),
    # Audiences, consent and suppression (issue 5): comms and admins manage audiences and the
    # suppression list, officers see audiences and counts; comms and admins record consent.
    "mailings.audiences": STAFF,
    "mailings.audience": STAFF,
    "mailings.audience_count_json": STAFF,
    "mailings.new_audience": ("admin", "comms"),
    "mailings.edit_audience": ("admin", "comms"),
    "mailings.delete_audience": ("admin", "comms"),
    "mailings.add_audience_entries": ("admin", "comms"),
    "mailings.remove_audience_entries": ("admin", "comms"),
    "mailings.export_audience": ("admin", "comms"),
    "mailings.suppressions": ("admin", "comms"),
    "mailings.add_suppression": ("admin", "comms"),
    "mailings.lift_suppression": ("admin", "comms"),
    "mailings.export_suppressions": ("admin", "comms"),
    "mailings.person_consent": STAFF,
    "mailings.record_person_consent": ("admin", "comms"),
    "mailings.person_interests": STAFF,
    "declarations.save_non_signers_audience": (*STAFF, "association"),
    # Data protection (issue 7): only the secretariat sees, exports and erases personal data.
    "privacy.person_data": ("admin",),
    "privacy.export_person": ("admin",),
    "privacy.erase_person": ("admin",),
    # Mailings (issue 5): officers draft and preview, comms and admins test-send, schedule and
    # control; staff read reports. The press page, its files and feed and a recipient's web
    # version (a signed token) are public on purpose.
    "mailings.mailings": STAFF,
    "mailings.new_mailing": STAFF,
    "mailings.edit_mailing": STAFF,
    "mailings.mailing": STAFF,
    "mailings.add_attachment": STAFF,
    "mailings.remove_attachment": STAFF,
    "mailings.download_attachment": STAFF,
    "mailings.preview": STAFF,
    "mailings.preview_html": STAFF,
    "mailings.send_test": ("admin", "comms"),
    "mailings.schedule": ("admin", "comms"),
    "mailings.unschedule": ("admin", "comms"),
    "mailings.pause": ("admin", "comms"),
    "mailings.resume": ("admin", "comms"),
    "mailings.cancel": ("admin", "comms"),
    "mailings.mailing_report": STAFF,
    "mailings.mailing_report_csv": STAFF,
    "mailings.press": PUBLIC,
    "mailings.press_release": PUBLIC,
    "mailings.press_file": PUBLIC,
    "mailings.press_feed": PUBLIC,
    "mailings.web_version": PUBLIC,
    # Unsubscribe and the preference centre (a signed token each) and the bounce endpoint (its
    # own bearer token, 404 when none is configured) are public on purpose (issue 5).
    "mailings.unsubscribe": PUBLIC,
    "mailings.preferences": PUBLIC,
    "mailings.bounce_api": PUBLIC,
}


def test_every_endpoint_has_an_expectation(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(EXPECTED) == set(), "add new endpoints to EXPECTED"
    assert set(EXPECTED) - endpoints == set(), "EXPECTED names endpoints that no longer exist"


@pytest.fixture
def world():
    """One member company inside an association; each scoped user belongs to that world."""
    association = factories.association("VUT")
    org = factories.organisation("Scoped Label", association_id=association.id)
    person = factories.person(org)
    membership = factories.membership(org, via=association)
    users = {role: factories.user(role) for role in STAFF}
    users["association"] = factories.user("association", organisation=association)
    users["member"] = factories.user("member", organisation=org)
    campaign, action = _action_world(person)
    policy = _policy_world(org)
    declaration_world = _declaration_staff_world()
    award_id = _award_world(org)
    award_extra = _award_level_and_evidence(award_id)
    mailing_world = _mailing_world()
    audience_world = _audience_world(person)
    db.session.commit()
    return {
        "campaign_id": campaign.id,
        "action_id": action.id,
        **policy,
        "org_id": org.id,
        "person_id": person.id,
        "membership_id": membership.id,
        "user_id": users["comms"].id,
        "token": "not-a-token",
        "registration_id": award_id,
        **award_extra,
        "name": "x.eml",
        "filename": "css/app.css",
        "users": users,
        **declaration_world,
        **audience_world,
        **mailing_world,
    }


def _mailing_world():
    """A draft press release with an attachment row (no file: allowed roles get 404)."""
    from crm.mailings.models import Mailing, MailingAttachment

    mailing = Mailing(
        kind="press_release",
        purpose="press_releases",
        subject="Matrix release",
        from_name="Matrix",
        from_email="matrix@example.org",
        body="Hello",
    )
    mailing.attachments.append(
        MailingAttachment(
            stored_name="fedcba9876543210fedcba9876543210.pdf",
            original_name="matrix.pdf",
            title="Matrix",
            size=1,
        )
    )
    db.session.add(mailing)
    db.session.flush()
    return {"mailing_id": mailing.id, "attachment_id": mailing.attachments[0].id}


def _audience_world(person):
    """A static list with the world's person on it, and an unsubscribed address."""
    from crm.mailings import audience_services, consent

    audience = audience_services.create_audience({"name": "Matrix list", "kind": "static"})
    audience_services.add_people(audience, [person.id])
    entry = consent.suppress("matrix.unsub@example.org", "unsubscribed", source="test")
    return {"audience_id": audience.id, "suppression_id": entry.id}


def _award_world(org):
    """A verified Sales Award of the member's organisation (its public pages answer 200)."""
    from tests.awards_helpers import award, on

    return award(org, status="verified", decided_at=on(2025)).id


def _award_level_and_evidence(registration_id):
    """A level (for the admin pages) and an evidence row of the member's registration."""
    from crm.awards.models import AwardEvidence, AwardLevel

    level = db.session.scalar(db.select(AwardLevel).limit(1))
    item = AwardEvidence(
        registration_id=registration_id,
        stored_name="0123456789abcdef0123456789abcdef.pdf",  # no file: allowed roles get 404
        original_name="statement.pdf",
        content_type="application/pdf",
        size=1,
    )
    db.session.add(item)
    db.session.flush()
    return {"level_id": level.id, "evidence_id": item.id}


def _declaration_staff_world():
    """A declaration with one confirmed signature (for the staff and public list routes)."""
    from tests.test_declarations_staff import make_declaration, make_signature

    declaration = make_declaration("matrix-declaration")
    signature = make_signature(declaration, "matrix.signer@example.org")
    return {
        "declaration_id": declaration.id,
        "signature_id": signature.id,
        "slug": declaration.slug,
    }


def _action_world(person):
    """A priority with a campaign, and one logged action with a participant and a follow-up."""
    from datetime import date

    from crm.policy.models import Action, ActionParticipant, Campaign, Priority

    priority = Priority(slug="world-priority", title="World priority")
    campaign = Campaign(slug="world-campaign", title="World campaign", kind="lobbying")
    campaign.priority = priority
    action = Action(kind="meeting", occurred_on=date(2026, 1, 5), title="World meeting")
    action.campaign, action.priority = campaign, priority
    action.followup_due_on = date(2026, 1, 12)
    action.participants.append(ActionParticipant(person_id=person.id))
    db.session.add_all([priority, campaign, action])
    db.session.flush()
    return campaign, action


def _policy_world(org):
    """Priority, dossier with a date, document, stakeholder, milestone, and a joint letter that
    the member's organisation is invited to co-sign (its deadline far ahead)."""
    from datetime import date

    from crm.policy import services as policy
    from crm.policy import services_campaigns, services_stakeholders
    from crm.policy.models import PriorityDocument

    priority = policy.create_priority({"title": "Matrix priority", "status": "active"})
    dossier = policy.create_dossier(
        {"priority_id": priority.id, "title": "Matrix dossier", "stage": "committee"}
    )
    key_date = policy.add_dossier_date(
        dossier, {"label": "Vote", "kind": "vote", "due_on": date(2030, 1, 1)}
    )
    document = policy.add_link(priority, "Matrix link", "https://example.org/x", None)
    milestone = policy.create_milestone({"happened_on": date(2024, 1, 1), "title": "Matrix"})
    profile = services_stakeholders.create_stakeholder(
        {"first_name": "Mia", "last_name": "Matrix", "kind": "mep", "country": "DE"}
    )
    letter = services_campaigns.create_campaign(
        {
            "priority_id": priority.id,
            "title": "Matrix letter",
            "kind": "joint_letter",
            "status": "active",
            "deadline": date(2099, 1, 1),
        }
    )
    signatory = services_campaigns.invite(letter, org.id).signatory
    assert isinstance(document, PriorityDocument)
    return {
        "priority_id": priority.id,
        "dossier_id": dossier.id,
        "date_id": key_date.id,
        "document_id": document.id,
        "milestone_id": milestone.id,
        "stakeholder_id": profile.id,
        "signatory_id": signatory.id,
    }


def _url(app, rule, world):
    values = {arg: world[arg] for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _rules(app):
    return [r for r in app.url_map.iter_rules() if EXPECTED.get(r.endpoint) != PUBLIC]


def _method(rule):
    return "GET" if "GET" in rule.methods else "POST"


def test_anonymous_is_sent_to_login_everywhere(app, client, world):
    for rule in _rules(app):
        response = client.open(_url(app, rule, world), method=_method(rule))
        assert response.status_code == 302, rule.endpoint
        assert "/login" in response.headers["Location"], rule.endpoint


def test_public_endpoints_answer_without_login(app, client, world):
    for rule in app.url_map.iter_rules():
        if EXPECTED[rule.endpoint] != PUBLIC or "GET" not in rule.methods:
            continue  # POST-only (logout, the bounce endpoint): tested where they live
        response = client.get(_url(app, rule, world))
        assert response.status_code in (200, 400, 404), rule.endpoint
        assert "/login" not in response.headers.get("Location", ""), rule.endpoint


@pytest.mark.parametrize("role", ALL)
def test_roles_get_403_exactly_where_expected(app, make_app, world, login, role):
    client = app.test_client()
    login(world["users"][role], client)
    for rule in _rules(app):
        response = client.open(_url(app, rule, world), method=_method(rule))
        allowed = role in EXPECTED[rule.endpoint]
        if allowed:
            assert response.status_code not in (403, 500), (
                rule.endpoint,
                role,
                response.status_code,
            )
        else:
            assert response.status_code == 403, (rule.endpoint, role, response.status_code)


@pytest.fixture
def stranger():
    """An organisation, person and membership outside the scoped users' world."""
    other_association = factories.association("AIM", country="GB")
    org = factories.organisation(
        "Elsewhere Records", country="GB", association_id=other_association.id
    )
    person = factories.person(org)
    db.session.commit()
    return {"org_id": org.id, "person_id": person.id}


OBJECT_ROUTES = [
    ("GET", "/organisations/{org_id}"),
    ("GET", "/organisations/{org_id}/edit"),
    ("POST", "/organisations/{org_id}/edit"),
    ("GET", "/organisations/{org_id}/people/new"),
    ("POST", "/organisations/{org_id}/people/new"),
    ("GET", "/people/{person_id}/edit"),
    ("POST", "/people/{person_id}/edit"),
    ("POST", "/people/{person_id}/delete"),
]


@pytest.mark.parametrize("role", ["association", "member"])
def test_scoped_users_cannot_touch_other_organisations(app, world, stranger, login, role):
    client = app.test_client()
    login(world["users"][role], client)
    for method, pattern in OBJECT_ROUTES:
        response = client.open(pattern.format(**stranger), method=method, data={"name": "Hijacked"})
        assert response.status_code == 403, (method, pattern)
    db.session.expire_all()
    assert db.session.get(Organisation, stranger["org_id"]).name == "Elsewhere Records"
    assert db.session.get(Person, stranger["person_id"]) is not None


def test_member_user_cannot_see_sibling_company_of_same_association(app, world, login):
    association_id = db.session.get(Organisation, world["org_id"]).association_id
    sibling = factories.organisation("Sibling Sounds", association_id=association_id)
    db.session.commit()
    client = login(world["users"]["member"], app.test_client())
    assert client.get(f"/organisations/{sibling.id}").status_code == 403
    association_client = login(world["users"]["association"], app.test_client())
    assert association_client.get(f"/organisations/{sibling.id}").status_code == 200


def test_association_directory_and_export_list_only_its_members(app, world, stranger, login):
    client = login(world["users"]["association"], app.test_client())
    page = client.get("/organisations").get_data(as_text=True)
    assert "Scoped Label" in page and "Elsewhere Records" not in page
    export = client.get("/organisations/export.csv").get_data(as_text=True)
    assert "Scoped Label" in export and "Elsewhere Records" not in export
