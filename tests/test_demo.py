"""Demo data: what people trying the CRM depend on (counts, associations, consistent statuses,
search, logins) and that the same seed gives the same data."""

from collections import Counter
from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from crm.auth.models import User
from crm.extensions import db
from crm.members import demo, services
from crm.members.models import Membership, Organisation, Person, SearchToken
from crm.members.normalise import email_key, words
from crm.members.status import best_status
from crm.members.vocab import MembershipRoute, OrgKind
from tests import factories

MEMBERS = 300
SEED = 7


@pytest.fixture
def seeded():
    summary = demo.seed_demo(MEMBERS, seed=SEED)
    db.session.commit()
    return summary


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_counts_match_the_summary(seeded):
    csv_rows = demo.read_associations()
    assert seeded.organisations == MEMBERS
    assert seeded.associations == len(csv_rows)
    assert _count(Organisation) == MEMBERS + len(csv_rows)
    assert _count(Person) == seeded.people
    assert _count(Membership) == seeded.memberships
    assert _count(User) == seeded.users == 5
    people_per_org = Counter(db.session.scalars(select(Person.organisation_id)))
    members = db.session.scalars(select(Organisation.id).where(Organisation.acronym.is_(None)))
    assert all(1 <= people_per_org[org_id] <= 3 for org_id in members)
    # Every organisation is searchable.
    indexed = db.session.scalar(select(func.count(func.distinct(SearchToken.organisation_id))))
    assert indexed == MEMBERS + len(csv_rows)


def test_every_association_from_the_csv_exists(seeded):
    for row in demo.read_associations():
        org = db.session.scalar(select(Organisation).where(Organisation.acronym == row["acronym"]))
        assert org is not None, row["acronym"]
        assert org.country == row["country"]
        assert org.name == (row["name"] or demo.ASSOCIATION_NAMES[row["acronym"]])
        if row["acronym"] == demo.UMBRELLA:
            assert org.kind == OrgKind.OTHER and not org.memberships
        else:
            assert org.kind == OrgKind.ASSOCIATION
            assert [(m.route, m.status) for m in org.memberships] == [("direct", "active")]


def test_members_through_an_association_point_at_it(seeded):
    through = db.session.scalars(
        select(Membership).where(Membership.route == MembershipRoute.ASSOCIATION)
    ).all()
    assert len(through) > MEMBERS // 2
    for membership in through:
        assert membership.via_association.kind == OrgKind.ASSOCIATION
        assert membership.organisation.association_id == membership.via_association_id
    direct = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.route == MembershipRoute.DIRECT, Membership.via_association_id.is_(None))
    )
    assert direct > len(demo.read_associations())  # the associations and some companies


def test_statuses_follow_the_dates_and_are_a_realistic_mix(seeded):
    assert services.recompute_statuses(date.today()) == 0
    for org in db.session.scalars(select(Organisation)):
        assert org.membership_status == best_status(m.status for m in org.memberships)
    mix = Counter(
        db.session.scalars(
            select(Organisation.membership_status).where(Organisation.kind != OrgKind.ASSOCIATION)
        )
    )
    assert mix["active"] > MEMBERS * 0.6
    assert all(mix[s] > 0 for s in ("grace", "pending", "lapsed", "resigned")), mix
    # A few companies have history: an old lapsed period and a current one.
    histories = [
        org for org in db.session.scalars(select(Organisation)) if len(org.memberships) > 1
    ]
    assert histories
    assert all({m.status for m in org.memberships} >= {"lapsed"} for org in histories)


def test_contact_details_are_made_up_and_unique(seeded):
    orgs = db.session.scalars(select(Organisation)).all()
    assert all(o.email.endswith(".example") and o.website.endswith(".example") for o in orgs)
    emails = db.session.scalars(select(Person.email)).all()
    assert all(e.endswith(".example") for e in emails)
    assert len({email_key(e) for e in emails}) == len(emails)
    keys = [(o.name_key, o.country) for o in orgs]
    assert len(set(keys)) == len(keys)


def test_directory_finds_a_seeded_org_by_a_name_word_and_by_email(seeded, client, login):
    admin = factories.user("admin")
    db.session.commit()
    login(admin)
    org = db.session.scalar(
        select(Organisation)
        .where(Organisation.acronym.is_(None))
        .order_by(Organisation.id)
        .offset(MEMBERS // 2)
    )

    def matches(word):
        return db.session.scalar(
            select(func.count(func.distinct(SearchToken.organisation_id))).where(
                SearchToken.token >= word, SearchToken.token < word + "\uffff"
            )
        )

    word = min(words(org.name), key=matches)
    assert matches(word) <= 50  # on the first page
    page = client.get("/organisations", query_string={"q": word})
    assert page.status_code == 200
    assert str(escape(org.name)).encode() in page.data

    person = org.people[-1]
    page = client.get("/organisations", query_string={"q": person.email})
    assert page.status_code == 200
    assert str(escape(org.name)).encode() in page.data


def test_demo_users_log_in_with_the_demo_password(seeded, app):
    vut = db.session.scalar(select(Organisation).where(Organisation.acronym == "VUT"))
    for email, role, _ in demo.DEMO_USERS:
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == role
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert "/login" not in response.headers["Location"]

    def organisation_of(email):
        return db.session.scalar(select(User).where(User.email == email)).organisation

    assert organisation_of("vut@demo.example") == vut
    member = organisation_of("member@demo.example")
    assert member.country == "DE" and member.kind == OrgKind.LABEL
    assert member.association_id == vut.id and member.membership_status == "active"


def test_cli_seeds_once_with_if_empty(runner):
    args = ["crm", "seed-demo", "--members", "40", "--seed", "3"]
    first = runner.invoke(args=[*args, "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "seeded 40 organisations" in first.output
    assert "admin@demo.example" in first.output and demo.DEMO_PASSWORD in first.output
    total = _count(Organisation)

    second = runner.invoke(args=[*args, "--if-empty"])
    assert second.exit_code == 0
    assert "nothing to do" in second.output
    assert _count(Organisation) == total

    refused = runner.invoke(args=args)
    assert refused.exit_code != 0
    assert "already exist" in refused.output
    assert _count(Organisation) == total


def test_seed_refuses_a_directory_that_has_organisations():
    factories.organisation()
    with pytest.raises(demo.DemoError):
        demo.seed_demo(10)


def test_the_same_seed_gives_the_same_data(seeded):
    today = date(2026, 6, 1)

    def names(seed):
        return [o.fields["name"] for o in demo.plan_demo(500, seed, today).organisations]

    assert names(SEED) == names(SEED)
    assert names(SEED) != names(SEED + 1)
    # The database holds exactly the plan for that seed, whatever the date.
    planned = [o.fields["name"] for o in demo.plan_demo(MEMBERS, SEED).organisations]
    stored = db.session.scalars(
        select(Organisation.name).where(Organisation.acronym.is_(None)).order_by(Organisation.id)
    ).all()
    assert stored == planned
    assert planned == [o.fields["name"] for o in demo.plan_demo(MEMBERS, SEED, today).organisations]
