"""Who member communications reach, "signed"/"not signed" as the coverage page counts it (and
the non-signers audience giving the coverage page's companies), and static lists that a
segment's filters name cannot be deleted."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crm.declarations.coverage import non_signers_stmt
from crm.extensions import db
from crm.mailings import audience_services, consent
from crm.mailings.audience_models import Audience
from crm.mailings.audiences import AudienceError, recipients, recipients_for_filters
from crm.members.models import Person
from crm.members.vocab import OrgKind
from crm.policy import services_stakeholders
from tests import factories
from tests.test_declarations_staff import make_declaration, make_signature

MEMBER = "member_communications"


def _names(stmt) -> set[str]:
    return {row.email_key.split("@")[0] for row in db.session.execute(stmt)}


def _stakeholder(first, email, kind):
    return services_stakeholders.create_stakeholder(
        {"first_name": first, "last_name": "X", "email": email, "kind": kind, "country": "BE"}
    ).person


def test_member_communications_reach_current_members_or_an_explicit_yes():
    active = factories.organisation("Active Label")
    factories.membership(active)
    grace = factories.organisation("Grace Label")
    factories.membership(grace, end=date.today() - timedelta(days=10))
    lapsed = factories.organisation("Lapsed Label")
    factories.membership(lapsed, start=date(2015, 1, 1), end=date(2016, 1, 1))
    outsider = factories.organisation("Never a member")
    people = {
        "anna": factories.person(active, "anna@x.example"),
        "gina": factories.person(grace, "gina@x.example"),
        "lars": factories.person(lapsed, "lars@x.example"),
        "nora": factories.person(outsider, "nora@x.example"),
        "jo": _stakeholder("Jo", "jo@press.example", "journalist"),
        "mia": _stakeholder("Mia", "mia@ep.example", "mep"),
    }
    db.session.commit()
    assert grace.membership_status == "grace" and lapsed.membership_status == "lapsed"
    reached = recipients_for_filters({}, MEMBER)
    assert _names(reached) == {"anna", "gina"}
    # An explicit yes reaches anyone; a yes resting on a membership contract ends with it.
    consent.record_consent(people["jo"], MEMBER, True, basis="legitimate_interest", source="t")
    consent.record_consent(people["lars"], MEMBER, True, basis="contract", source="membership")
    # A withdrawal keeps even a current member out.
    consent.record_consent(people["gina"], MEMBER, False, basis="contract", source="t")
    db.session.flush()
    assert _names(recipients_for_filters({}, MEMBER)) == {"anna", "jo"}
    # The consent page says the same per person.
    answers = consent.consents_of(people["lars"].id)
    assert not consent.is_reachable(answers.get(MEMBER), MEMBER, current_member=False)
    assert consent.is_reachable(None, MEMBER, current_member=True)
    assert not consent.is_reachable(None, MEMBER, current_member=False)


@pytest.fixture
def coverage_world():
    """Current members that signed in each way that does or does not count, one lapsed, one
    association, each with two contacts."""
    vut = factories.association("VUT", country="DE")
    factories.person(vut, "staff@vut.example")
    declaration = make_declaration("fair-digital-deals")
    orgs = {}
    for name, kind in (
        ("approved", OrgKind.LABEL),
        ("pending", OrgKind.LABEL),
        ("individual", OrgKind.LABEL),
        ("unconfirmed", OrgKind.LABEL),
        ("nothing", OrgKind.ARTIST),
        ("grace", OrgKind.PUBLISHER),
        ("lapsed", OrgKind.LABEL),
    ):
        org = factories.organisation(f"Org {name}", kind=kind, association_id=vut.id)
        if name == "grace":
            factories.membership(org, end=date.today() - timedelta(days=5), via=vut)
        elif name == "lapsed":
            factories.membership(org, start=date(2015, 1, 1), end=date(2016, 1, 1), via=vut)
        else:
            factories.membership(org, via=vut)
        first = factories.person(org, f"first@{name}.example")
        factories.person(org, f"second@{name}.example")
        orgs[name] = (org, first)

    def sign(name, **fields):
        org, person = orgs[name]
        make_signature(declaration, person.email, organisation=org, person_id=person.id, **fields)

    sign("approved", signing_as="organisation")
    sign("pending", signing_as="organisation", moderation="pending")
    sign("individual")  # the person for themself, though matched to the company
    sign("unconfirmed", signing_as="organisation", status="unconfirmed", moderation="pending")
    db.session.commit()
    return {"declaration": declaration, "orgs": orgs, "vut": vut}


def _organisations_of(audience) -> set[int]:
    ids = [row.person_id for row in db.session.execute(recipients(audience, MEMBER))]
    return set(db.session.scalars(select(Person.organisation_id).where(Person.id.in_(ids))))


def _keys(criteria) -> set[str]:
    rows = db.session.execute(recipients_for_filters({"include": criteria}, MEMBER))
    return {row.email_key for row in rows}


def test_signed_and_not_signed_count_as_the_coverage_page_does(coverage_world):
    declaration = coverage_world["declaration"].id
    # Signed (a thank-you): the approved company's people all count; the individual signer
    # for herself only; a company signature still waiting for moderation, or unconfirmed,
    # for nobody.
    assert _keys({"signed_declaration_ids": [declaration]}) == {
        "first@approved.example",
        "second@approved.example",
        "first@individual.example",
    }
    # Not signed (asked to sign): the signer waiting for moderation has a confirmed signature
    # of her own, so she is not asked again (the coverage page's promise); her company has not
    # signed as coverage counts it, so her colleague is.
    not_signed = _keys({"not_signed_declaration_ids": [declaration]})
    assert "second@individual.example" in not_signed
    assert "first@individual.example" not in not_signed
    assert "first@pending.example" not in not_signed
    assert {"second@pending.example", "first@unconfirmed.example"} <= not_signed
    assert not_signed.isdisjoint({"first@approved.example", "second@approved.example"})


@pytest.mark.parametrize("role", ["officer", "association"])
def test_the_non_signers_audience_gives_the_coverage_pages_companies(coverage_world, role):
    declaration = coverage_world["declaration"]
    vut = coverage_world["vut"]
    user = factories.user(role, organisation=vut if role == "association" else None)
    outside = factories.organisation("Outside VUT", country="FR")
    factories.membership(outside)
    factories.person(outside, "someone@outside.example")
    db.session.commit()
    audience = audience_services.save_non_signers(declaration, "FDD", user)
    db.session.commit()
    coverage = {org.id for org in db.session.scalars(non_signers_stmt(declaration.id, user))}
    expected = {coverage_world["orgs"][n][0].id for n in ("pending", "individual", "unconfirmed")}
    expected |= {coverage_world["orgs"][n][0].id for n in ("nothing", "grace")}
    if role == "officer":
        expected.add(outside.id)
    assert coverage == expected
    assert _organisations_of(audience) == coverage


# --- a static list named by a segment ---------------------------------------------------------


def _list_and_segments():
    static = audience_services.create_audience({"name": "VIP list", "kind": "static"})
    uses = audience_services.create_audience(
        {"name": "VIPs in Germany", "filters": {"include": {"list_ids": [static.id]}}}
    )
    leaves_out = audience_services.create_audience(
        {"name": "All but VIPs", "filters": {"exclude": {"list_ids": [static.id]}}}
    )
    audience_services.create_audience({"name": "Unrelated", "filters": {}})
    db.session.commit()
    return static, uses, leaves_out


def test_a_list_that_segments_name_cannot_be_deleted():
    static, uses, leaves_out = _list_and_segments()
    with pytest.raises(AudienceError) as refused:
        audience_services.delete_audience(static)
    message = str(refused.value)
    assert "“All but VIPs”" in message and "“VIPs in Germany”" in message
    assert "Unrelated" not in message
    db.session.rollback()
    audience_services.update_audience(uses, {"name": uses.name, "filters": {}})
    audience_services.update_audience(leaves_out, {"name": leaves_out.name, "filters": {}})
    audience_services.delete_audience(static)
    db.session.commit()
    assert db.session.get(Audience, static.id) is None


def test_the_page_says_why_and_a_delete_is_refused_with_the_names(client, login_as):
    static, _, _ = _list_and_segments()
    login_as("comms")
    page = client.get(f"/mailings/audiences/{static.id}").get_data(as_text=True)
    assert "VIPs in Germany" in page and "use this list, so it cannot be deleted" in page
    response = client.post(f"/mailings/audiences/{static.id}/delete", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The filters of" in page and "VIPs in Germany" in page and "All but VIPs" in page
    assert db.session.scalar(select(func.count()).select_from(Audience)) == 4
