"""The audience pages: list with counts, the segment form's preview and save, the live count,
static lists (search, addresses with line numbers, removal, CSV), deletion rules, roles, and
the coverage page's "save non-signers as an audience"."""

import csv
import io

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.mailings import audience_services, consent
from crm.mailings.audience_models import Audience, AudienceEntry
from crm.mailings.models import Mailing
from tests import factories
from tests.test_declarations_staff import make_declaration, make_signature


@pytest.fixture
def people():
    vut = factories.association("VUT", country="DE")
    de = factories.organisation("Berlin Beats", association_id=vut.id)
    factories.membership(de, via=vut)
    fr = factories.organisation("Paris Sons", country="FR")
    factories.membership(fr)
    result = {
        "anna": factories.person(de, "anna@de.example", first_name="Anna"),
        "bernd": factories.person(de, "bernd@de.example", first_name="Bernd"),
        "claire": factories.person(fr, "claire@fr.example", first_name="Claire"),
        "vut": vut,
        "de": de,
        "fr": fr,
    }
    db.session.commit()
    return result


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_list_shows_counts_per_purpose(people, client, login_as):
    audience_services.create_audience(
        {"name": "Germans", "filters": {"include": {"countries": ["DE"]}}}
    )
    consent.record_consent(
        people["anna"], "newsletter", True, basis="consent", source="t", wording_version="v1"
    )
    db.session.commit()
    login_as("officer")
    page = client.get("/mailings/audiences").get_data(as_text=True)
    assert "Germans" in page and '<td class="text-end">2</td>' in page
    assert "New segment" not in page  # officers look, they do not manage
    page = client.get("/mailings/audiences?purpose=newsletter").get_data(as_text=True)
    assert '<td class="text-end">1</td>' in page


