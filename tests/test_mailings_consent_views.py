"""The consent page per person (record answers, topic interests), the organisation page's
consent line, and the suppression list page (add, search, lift, export)."""

import csv
import io

from sqlalchemy import select

from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Consent, PersonInterest, Suppression
from crm.policy.models import Priority
from tests import factories


def _person():
    org = factories.organisation("Consent Records")
    person = factories.person(org, "ada@consent.example", first_name="Ada")
    db.session.commit()
    return person


def test_staff_record_consent_with_their_name_as_source(client, login_as):
    person = _person()
    user = login_as("comms")
    page = client.get(f"/people/{person.id}/consent").get_data(as_text=True)
    assert "Newsletter" in page and "none recorded" in page
    response = client.post(
        f"/people/{person.id}/consent",
        data={
            "purpose": "newsletter",
            "granted": "yes",
            "basis": "consent",
            "wording_version": "2026-01",
            "wording": "Send me the newsletter",
        },
    )
    assert response.status_code == 302
    row = db.session.scalar(select(Consent))
    assert (row.purpose, row.granted, row.basis) == ("newsletter", True, "consent")
    assert row.source == f"staff: {user.email}" and row.wording_version == "2026-01"
    page = client.get(f"/people/{person.id}/consent").get_data(as_text=True)
    assert "Newsletter granted for Ada" in page  # the history, from the audit log


def test_consent_form_errors_are_shown_not_saved(client, login_as):
    person = _person()
    login_as("comms")
    response = client.post(
        f"/people/{person.id}/consent",
        data={"purpose": "spam", "basis": "whim", "wording": "x" * 600},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose granted or withdrawn" in page and "Not a valid choice" in page
    assert db.session.scalar(select(Consent)) is None


def test_topic_interests_are_replaced_by_the_ticked_priorities(client, login_as):
    person = _person()
    vat, ai = Priority(slug="vat", title="VAT on music"), Priority(slug="ai", title="AI")
    db.session.add_all([vat, ai])
    db.session.commit()
    login_as("comms")
    client.post(f"/people/{person.id}/interests", data={"priority_ids": [vat.id, ai.id]})
    client.post(f"/people/{person.id}/interests", data={"priority_ids": [ai.id]})
    assert list(db.session.scalars(select(PersonInterest.priority_id))) == [ai.id]
    response = client.post(f"/people/{person.id}/interests", data={"priority_ids": ["999"]})
    assert response.status_code == 400
    assert list(db.session.scalars(select(PersonInterest.priority_id))) == [ai.id]


def test_organisation_page_shows_a_consent_line_to_staff_only(client, login, login_as):
    person = _person()
    consent.record_consent(person, "newsletter", True, basis="consent", source="t", wording="y")
    member = factories.user("member", organisation=person.organisation)
    db.session.commit()
    login_as("comms")
    page = client.get(f"/organisations/{person.organisation_id}").get_data(as_text=True)
    assert "Consent: Newsletter yes" in page
    assert f"/people/{person.id}/consent" in page
    other = client.application.test_client()
    login(member, other)
    page = other.get(f"/organisations/{person.organisation_id}").get_data(as_text=True)
    assert "Consent:" not in page and "/consent" not in page


def test_suppression_list_add_search_lift_export(client, login_as):
    login_as("comms")
    response = client.post(
        "/mailings/suppressions", data={"email": "Gone@Example.org", "reason": "unsubscribed"}
    )
    assert response.status_code == 302
    response = client.post("/mailings/suppressions", data={"email": "nope", "reason": "x"})
    assert response.status_code == 400
    consent.suppress("bounce@example.org", "hard_bounce", source="dsn")
    consent.suppress_hash_only("erased@example.org")
    db.session.commit()
    page = client.get("/mailings/suppressions?q=gone").get_data(as_text=True)
    assert "gone@example.org" in page and "bounce@example.org" not in page
    page = client.get("/mailings/suppressions").get_data(as_text=True)
    assert "(erased; hash" in page and "erased@example.org" not in page
    # Searching the full address finds the erased entry by its hash.
    assert "(erased; hash" in client.get("/mailings/suppressions?q=erased@example.org").get_data(
        as_text=True
    )
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/mailings/suppressions/export.csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert rows[0][:3] == ["email", "email_sha256", "reason"] and len(rows) == 4
    bounce = db.session.scalar(select(Suppression).where(Suppression.reason == "hard_bounce"))
    response = client.post(f"/mailings/suppressions/{bounce.id}/lift", follow_redirects=True)
    assert "only an unsubscribe can be lifted" in response.get_data(as_text=True)
    gone = db.session.scalar(select(Suppression).where(Suppression.email_key == "gone@example.org"))
    client.post(f"/mailings/suppressions/{gone.id}/lift")
    assert not consent.is_suppressed("gone@example.org")
    assert consent.is_suppressed("bounce@example.org")


def test_officers_cannot_open_the_suppression_list(client, login_as):
    login_as("officer")
    assert client.get("/mailings/suppressions").status_code == 403
    assert client.post("/mailings/suppressions", data={"email": "a@b.example"}).status_code == 403


def test_officers_see_consent_but_only_comms_and_admins_record_it(client, login, login_as):
    person = _person()
    login_as("officer")
    page = client.get(f"/people/{person.id}/consent").get_data(as_text=True)
    assert "Per purpose" in page and "Record an answer" not in page
    data = {"purpose": "newsletter", "granted": "yes", "basis": "consent", "wording": "Yes"}
    assert client.post(f"/people/{person.id}/consent", data=data).status_code == 403
    assert db.session.scalar(select(Consent)) is None
    admin_user = factories.user("admin")
    db.session.commit()
    admin = login(admin_user, client.application.test_client())
    assert "Record an answer" in admin.get(f"/people/{person.id}/consent").get_data(as_text=True)
    assert admin.post(f"/people/{person.id}/consent", data=data).status_code == 302


def test_an_opt_in_yes_without_a_provable_basis_is_a_field_error(client, login_as):
    person = _person()
    login_as("comms")
    url = f"/people/{person.id}/consent"
    response = client.post(
        url, data={"purpose": "newsletter", "granted": "yes", "basis": "legitimate_interest"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="basis-error"' in page and "must rest on consent" in page
    response = client.post(url, data={"purpose": "press_releases", "granted": "yes"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="wording_version-error"' in page
    assert db.session.scalar(select(Consent)) is None


def test_press_releases_to_a_journalist_may_rest_on_legitimate_interest(client, login_as):
    from crm.policy import services_stakeholders

    jo = services_stakeholders.create_stakeholder(
        {
            "first_name": "Jo",
            "last_name": "Press",
            "email": "jo@press.example",
            "kind": "journalist",
        }
    ).person
    db.session.commit()
    login_as("comms")
    data = {"purpose": "press_releases", "granted": "yes", "basis": "legitimate_interest"}
    assert client.post(f"/people/{jo.id}/consent", data=data).status_code == 302
    row = db.session.scalar(select(Consent))
    assert (row.purpose, row.granted, row.basis) == ("press_releases", True, "legitimate_interest")
    # Not for the newsletter, even for a journalist.
    data["purpose"] = "newsletter"
    assert client.post(f"/people/{jo.id}/consent", data=data).status_code == 400
