"""Creating and editing organisations and people through the forms, with the audit trail."""

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.members.models import Organisation, Person
from tests import factories

NEW_ORG = {
    "name": "Gravel Road Recordings",
    "kind": "label",
    "country": "GB",
    "city": "Leeds",
    "email": "Hello@GravelRoad.example",
    "sme_size": "micro",
    "association_id": 0,
}


def test_create_organisation_is_audited(client, login_as):
    login_as("officer")
    response = client.post("/organisations/new", data=NEW_ORG)
    assert response.status_code == 302
    org = db.session.scalar(
        db.select(Organisation).where(Organisation.name == "Gravel Road Recordings")
    )
    assert org.email == "hello@gravelroad.example" and org.membership_status == "none"
    event = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.entity_id == org.id, AuditEvent.entity_type == "organisation"
        )
    )
    assert event.action == "create" and event.actor.startswith("officer")
    assert event.after["city"] == "Leeds"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created Gravel Road Recordings" in page


def test_duplicate_organisation_is_refused_with_a_field_error(client, login_as):
    login_as("officer")
    factories.organisation("Gravel Road Recordings Ltd", country="GB")
    db.session.commit()
    response = client.post("/organisations/new", data={**NEW_ORG, "name": "gravel road recordings"})
    assert response.status_code == 200
    assert b"already exists" in response.data
    assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 1


def test_form_errors_are_clear_and_nothing_is_saved(client, login_as):
    login_as("admin")
    response = client.post(
        "/organisations/new",
        data={
            "name": "",
            "kind": "spaceship",
            "country": "XX",
            "email": "not an email",
            "website": "javascript:alert(1)",
            "phone": "call me",
            "city": "x" * 121,
        },
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for message in (
        "This field is required.",
        "Not a valid choice",
        "Invalid email address",
        "Start with http:// or https://.",
        "Digits, spaces and",
        "Field cannot be longer than 120 characters.",
    ):
        assert message in text
    assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 0


def test_names_that_look_like_formulas_are_kept_and_exported_safely(client, login_as):
    login_as("admin")
    response = client.post("/organisations/new", data={**NEW_ORG, "name": "+1 Records"})
    assert response.status_code == 302
    export = client.get("/organisations/export.csv").get_data(as_text=True)
    assert "'+1 Records" in export


def test_edit_records_before_and_after(client, login_as):
    login_as("admin")
    org = factories.organisation("Disques Lumière", country="FR", city="Lyon")
    db.session.commit()
    response = client.post(
        f"/organisations/{org.id}/edit",
        data={
            "name": "Disques Lumière",
            "kind": "label",
            "country": "FR",
            "city": "Marseille",
            "association_id": 0,
        },
    )
    assert response.status_code == 302
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.before["city"] == "Lyon" and event.after["city"] == "Marseille"
    assert ("city", "Lyon", "Marseille") in event.changed_fields


def test_people_create_edit_delete_with_audit(client, login_as):
    login_as("officer")
    org = factories.organisation("Nordlicht Tonträger")
    db.session.commit()
    response = client.post(
        f"/organisations/{org.id}/people/new",
        data={
            "first_name": "Jürgen",
            "last_name": "Müller",
            "email": "J.Mueller@Nordlicht.example",
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(db.select(Person))
    assert person.email_key == "j.mueller@nordlicht.example"
    duplicate = client.post(
        f"/organisations/{org.id}/people/new",
        data={"first_name": "Other", "last_name": "Person", "email": "j.mueller@NORDLICHT.example"},
    )
    assert b"Another person already has this email address." in duplicate.data
    client.post(
        f"/people/{person.id}/edit",
        data={
            "first_name": "Jürgen",
            "last_name": "Müller",
            "email": "j.mueller@nordlicht.example",
            "job_title": "Label manager",
        },
    )
    assert client.post(f"/people/{person.id}/delete").status_code == 302
    actions = db.session.scalars(
        db.select(AuditEvent.action)
        .where(AuditEvent.entity_type == "person")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "update", "delete"]


def test_member_edits_own_organisation_but_not_its_kind_or_association(client, login_as):
    vut = factories.association("VUT")
    org = factories.organisation("Own Label", association_id=vut.id)
    db.session.commit()
    login_as("member", organisation=org)
    response = client.post(
        f"/organisations/{org.id}/edit",
        data={
            "name": "Own Label",
            "kind": "association",
            "country": "DE",
            "city": "Hamburg",
            "association_id": 0,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Organisation, org.id)
    assert saved.city == "Hamburg" and saved.kind == "label" and saved.association_id == vut.id


def test_admin_cannot_delete_organisation_that_has_people(client, login_as):
    login_as("admin")
    org = factories.organisation("Busy Label")
    factories.person(org)
    empty = factories.organisation("Empty Label")
    db.session.commit()
    response = client.post(f"/organisations/{org.id}/delete", follow_redirects=True)
    assert b"Remove its people and memberships" in response.data
    org_id, empty_id = org.id, empty.id
    assert client.post(f"/organisations/{empty_id}/delete").status_code == 302
    remaining = db.session.scalars(db.select(Organisation.id).order_by(Organisation.id)).all()
    assert remaining == [org_id]


def test_hostile_text_is_escaped(client, login_as):
    login_as("admin")
    org = factories.organisation("<script>alert(1)</script> Records")
    db.session.commit()
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Records" in page


def test_member_users_neither_see_nor_change_internal_notes(client, login_as):
    org = factories.organisation("Noted Label", notes="SECRET internal remark")
    db.session.commit()
    staff_client = client
    login_as("officer")
    staff_client.post(
        f"/organisations/{org.id}/edit",
        data={
            "name": "Noted Label",
            "kind": "label",
            "country": "DE",
            "association_id": 0,
            "notes": "SECRET second remark",
        },
    )
    staff_client.post("/logout")
    login_as("member", organisation=org)
    assert b"SECRET" not in client.get(f"/organisations/{org.id}/edit").data
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "SECRET" not in page and "Created user" not in page
    client.post(
        f"/organisations/{org.id}/edit",
        data={"name": "Noted Label", "kind": "label", "country": "DE", "notes": "overwritten"},
    )
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).notes == "SECRET second remark"
