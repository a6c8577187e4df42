"""Declarations, staff side: matching signatures to the directory, moderation, the public
signatory list. Signatures are built directly here, not through the public signing flow."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.audit.services import snapshot
from crm.declarations import moderation
from crm.declarations.matching import match_signature
from crm.declarations.models import Declaration, DeclarationText, DeclarationVersion, Signature
from crm.extensions import db
from crm.members.models import Organisation, Person
from crm.members.normalise import email_key
from tests import factories


def make_declaration(slug="fair-deals", title=None, body="We commit.", **fields) -> Declaration:
    """A declaration open since January 2026 with one English version."""
    declaration = Declaration(
        slug=slug,
        open_on=fields.pop("open_on", date(2026, 1, 1)),
        asked_fields=["organisation", "country"],
        **fields,
    )
    version = DeclarationVersion(number=1)
    version.texts.append(
        DeclarationText(language="en", title=title or f"Declaration {slug}", body=body)
    )
    declaration.versions.append(version)
    db.session.add(declaration)
    db.session.flush()
    return declaration


def make_signature(declaration, email, **fields) -> Signature:
    """A signature, confirmed and published unless told otherwise."""
    status = fields.pop("status", "confirmed")
    signing_as = fields.pop("signing_as", "individual")
    organisation = fields.pop("organisation", None)
    values = {
        "first_name": "Sam",
        "last_name": "Signer",
        "country": "DE",
        "list_publicly": True,
        "moderation": "approved" if signing_as == "organisation" else "not_needed",
        "match_status": "matched" if organisation else "none",
        **fields,
    }
    signature = Signature(
        declaration_id=declaration.id,
        version_id=declaration.versions[0].id,
        email=email,
        email_key=email_key(email),
        signing_as=signing_as,
        status=status,
        confirmed_at=datetime(2026, 2, 1, 12, tzinfo=UTC) if status == "confirmed" else None,
        organisation_id=organisation.id if organisation else None,
        organisation_name=organisation.name
        if organisation and signing_as == "organisation"
        else values.pop("organisation_name", None),
        **values,
    )
    db.session.add(signature)
    db.session.flush()
    return signature


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


# --- matching ----------------------------------------------------------------------------------


def test_match_by_email_ignores_case_and_whitespace_and_changes_nothing_in_directory():
    org = factories.organisation("Kompakt Tonträger GmbH")
    person = factories.person(org, email="Anna.Kraus@Kompakt.example")
    db.session.commit()
    before = (snapshot(org), snapshot(person), org.updated_at, person.updated_at)
    events = _audit_count()
    declaration = make_declaration()
    signature = make_signature(
        declaration, "  ANNA.kraus@kompakt.EXAMPLE ", status="confirmed", match_status="none"
    )

    assert match_signature(signature) == "matched"
    db.session.commit()

    assert signature.person_id == person.id
    assert signature.organisation_id == org.id
    assert signature.suggested_organisation_id is None
    db.session.expire_all()
    org, person = db.session.get(Organisation, org.id), db.session.get(Person, person.id)
    assert (snapshot(org), snapshot(person), org.updated_at, person.updated_at) == before
    assert _audit_count() == events


def test_suggestion_by_normalised_name_and_same_country_only():
    org = factories.organisation("Beggars Group Ltd.", country="GB")
    db.session.commit()
    declaration = make_declaration()
    same = make_signature(
        declaration, "x1@label.example", organisation_name="  beggars GROUP ", country="GB"
    )
    other_country = make_signature(
        declaration, "x2@label.example", organisation_name="Beggars Group", country="FR"
    )
    no_name = make_signature(declaration, "x3@label.example", country="GB")
    no_country = make_signature(
        declaration, "x4@label.example", organisation_name="Beggars Group", country=None
    )

    assert match_signature(same) == "suggested"
    assert same.suggested_organisation_id == org.id and same.organisation_id is None
    assert match_signature(other_country) == "none"
    assert match_signature(no_name) == "none"
    assert match_signature(no_country) == "none"
    assert other_country.suggested_organisation_id is None


def _suggested(declaration, org, email):
    signature = make_signature(
        declaration,
        email,
        organisation_name=org.name,
        country=org.country,
        signing_as="organisation",
    )
    match_signature(signature)
    assert signature.match_status == "suggested"
    return signature


def test_officer_confirms_and_rejects_suggestions_with_audit(client, login_as):
    org = factories.organisation("Domino Recording Co", country="GB")
    declaration = make_declaration()
    first = _suggested(declaration, org, "a@domino.example")
    second = _suggested(declaration, org, "b@domino.example")
    db.session.commit()
    directory_before = snapshot(org)
    login_as("officer")

    queue = client.get("/staff/declarations/matches").get_data(as_text=True)
    assert "a@domino.example" in queue and "b@domino.example" in queue

    response = client.post(f"/staff/signatures/{first.id}/match", data={"decision": "confirm"})
    assert response.status_code == 302
    response = client.post(f"/staff/signatures/{second.id}/match", data={"decision": "reject"})
    assert response.status_code == 302

    db.session.expire_all()
    first, second = db.session.get(Signature, first.id), db.session.get(Signature, second.id)
    assert (first.match_status, first.organisation_id) == ("matched", org.id)
    assert (second.match_status, second.organisation_id) == ("rejected", None)
    assert snapshot(db.session.get(Organisation, org.id)) == directory_before
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "signature").order_by(AuditEvent.id)
    ).all()
    assert [(e.entity_id, e.after["match_status"]) for e in events] == [
        (first.id, "matched"),
        (second.id, "rejected"),
    ]
    # A decided suggestion cannot be decided again.
    client.post(f"/staff/signatures/{second.id}/match", data={"decision": "confirm"})
    db.session.expire_all()
    assert db.session.get(Signature, second.id).match_status == "rejected"
    assert "No suggestions wait" in client.get("/staff/declarations/matches").get_data(as_text=True)


def test_bad_match_decision_changes_nothing(client, login_as):
    org = factories.organisation("Mute Artists", country="GB")
    declaration = make_declaration()
    signature = _suggested(declaration, org, "c@mute.example")
    db.session.commit()
    login_as("admin")
    client.post(f"/staff/signatures/{signature.id}/match", data={"decision": "maybe"})
    db.session.expire_all()
    assert db.session.get(Signature, signature.id).match_status == "suggested"


# --- moderation --------------------------------------------------------------------------------


def test_initial_moderation_follows_the_declaration():
    relaxed = make_declaration("relaxed", moderate_individuals=False)
    strict = make_declaration("strict", moderate_individuals=True)
    assert moderation.initial_moderation(relaxed, "organisation") == "pending"
    assert moderation.initial_moderation(relaxed, "individual") == "not_needed"
    assert moderation.initial_moderation(strict, "individual") == "pending"


def test_moderation_queue_approve_and_reject_with_reason_are_audited(client, login_as):
    declaration = make_declaration()
    approve_me = make_signature(
        declaration,
        "org1@label.example",
        signing_as="organisation",
        moderation="pending",
        organisation_name="Approve Me Records",
    )
    reject_me = make_signature(
        declaration,
        "org2@label.example",
        signing_as="organisation",
        moderation="pending",
        organisation_name="Spam Inc",
    )
    unconfirmed = make_signature(
        declaration,
        "org3@label.example",
        signing_as="organisation",
        moderation="pending",
        status="unconfirmed",
        organisation_name="Not Yet Records",
    )
    published = make_signature(declaration, "ind@label.example")
    db.session.commit()
    officer = login_as("officer")

    page = client.get(f"/staff/declarations/{declaration.id}/moderation").get_data(as_text=True)
    assert "Approve Me Records" in page and "Spam Inc" in page
    assert "Not Yet Records" not in page and "ind@label.example" not in page

    url = "/staff/signatures/{}/moderate"
    client.post(url.format(approve_me.id), data={"decision": "approve"})
    client.post(url.format(reject_me.id), data={"decision": "reject", "reason": "  "})
    db.session.expire_all()
    assert db.session.get(Signature, reject_me.id).moderation == "pending"  # reason required
    client.post(url.format(reject_me.id), data={"decision": "reject", "reason": "Not a label"})
    client.post(url.format(unconfirmed.id), data={"decision": "approve"})

    db.session.expire_all()
    approved = db.session.get(Signature, approve_me.id)
    rejected = db.session.get(Signature, reject_me.id)
    assert (approved.moderation, approved.moderated_by_id) == ("approved", officer.id)
    assert approved.moderated_at is not None
    assert (rejected.moderation, rejected.moderation_reason) == ("rejected", "Not a label")
    assert db.session.get(Signature, unconfirmed.id).moderation == "pending"
    assert db.session.get(Signature, published.id).moderation == "not_needed"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "signature").order_by(AuditEvent.id)
    ).all()
    assert [(e.entity_id, e.after["moderation"], e.actor) for e in events] == [
        (approve_me.id, "approved", officer.email),
        (reject_me.id, "rejected", officer.email),
    ]
    assert events[1].after["moderation_reason"] == "Not a label"

    staff_page = client.get(f"/staff/declarations/{declaration.id}/signatures").get_data(
        as_text=True
    )
    assert f"Signature {reject_me.id} (Spam Inc) rejected" in staff_page
    assert f"Signature {approve_me.id} (Approve Me Records) approved" in staff_page
    assert "Nothing waits for moderation" in client.get(
        f"/staff/declarations/{declaration.id}/moderation"
    ).get_data(as_text=True)


# --- the public signatory list -----------------------------------------------------------------


def test_signatory_list_shows_only_confirmed_published_listed_grouped(client):
    vut = factories.association("VUT", country="DE")
    impala_fr = factories.association("FELIN", country="FR")
    berlin = factories.organisation("Berlin Beats", association_id=vut.id)
    hamburg = factories.organisation("Hamburg Harbour Records", association_id=vut.id)
    paris = factories.organisation("Label Paris", country="FR", association_id=impala_fr.id)
    declaration = make_declaration()
    sig = make_signature
    sig(declaration, "a@x.example", signing_as="organisation", organisation=berlin)
    sig(declaration, "b@x.example", signing_as="organisation", organisation=hamburg)
    sig(declaration, "c@x.example", first_name="Petra", last_name="Public")
    sig(declaration, "d@x.example", signing_as="organisation", organisation=paris, country="FR")
    sig(declaration, "e@x.example", first_name="Jean", last_name="Dupont", country="FR")
    # None of these may appear.
    sig(declaration, "f@x.example", first_name="Una", last_name="Confirmed", status="unconfirmed")
    sig(
        declaration,
        "g@x.example",
        signing_as="organisation",
        moderation="pending",
        organisation_name="Pending Pressings",
    )
    sig(
        declaration,
        "h@x.example",
        signing_as="organisation",
        moderation="rejected",
        organisation_name="Rejected Rhythms",
    )
    sig(declaration, "i@x.example", first_name="Private", last_name="Person", list_publicly=False)
    other = make_declaration("other")
    sig(other, "j@x.example", first_name="Other", last_name="Declaration")
    db.session.commit()

    response = client.get("/declarations/fair-deals/signatories")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for hidden in ("Una", "Pending Pressings", "Rejected Rhythms", "Private", "Other Declaration"):
        assert hidden not in page
    assert "5 published signatures in 2 countries" in page
    assert (
        '<th scope="row"><a href="#country-FR">France</a></th><td class="text-end">2</td>' in page
    )
    assert (
        '<th scope="row"><a href="#country-DE">Germany</a></th><td class="text-end">3</td>' in page
    )

    from crm.declarations.signatories import public_signatories

    groups, total = public_signatories(declaration.id)
    assert total == 5
    shape = {
        g.code: {
            name: (bucket.organisations, bucket.individuals)
            for name, bucket in g.associations.items()
        }
        for g in groups
    }
    assert shape == {
        "FR": {
            "FELIN national association": (["Label Paris"], []),
            "Other signatories": ([], ["Jean Dupont"]),
        },
        "DE": {
            "VUT national association": (["Berlin Beats", "Hamburg Harbour Records"], []),
            "Other signatories": ([], ["Petra Public"]),
        },
    }
    assert [g.name for g in groups] == ["France", "Germany"]


def test_signatory_list_404_for_unknown_or_unlisted(client):
    make_declaration("hidden", list_publicly=False)
    db.session.commit()
    assert client.get("/declarations/hidden/signatories").status_code == 404
    assert client.get("/declarations/nope/signatories").status_code == 404
