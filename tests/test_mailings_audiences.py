"""Who an audience reaches: each criterion, include and exclude, OR within and AND between
criteria, suppression (also hash-only), consent per purpose, scope, and one SQL statement."""

from datetime import date

import pytest
from sqlalchemy import event

from crm.extensions import db
from crm.mailings import audience_services, consent
from crm.mailings.audience_models import Audience, PersonInterest
from crm.mailings.audiences import (
    AudienceError,
    count_recipients,
    preview,
    recipients,
    recipients_for_filters,
    validate_filters,
)
from crm.members.vocab import OrgKind
from crm.policy import services_stakeholders
from crm.policy.models import Priority
from tests import factories
from tests.test_declarations_staff import make_declaration, make_signature

MEMBER = "member_communications"
# Everyone in the world granted the newsletter, so the criteria tests see every person.
EVERYONE = "newsletter"


@pytest.fixture
def world():
    """Germany: VUT with two member labels (one active, one lapsed) and a direct member
    publisher; France: one active label through FELIN. A journalist without organisation."""
    vut = factories.association("VUT", country="DE")
    felin = factories.association("FELIN", country="FR")
    de_label = factories.organisation("DE Label", association_id=vut.id, sme_size="micro")
    factories.membership(de_label, via=vut)
    de_lapsed = factories.organisation("DE Lapsed", association_id=vut.id)
    factories.membership(de_lapsed, start=date(2015, 1, 1), end=date(2016, 1, 1))
    de_pub = factories.organisation("DE Publisher", kind=OrgKind.PUBLISHER, sme_size="small")
    factories.membership(de_pub)
    fr_label = factories.organisation("FR Label", country="FR", association_id=felin.id)
    factories.membership(fr_label, via=felin)
    p = {
        "anna": factories.person(
            de_label, "anna@de.example", language="de", is_primary_contact=True
        ),
        "bernd": factories.person(de_label, "bernd@de.example", language="en"),
        "lapsed": factories.person(de_lapsed, "old@de.example", language="de"),
        "pub": factories.person(de_pub, "pub@de.example", language="de", is_primary_contact=True),
        "claire": factories.person(
            fr_label, "claire@fr.example", language="fr", is_primary_contact=True
        ),
        "noemail": factories.person(de_label, "", first_name="No"),
    }
    press = services_stakeholders.create_stakeholder(
        {
            "first_name": "Jo",
            "last_name": "Press",
            "email": "jo@press.example",
            "kind": "journalist",
            "country": "BE",
            "beat": "EU Tech and Copyright",
        }
    )
    p["jo"] = press.person
    for person in p.values():
        consent.record_consent(
            person, EVERYONE, True, basis="consent", source="test", wording_version="2026-01"
        )
    db.session.commit()
    return {
        "people": p,
        "vut": vut,
        "felin": felin,
        "orgs": [de_label, de_lapsed, de_pub, fr_label],
    }


def who(filters, purpose=EVERYONE, scope=None) -> set[str]:
    rows = db.session.execute(recipients_for_filters(filters, purpose, scope))
    return {row.email_key.split("@")[0] for row in rows}


def inc(**criteria):
    return {"include": criteria}


def test_everyone_with_an_email_by_default(world):
    assert who({}) == {"anna", "bernd", "old", "pub", "claire", "jo"}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"countries": ["FR"]}, {"claire"}),
        ({"countries": ["be"]}, {"jo"}),  # a stakeholder's own country; lower case accepted
        ({"countries": ["FR", "BE"]}, {"claire", "jo"}),  # OR within a criterion
        ({"org_kinds": ["publisher"]}, {"pub"}),
        ({"sme_sizes": ["micro", "small"]}, {"anna", "bernd", "pub"}),
        ({"membership_statuses": ["lapsed"]}, {"old"}),
        ({"membership_statuses": ["none"]}, {"jo"}),
        ({"roles": ["primary"]}, {"anna", "pub", "claire"}),
        ({"roles": ["other"]}, {"bernd", "old", "jo"}),
        ({"roles": ["primary", "other"]}, {"anna", "bernd", "old", "pub", "claire", "jo"}),
        ({"languages": ["fr", "en"]}, {"bernd", "claire"}),
        ({"stakeholder_kinds": ["journalist"]}, {"jo"}),
        ({"beat_contains": "copyRIGHT"}, {"jo"}),
        ({"beat_contains": "100%"}, set()),  # % is a character, not a wildcard
        # AND between criteria
        ({"countries": ["DE"], "membership_statuses": ["active"]}, {"anna", "bernd", "pub"}),
        ({"countries": ["DE"], "roles": ["primary"], "languages": ["de"]}, {"anna", "pub"}),
    ],
)
def test_each_criterion(world, criteria, expected):
    assert who(inc(**criteria)) == expected


