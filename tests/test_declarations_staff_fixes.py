"""Fixes on the staff side of declarations: saving the non-signers audience twice, who that
audience leaves out, versioning the text of an open declaration, and two officers saving at the
same moment."""

import html
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from crm.declarations import services
from crm.declarations.coverage import non_signers_stmt
from crm.declarations.models import Declaration, DeclarationVersion, Signature
from crm.declarations.public_text import words
from crm.extensions import db
from crm.mailings import audience_services
from crm.mailings.audience_models import Audience
from crm.mailings.audiences import recipients
from tests import factories
from tests.test_declarations_public import _old_stamp, form, make_open_declaration
from tests.test_declarations_staff import make_declaration, make_signature

MEMBER = "member_communications"


def _audience_names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Audience.name).order_by(Audience.id)))


def _save_twice(client, declaration) -> list:
    url = f"/declarations/{declaration.id}/coverage/audience"
    return [client.post(url), client.post(url)]


# --- 1. saving the non-signers audience twice ----------------------------------------------------


def test_saving_non_signers_twice_with_a_double_space_in_the_title(client, login_as):
    declaration = make_declaration(title="Fair  streaming now")
    db.session.commit()
    login_as("officer")
    first, second = _save_twice(client, declaration)
    assert first.status_code == 302 and second.status_code == 302
    assert _audience_names() == [
        "Not signed: Fair streaming now",
        "Not signed: Fair streaming now (2)",
    ]


def test_saving_non_signers_twice_when_the_name_is_cut_on_a_space(client, login_as):
    # "Not signed: " is 12 characters: the 140th character of the name is the space.
    declaration = make_declaration(title="A" * 127 + " " + "B" * 60)
    db.session.commit()
    login_as("association")
    first, second = _save_twice(client, declaration)
    assert first.status_code == 302 and second.status_code == 302
    base = "Not signed: " + "A" * 127
    assert _audience_names() == [base, f"{base} (2)"]


def test_saving_non_signers_beside_a_name_that_differs_only_by_case(client, login_as):
    # On SQLite LIKE ignores ASCII case anyway; on PostgreSQL this was a 500.
    declaration = make_declaration(title="Fair deals")
    audience_services.create_audience({"name": "NOT SIGNED: FAIR DEALS", "kind": "static"})
    db.session.commit()
    login_as("officer")
    response = client.post(f"/declarations/{declaration.id}/coverage/audience")
    assert response.status_code == 302
    assert _audience_names() == ["NOT SIGNED: FAIR DEALS", "Not signed: Fair deals (2)"]


def test_an_audience_that_cannot_be_saved_is_a_message_on_the_coverage_page(
    client, login_as, monkeypatch
):
    """Whatever makes the name refused (here: taken by someone else after the check), the user
    is told on the coverage page, and nothing is saved."""
    declaration = make_declaration(title="Fair deals")
    audience_services.create_audience({"name": "Taken", "kind": "static"})
    db.session.commit()
    login_as("officer")
    monkeypatch.setattr(audience_services, "unique_name", lambda base: "Taken")
    response = client.post(f"/declarations/{declaration.id}/coverage/audience")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/declarations/{declaration.id}/coverage"
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "An audience with this name already exists." in page
    assert _audience_names() == ["Taken"]


# --- 2. who the non-signers audience leaves out -------------------------------------------------


def test_the_non_signers_audience_leaves_out_anyone_with_a_confirmed_signature_of_their_own():
    declaration = make_declaration(moderate_individuals=True)
    people = {}
    orgs = {}
    for name in ("approved", "pending", "individual", "rejected", "unconfirmed", "nothing"):
        org = factories.organisation(f"Org {name}")
        factories.membership(org)
        orgs[name] = org
        people[name] = factories.person(org, f"first@{name}.example")
        factories.person(org, f"second@{name}.example")

    def sign(name, **fields):
        person = people[name]
        make_signature(
            declaration, person.email, organisation=orgs[name], person_id=person.id, **fields
        )

    sign("approved", signing_as="organisation")  # the company signed: nobody there is asked
    sign("pending", signing_as="organisation", moderation="pending")  # for the company, waiting
    sign("individual", moderation="pending")  # for herself, waiting for moderation
    sign("rejected", moderation="rejected", moderation_reason="Not a music company")
    sign("unconfirmed", status="unconfirmed", moderation="pending")
    db.session.commit()
    officer = factories.user("officer")
    audience = audience_services.save_non_signers(declaration, "Fair deals", officer)
    db.session.commit()
    reached = {row.email_key for row in db.session.execute(recipients(audience, MEMBER))}
    assert reached == {
        # Confirmed, awaiting moderation: signed, so left out; their colleagues are not
        # (their company has not signed as the coverage page counts it).
        "second@pending.example",
        "second@individual.example",
        # A rejected signature is not counted, but its signer cannot sign again with that
        # address: only the colleague is asked.
        "second@rejected.example",
        # Never confirmed: not a signature.
        "first@unconfirmed.example",
        "second@unconfirmed.example",
        "first@nothing.example",
        "second@nothing.example",
    }
    # A thank-you to signers reaches only signatures that stand: not the rejected one, nor
    # those still waiting for an officer.
    thank_you = audience_services.create_audience(
        {
            "name": "Thank you",
            "kind": "segment",
            "filters": {"include": {"signed_declaration_ids": [declaration.id]}},
        }
    )
    db.session.commit()
    thanked = {row.email_key for row in db.session.execute(recipients(thank_you, MEMBER))}
    assert thanked == {"first@approved.example", "second@approved.example"}
    # The companies the coverage page lists as not signed are exactly those still reached.
    listed = {org.id for org in db.session.scalars(non_signers_stmt(declaration.id, officer))}
    assert listed == {orgs[n].id for n in orgs if n != "approved"}