def test_preview_shows_count_and_people_without_saving(people, client, login_as):
    login_as("comms")
    data = {
        "name": "French",
        "kind": "segment",
        "include-countries": ["FR"],
        "purpose": "member_communications",
        "preview": "Preview",
    }
    response = client.post("/mailings/audiences/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 person reached" in page and "claire@fr.example" in page
    assert "anna@de.example" not in page
    assert _count(Audience) == 0


def test_save_a_segment_and_edit_it(people, client, login_as):
    login_as("comms")
    data = {
        "name": "German members",
        "kind": "segment",
        "include-countries": ["DE"],
        "include-membership_statuses": ["active"],
        "exclude-roles": ["primary"],
        "purpose": "member_communications",
        "save": "Save",
    }
    response = client.post("/mailings/audiences/new", data=data)
    assert response.status_code == 302
    audience = db.session.scalar(select(Audience))
    assert audience.filters == {
        "include": {"countries": ["DE"], "membership_statuses": ["active"]},
        "exclude": {"roles": ["primary"]},
    }
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Countries: Germany" in page and "2 people reached" in page
    form = client.get(f"/mailings/audiences/{audience.id}/edit").get_data(as_text=True)
    assert '<option selected value="DE">' in form
    response = client.post(
        f"/mailings/audiences/{audience.id}/edit",
        data={**data, "name": "Germans", "include-countries": ["FR"]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert audience.name == "Germans" and audience.filters["include"]["countries"] == ["FR"]


def test_bad_values_show_field_errors_and_save_nothing(people, client, login_as):
    login_as("admin")
    data = {
        "name": "x",
        "kind": "segment",
        "include-countries": ["XX"],
        "include-priority_ids": ["abc"],
        "purpose": "member_communications",
        "save": "Save",
    }
    response = client.post("/mailings/audiences/new", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is-invalid" in page and "not a valid choice" in page
    assert _count(Audience) == 0
    audience_services.create_audience({"name": "Taken"})
    db.session.commit()
    response = client.post(
        "/mailings/audiences/new",
        data={**data, "name": "taken", "include-countries": [], "include-priority_ids": []},
    )
    assert "already exists" in response.get_data(as_text=True)
    assert _count(Audience) == 1


def test_live_count_json(people, client, login_as):
    login_as("officer")
    response = client.get(
        "/mailings/audiences/count.json?include-countries=DE&purpose=member_communications"
    )
    assert response.json == {"count": 2, "purpose": "member_communications"}
    response = client.get("/mailings/audiences/count.json?include-countries=Mars&purpose=x")
    assert response.status_code == 400 and "errors" in response.json


def test_static_list_add_by_search_and_by_address_with_line_numbers(people, client, login_as):
    login_as("comms")
    response = client.post(
        "/mailings/audiences/new",
        data={
            "name": "Press list",
            "kind": "static",
            "purpose": "member_communications",
            "save": "Save",
        },
    )
    audience = db.session.scalar(select(Audience))
    assert response.status_code == 302 and audience.kind == "static"
    search = client.get(f"/mailings/audiences/{audience.id}?q=ann").get_data(as_text=True)
    assert f'value="{people["anna"].id}"' in search
    client.post(
        f"/mailings/audiences/{audience.id}/entries", data={"person_ids": [str(people["anna"].id)]}
    )
    text = "Claire@FR.example\n\nnobody@nowhere.example\nnot an address\nanna@de.example\n"
    response = client.post(f"/mailings/audiences/{audience.id}/entries", data={"emails": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "line 3: nobody@nowhere.example: nobody in the directory has this address" in page
    assert "line 4: not an address: not an email address" in page
    assert "1 person added" in page
    entries = set(db.session.scalars(select(AudienceEntry.person_id)))
    assert entries == {people["anna"].id, people["claire"].id}
    export = _rows(client.get(f"/mailings/audiences/{audience.id}/export.csv"))
    assert export[0][:4] == ["person_id", "first_name", "last_name", "email"]
    assert {row[3] for row in export[1:]} == {"anna@de.example", "claire@fr.example"}
    response = client.post(
        f"/mailings/audiences/{audience.id}/entries/remove",
        data={"person_ids": [str(people["anna"].id)]},
    )
    assert response.status_code == 302
    assert set(db.session.scalars(select(AudienceEntry.person_id))) == {people["claire"].id}


def test_delete_is_refused_while_a_mailing_beyond_draft_uses_the_audience(people, client, login_as):
    audience = audience_services.create_audience({"name": "In use"})
    mailing = Mailing(
        purpose="newsletter",
        subject="Big news",
        from_name="IME",
        from_email="n@example.org",
        audience_id=audience.id,
        status="scheduled",
    )
    db.session.add(mailing)
    db.session.commit()
    login_as("comms")
    response = client.post(f"/mailings/audiences/{audience.id}/delete", follow_redirects=True)
    assert "cannot be deleted" in response.get_data(as_text=True)
    assert _count(Audience) == 1
    mailing.status = "draft"
    db.session.commit()
    response = client.post(f"/mailings/audiences/{audience.id}/delete")
    assert response.status_code == 302
    assert _count(Audience) == 0
    db.session.expire_all()
    assert mailing.audience_id is None


@pytest.mark.parametrize("role", ["association", "member"])
def test_scoped_users_never_see_audiences(people, client, login_as, role):
    audience = audience_services.create_audience({"name": "Secret"})
    db.session.commit()
    login_as(role)
    for path in (
        "/mailings/audiences",
        f"/mailings/audiences/{audience.id}",
        "/mailings/audiences/count.json",
        "/mailings/suppressions",
        f"/people/{people['anna'].id}/consent",
    ):
        assert client.get(path).status_code == 403, path


def test_officer_cannot_change_audiences(people, client, login_as):
    audience = audience_services.create_audience({"name": "Look only"})
    db.session.commit()
    login_as("officer")
    assert client.get(f"/mailings/audiences/{audience.id}").status_code == 200
    assert client.get("/mailings/audiences/new").status_code == 403
    assert client.post(f"/mailings/audiences/{audience.id}/delete").status_code == 403
    assert client.get(f"/mailings/audiences/{audience.id}/export.csv").status_code == 403


def _coverage_world(people):
    declaration = make_declaration("fair-digital-deals")
    signer = make_signature(
        declaration, "anna@de.example", signing_as="organisation", organisation=people["de"]
    )
    signer.person_id = people["anna"].id
    other = factories.organisation("Elsewhere", country="FR")
    factories.membership(other)
    factories.person(other, "else@fr.example")
    db.session.commit()
    return declaration


def test_staff_save_non_signers_as_an_audience(people, client, login_as):
    declaration = _coverage_world(people)
    login_as("officer")
    page = client.get(f"/declarations/{declaration.id}/coverage").get_data(as_text=True)
    assert "Save non-signers as an audience" in page
    response = client.post(f"/declarations/{declaration.id}/coverage/audience")
    audience = db.session.scalar(select(Audience))
    assert response.headers["Location"].endswith(f"/mailings/audiences/{audience.id}")
    assert audience.scope_association_id is None
    include = audience.filters["include"]
    assert include["not_signed_declaration_ids"] == [declaration.id]
    assert "association" not in include["org_kinds"]
    emails = {r.email_key for r in audience_services_preview(audience)}
    assert emails == {"claire@fr.example", "else@fr.example"}
    # Twice: a second audience with its own name.
    client.post(f"/declarations/{declaration.id}/coverage/audience")
    names = sorted(db.session.scalars(select(Audience.name)))
    assert names[1] == names[0] + " (2)"


def audience_services_preview(audience):
    from crm.mailings.audiences import preview

    return preview(audience, "member_communications")


def test_association_saves_a_segment_of_its_own_members(people, client, login):
    declaration = _coverage_world(people)
    user = factories.user("association", organisation=people["vut"])
    db.session.commit()
    login(user)
    response = client.post(
        f"/declarations/{declaration.id}/coverage/audience", follow_redirects=True
    )
    assert "for the secretariat" in response.get_data(as_text=True)
    audience = db.session.scalar(select(Audience))
    assert audience.scope_association_id == people["vut"].id
    assert {r.email_key for r in audience_services_preview(audience)} == set()
    # Bernd's colleague signed for the company, so nobody in VUT is left to remind.
    make_signature_free = factories.organisation("VUT Newcomer", association_id=people["vut"].id)
    factories.membership(make_signature_free, via=people["vut"])
    factories.person(make_signature_free, "new@vut.example")
    db.session.commit()
    assert {r.email_key for r in audience_services_preview(audience)} == {"new@vut.example"}