def test_association_criterion_and_scope(world):
    vut = world["vut"].id
    assert who(inc(association_ids=[vut])) == {"anna", "bernd", "old"}
    assert who(inc(association_ids=[vut, world["felin"].id])) == {"anna", "bernd", "old", "claire"}
    # A scoped audience never leaves its association, whatever its filters say.
    assert who({}, scope=vut) == {"anna", "bernd", "old"}
    assert who(inc(countries=["FR"]), scope=vut) == set()


def test_priority_interests(world):
    a, b = Priority(slug="vat", title="VAT"), Priority(slug="ai", title="AI")
    db.session.add_all([a, b])
    db.session.flush()
    people = world["people"]
    db.session.add_all(
        [
            PersonInterest(person_id=people["anna"].id, priority_id=a.id),
            PersonInterest(person_id=people["claire"].id, priority_id=b.id),
            PersonInterest(person_id=people["claire"].id, priority_id=a.id),
        ]
    )
    db.session.flush()
    assert who(inc(priority_ids=[a.id])) == {"anna", "claire"}
    assert who(inc(priority_ids=[b.id])) == {"claire"}
    assert who({"include": {"priority_ids": [a.id]}, "exclude": {"priority_ids": [b.id]}}) == {
        "anna"
    }


def test_signed_and_not_signed_by_person_or_organisation(world):
    people, orgs = world["people"], world["orgs"]
    declaration = make_declaration("fdd")
    other = make_declaration("other")
    # Anna signed for her company: Bernd, her colleague, counts as signed too.
    sig = make_signature(
        declaration, "anna@de.example", signing_as="organisation", organisation=orgs[0]
    )
    sig.person_id = people["anna"].id
    # Jo signed as an individual (no organisation).
    make_signature(declaration, "jo@press.example", person_id=people["jo"].id)
    # Unconfirmed signatures do not count.
    make_signature(
        declaration,
        "pub@de.example",
        organisation=orgs[2],
        status="unconfirmed",
        person_id=people["pub"].id,
    )
    make_signature(other, "claire@fr.example", person_id=people["claire"].id, organisation=orgs[3])
    db.session.flush()
    assert who(inc(signed_declaration_ids=[declaration.id])) == {"anna", "bernd", "jo"}
    assert who(inc(signed_declaration_ids=[declaration.id, other.id])) == {
        "anna",
        "bernd",
        "jo",
        "claire",
    }
    assert who(inc(not_signed_declaration_ids=[declaration.id])) == {"old", "pub", "claire"}
    # People without an organisation are not-signers unless they signed themselves.
    jo_only_other = who(
        inc(not_signed_declaration_ids=[other.id], stakeholder_kinds=["journalist"])
    )
    assert jo_only_other == {"jo"}


def test_exclude_removes_matches_and_keeps_people_without_the_value(world):
    # Jo has no organisation kind: excluding labels must not drop him (NULL-safe exclude).
    assert who({"exclude": {"org_kinds": ["label"]}}) == {"pub", "jo"}
    assert who({"exclude": {"countries": ["DE"]}}) == {"claire", "jo"}
    # Exclude criteria AND-ed too: only German primary contacts are left out.
    assert who({"exclude": {"countries": ["DE"], "roles": ["primary"]}}) == {
        "bernd",
        "old",
        "claire",
        "jo",
    }
    assert who(
        {"include": {"countries": ["DE"]}, "exclude": {"membership_statuses": ["lapsed"]}}
    ) == {"anna", "bernd", "pub"}


def test_suppressed_addresses_are_always_left_out_also_hash_only(world):
    consent.suppress("Anna@DE.example", "unsubscribed", source="test")
    consent.suppress("pub@de.example", "hard_bounce", source="test")
    # Erasure keeps only the hash; the person re-appears later with the same address.
    consent.suppress_hash_only("claire@fr.example")
    db.session.flush()
    assert who({}) == {"bernd", "old", "jo"}
    for purpose in consent.PURPOSES:
        for name in ("anna", "pub", "claire"):
            consent.record_consent(
                world["people"][name], purpose, True, basis="consent", source="t", wording="yes"
            )
    # A yes never outweighs a suppression, whatever the purpose.
    for purpose in consent.PURPOSES:
        assert who({}, purpose) & {"anna", "pub", "claire"} == set(), purpose
    assert consent.is_suppressed("CLAIRE@fr.example ")


def test_hash_only_check_is_by_hash_not_by_a_missing_key(world):
    """Without any erased entry nobody is dropped for a hash; with one only that person."""
    assert "claire" in who({})
    consent.suppress_hash_only("somebody.else@example.org")
    db.session.flush()
    assert who({}) == {"anna", "bernd", "old", "pub", "claire", "jo"}