# --- 3. the text of an open declaration ----------------------------------------------------------


def _officer_saves_en(client, declaration_id, body, consent_label):
    return client.post(
        f"/staff/declarations/{declaration_id}/text",
        data={
            "language": "en",
            "t-en-title": "Fair digital deals",
            "t-en-body": body,
            "t-en-consent_label": consent_label,
        },
    )


def test_changing_an_open_declarations_text_before_any_signature_shows_it_again(
    app, client, login_as, monkeypatch
):
    """A visitor loaded the form with version 1's words; an officer changes them before anyone
    signed. The visitor's signature must not record words (and a consent question) they never
    saw: the form is shown again with the new text, and only then signed."""
    declaration = make_open_declaration()
    stamp = _old_stamp(declaration, monkeypatch)  # the visitor's form, showing version 1
    login_as("officer")
    saved = _officer_saves_en(
        client, declaration.id, "We commit to other things.", "Share my data with partners"
    )
    assert saved.status_code == 302
    client.get("/logout")
    visitor = app.test_client()
    page = visitor.post(
        "/declarations/fair-digital-deals",
        data={**form("x@example.org", consent_updates="y"), "stamp": stamp},
    )
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert words("en")["text_updated"] in text and "Share my data with partners" in text
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    fresh = _old_stamp(declaration, monkeypatch)  # the form shown again, with the new text
    visitor.post(
        "/declarations/fair-digital-deals",
        data={**form("x@example.org", consent_updates="y"), "stamp": fresh},
    )
    db.session.expire_all()
    signature = db.session.scalars(select(Signature)).one()
    assert signature.version.number == 2
    assert signature.consent_wording == "Share my data with partners"
    first = db.session.scalars(
        select(DeclarationVersion).where(DeclarationVersion.number == 1)
    ).one()
    # Version 1 keeps the words the first form showed.
    assert services.text_for(first, "en").body == "We commit to **fair** deals."


def test_only_a_declaration_not_open_yet_is_edited_in_place():
    soon = make_open_declaration("soon", open_on=date.today() + timedelta(days=3))
    version = services.save_text(soon, "en", {"title": "New title", "body": "New."})
    db.session.commit()
    assert version.number == 1 and services.text_for(version, "en").title == "New title"
    # Closed, unsigned: it may reopen, and a visitor's form from before it closed still carries
    # a stamp for the version shown then, so the words change in a new version.
    over = make_open_declaration(
        "over",
        open_on=date.today() - timedelta(days=30),
        close_on=date.today() - timedelta(days=1),
    )
    first = services.current_version(over)
    version = services.save_text(over, "en", {"title": "New title", "body": "New."})
    db.session.commit()
    assert version.number == 2 and services.text_for(first, "en").title == "Fair digital deals"


def test_the_edit_page_says_which_way_a_text_will_be_saved(client, login_as):
    open_now = make_open_declaration("open-now")
    soon = make_open_declaration("soon", open_on=date.today() + timedelta(days=3))
    login_as("officer")
    page = client.get(f"/staff/declarations/{open_now.id}/edit").get_data(as_text=True)
    assert "The declaration has opened: saving a text creates a new version" in page
    page = client.get(f"/staff/declarations/{soon.id}/edit").get_data(as_text=True)
    assert "Not open yet: saving a text edits the current version" in page


# --- 4. two officers at the same moment ----------------------------------------------------------


def test_two_officers_saving_a_signed_text_at_once_get_a_message_not_a_500(
    client, login_as, monkeypatch
):
    declaration = make_open_declaration()
    make_signature(declaration, "first@example.org")
    db.session.commit()
    real = services.current_version
    raced = []

    def current_version_then_the_other_officer_saves(item):
        version = real(item)
        if not raced:  # the other officer's request makes version 2 and commits first
            raced.append(True)
            with db.engine.begin() as other:
                other.execute(
                    insert(DeclarationVersion).values(
                        declaration_id=version.declaration_id, number=version.number + 1
                    )
                )
        return version

    monkeypatch.setattr(services, "current_version", current_version_then_the_other_officer_saves)
    login_as("officer")
    response = _officer_saves_en(client, declaration.id, "Our words.", "Keep me informed")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert services.TEXT_RACE in page
    assert "Our words." in page  # the officer's text is still in the form, not lost
    numbers = db.session.scalars(
        select(DeclarationVersion.number).where(DeclarationVersion.declaration_id == declaration.id)
    ).all()
    assert sorted(numbers) == [1, 2]


def test_two_officers_creating_declarations_with_one_slug_at_once_get_a_message(
    client, login_as, monkeypatch
):
    real = services.unique_slug

    def unique_slug_then_the_other_officer_creates(model, wanted, title, exclude_id=None):
        slug = real(model, wanted, title, exclude_id)
        with db.engine.begin() as other:  # the other officer's declaration, committed first
            other.execute(insert(Declaration).values(slug=slug, open_on=date(2026, 3, 1)))
        return slug

    monkeypatch.setattr(services, "unique_slug", unique_slug_then_the_other_officer_creates)
    login_as("officer")
    response = client.post(
        "/staff/declarations/new",
        data={
            "slug": "fair-deals",
            "campaign_id": "0",
            "open_on": "2026-03-01",
            "signer_kinds": "both",
            "default_language": "en",
            "title": "Fair deals",
            "body": "We commit.",
        },
    )
    assert response.status_code == 200
    assert services.SLUG_RACE in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Declaration)) == 1
    assert db.session.scalar(select(func.count()).select_from(DeclarationVersion)) == 0
