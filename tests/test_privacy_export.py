"""Access and portability: the JSON export of everything held about a person."""

import json

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.members.models import Person
from crm.privacy import export, lookup
from crm.privacy.personal_data import linked_tables
from tests import factories
from tests.test_privacy_support import EMAIL, LOGIN, bystander, rich_person


def _exports() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")
    )


def _document(ids) -> dict:
    person = db.session.get(Person, ids["person_id"])
    return export.collect(lookup.subject_for_person(person))


def test_export_holds_every_linked_table_and_the_persons_rows():
    ids = rich_person()
    other = bystander(ids["org_id"], ids["declaration_id"], ids["mailing_id"])
    db.session.commit()
    document = _document(ids)
    data = document["data"]
    assert set(data) == set(linked_tables())
    assert document["organisation"] == {"id": ids["org_id"], "name": "Harbour Lights Records"}
    assert document["email_addresses"] == sorted([EMAIL.lower(), LOGIN])
    (person,) = data["person"]["rows"]
    assert (person["first_name"], person["phone"]) == ("Ada", "+49 30 5550199")
    assert person["organisation_id_label"] == "Harbour Lights Records"
    # The matched signature and the one found only by the login's address; not the bystander's.
    assert {s["id"] for s in data["signature"]["rows"]} == {
        ids["matched_signature_id"],
        ids["login_signature_id"],
    }
    assert other["signature_id"] not in {s["id"] for s in data["signature"]["rows"]}
    for name in ("consent", "person_interest", "stakeholder_profile", "audience_entry"):
        assert len(data[name]["rows"]) == 1, name
    assert data["person_interest"]["rows"][0]["priority_id_label"] == "Fair streaming"
    assert data["action_participant"]["rows"][0]["action_id_label"] == "Streaming round table"
    assert data["bounce_event"]["rows"][0]["kind"] == "soft"
    assert data["suppression"]["rows"][0]["reason"] == "unsubscribed"
    summaries = [e["summary"] for e in data["audit_event"]["rows"]]
    assert any("Sent a test to" in s for s in summaries)  # quotes the address
    assert any(e["entity_type"] == "person" for e in data["audit_event"]["rows"])


def test_export_leaves_out_secrets_and_bodies_and_says_so():
    ids = rich_person()
    db.session.commit()
    data = _document(ids)["data"]
    (account,) = data["user_account"]["rows"]
    assert account["password_hash"] == "set"
    assert account["email"] == LOGIN
    deliveries = {d["id"]: d for d in data["delivery"]["rows"]}
    assert set(deliveries) == {ids["bulk_delivery_id"], ids["confirm_delivery_id"]}
    bulk = deliveries[ids["bulk_delivery_id"]]
    assert bulk["subject"] == "Spring newsletter" and bulk["status"] == "sent"
    assert bulk["sent_at"].startswith("2026-03-01")
    for delivery in deliveries.values():
        assert not {"text_body", "html_body", "merge", "headers"} & set(delivery)
    assert {"text_body", "html_body", "merge"} <= set(data["delivery"]["left_out"])
    assert "please confirm" not in json.dumps(data)


def test_admin_downloads_the_export_and_it_is_audited(client, login_as):
    ids = rich_person()
    db.session.commit()
    login_as("admin")
    page = client.get(f"/people/{ids['person_id']}/personal-data")
    assert page.status_code == 200
    assert "user_account" in page.get_data(as_text=True)
    assert _exports() == 0  # looking changes nothing
    response = client.post(f"/people/{ids['person_id']}/personal-data/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    assert document["person_id"] == ids["person_id"]
    assert document["data"]["person"]["rows"][0]["last_name"] == "Quillfeather"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert (event.entity_type, event.entity_id) == ("person", ids["person_id"])
    assert "Quillfeather" not in event.summary and "@" not in event.summary


def test_only_admins_see_or_export_personal_data(client, login_as):
    ids = rich_person()
    db.session.commit()
    login_as("officer")
    assert client.get(f"/people/{ids['person_id']}/personal-data").status_code == 403
    assert client.post(f"/people/{ids['person_id']}/personal-data/export").status_code == 403
    assert _exports() == 0


def test_unknown_person_is_404(client, login_as):
    login_as("admin")
    assert client.get("/people/999999/personal-data").status_code == 404


def test_cli_exports_by_person_id_and_by_email(runner, tmp_path):
    ids = rich_person()
    db.session.commit()
    result = runner.invoke(args=["crm", "personal-data", "export", "--person-id", ids["person_id"]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["person_id"] == ids["person_id"]
    out = tmp_path / "ada.json"
    result = runner.invoke(
        args=["crm", "personal-data", "export", "--email", LOGIN.upper(), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["person_id"] == ids["person_id"]
    assert _exports() == 2


def test_cli_exports_a_signer_who_is_in_no_directory_record(runner):
    from tests.test_declarations_staff import make_declaration, make_signature

    make_signature(make_declaration("lone"), "Lone.Signer@example.net", comment="Count me in")
    db.session.commit()
    result = runner.invoke(args=["crm", "personal-data", "export", "--email", "lone.signer@x.y"])
    assert result.exit_code == 0
    assert json.loads(result.output)["data"]["signature"]["rows"] == []
    result = runner.invoke(
        args=["crm", "personal-data", "export", "--email", "lone.signer@example.net"]
    )
    document = json.loads(result.output)
    assert document["person_id"] is None
    assert document["data"]["signature"]["rows"][0]["comment"] == "Count me in"


def test_cli_needs_exactly_one_way_to_name_the_person(runner):
    factories.person(email="someone@example.org")
    db.session.commit()
    result = runner.invoke(args=["crm", "personal-data", "export"])
    assert result.exit_code != 0 and "exactly one" in result.output
    result = runner.invoke(args=["crm", "personal-data", "export", "--person-id", "424242"])
    assert result.exit_code != 0 and "no person" in result.output


def test_the_persons_edit_page_links_admins_to_their_personal_data(client, login_as):
    person = factories.person(email="linked@example.org")
    db.session.commit()
    link = f'href="/people/{person.id}/personal-data"'
    login_as("officer")
    assert link not in client.get(f"/people/{person.id}/edit").get_data(as_text=True)
    client.post("/logout")
    login_as("admin")
    assert link in client.get(f"/people/{person.id}/edit").get_data(as_text=True)