def test_opt_out_and_opt_in_purposes(world):
    people = world["people"]
    # Member communications: current members only (not the lapsed one, not the journalist).
    assert who({}, MEMBER) == {"anna", "bernd", "pub", "claire"}
    consent.record_consent(people["anna"], MEMBER, False, basis="contract", source="test")
    consent.record_consent(
        people["bernd"], "campaign_updates", True, basis="consent", source="t", wording_version="v1"
    )
    consent.record_consent(people["claire"], "campaign_updates", False, basis="consent", source="t")
    consent.record_consent(
        people["jo"], "press_releases", True, basis="legitimate_interest", source="test"
    )
    db.session.flush()
    # Opt-out: everyone at a current member but who withdrew.
    assert who({}, MEMBER) == {"bernd", "pub", "claire"}
    # Opt-in: only who granted.
    assert who({}, "campaign_updates") == {"bernd"}
    assert who({}, "press_releases") == {"jo"}
    # Withdrawing an opt-in takes the person out again.
    consent.record_consent(people["bernd"], "campaign_updates", False, basis="consent", source="t")
    consent.record_consent(people["claire"], EVERYONE, False, basis="consent", source="t")
    db.session.flush()
    assert who({}, "campaign_updates") == set()
    assert "claire" not in who({})


def test_static_list_is_its_entries_minus_exclude_and_suppression(world):
    people = world["people"]
    audience = audience_services.create_audience({"name": "Press", "kind": "static"})
    audience_services.add_people(
        audience, [people["jo"].id, people["claire"].id, people["anna"].id, people["noemail"].id]
    )
    audience.filters = {"include": {"countries": ["IT"]}, "exclude": {"countries": ["FR"]}}
    db.session.flush()
    rows = preview(audience, EVERYONE)
    assert [r.email_key for r in rows] == ["anna@de.example", "jo@press.example"]
    consent.suppress("jo@press.example", "complaint", source="test")
    db.session.flush()
    assert count_recipients(audience, EVERYONE) == 1
    # A list used as a criterion of a segment.
    assert who(inc(list_ids=[audience.id])) == {"anna", "claire"}


def test_columns_and_order(world):
    audience = Audience(name="x", kind="segment", filters=inc(countries=["DE", "BE"]))
    rows = db.session.execute(recipients(audience, EVERYONE)).all()
    assert [r.person_id for r in rows] == sorted(r.person_id for r in rows)
    jo = next(r for r in rows if r.email_key == "jo@press.example")
    assert set(jo._mapping.keys()) == {
        "person_id",
        "email",
        "email_key",
        "first_name",
        "last_name",
        "organisation",
        "country",
        "language",
    }
    assert (jo.first_name, jo.organisation, jo.country) == ("Jo", None, "BE")
    anna = next(r for r in rows if r.email_key == "anna@de.example")
    assert (anna.organisation, anna.country, anna.language) == ("DE Label", "DE", "de")


def test_a_complex_audience_resolves_in_one_statement(world):
    declaration = make_declaration("fdd")
    priority = Priority(slug="vat", title="VAT")
    db.session.add(priority)
    db.session.flush()
    consent.suppress_hash_only("erased@example.org")
    db.session.commit()
    filters = {
        "include": {
            "countries": ["DE", "FR"],
            "membership_statuses": ["active", "grace"],
            "not_signed_declaration_ids": [declaration.id],
            "priority_ids": [priority.id],
            "roles": ["primary"],
            "list_ids": [1],
            "beat_contains": "x",
            "signed_declaration_ids": [declaration.id],
        },
        "exclude": {"languages": ["fr"], "org_kinds": ["artist"], "association_ids": [1]},
    }
    audience = Audience(name="complex", kind="segment", filters=filters, scope_association_id=1)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = db.session.execute(recipients(audience, "newsletter")).all()
        members = db.session.execute(recipients(audience, MEMBER)).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert rows == members == []
    assert len(statements) == 2, statements


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"include": {"colour": ["red"]}}, "unknown criterion 'colour'"),
        ({"other": {}}, "Unknown filter section"),
        ({"include": {"countries": ["ZZ"]}}, "unknown value 'ZZ'"),
        ({"include": {"org_kinds": ["bank"]}}, "unknown value"),
        ({"include": {"association_ids": [0]}}, "not a valid id"),
        ({"include": {"association_ids": [2**40]}}, "not a valid id"),
        ({"include": {"association_ids": [True]}}, "not a valid id"),
        ({"include": {"priority_ids": ["x"]}}, "not a valid id"),
        ({"include": {"beat_contains": "x" * 101}}, "at most 100"),
        ({"include": {"roles": list(range(501))}}, "at most 500"),
        ({"include": []}, "expected criteria"),
        ([], "must be an object"),
    ],
)
def test_filters_are_validated_with_a_clear_message(filters, message):
    with pytest.raises(AudienceError, match=message):
        validate_filters(filters)


def test_validation_normalises(world):
    clean = validate_filters(
        {
            "include": {
                "countries": [" de", "DE"],
                "priority_ids": ["7"],
                "beat_contains": "  eu   tech ",
                "roles": [],
            }
        }
    )
    assert clean == {
        "include": {"countries": ["DE"], "priority_ids": [7], "beat_contains": "eu tech"},
        "exclude": {},
    }
    with pytest.raises(AudienceError, match="Unknown purpose"):
        recipients_for_filters({}, "spam")
