"""Coverage of the membership, the non-signers list and CSV, the signature export."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from crm.declarations import coverage
from crm.extensions import db
from tests import factories
from tests.test_declarations_staff import make_declaration, make_signature


def _rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def membership_world():
    """Germany: 4 current members (3 signed), 3 of them through VUT. France: 2 members (1
    signed). Plus organisations that must not count: a lapsed company that signed, the
    association itself, a company whose only signatures are rejected, unconfirmed, pending
    approval or made by an employee as an individual."""
    vut = factories.association("VUT", country="DE")
    felin = factories.association("FELIN", country="FR")
    de = [factories.organisation(f"DE Label {n}", association_id=vut.id) for n in range(1, 4)]
    for org in de:
        factories.membership(org, via=vut)
    # A member through VUT and directly too: still one company.
    factories.membership(de[0])
    direct_de = factories.organisation("DE Direct Label")
    factories.membership(direct_de)
    fr = [
        factories.organisation(f"FR Label {n}", country="FR", association_id=felin.id)
        for n in (1, 2)
    ]
    for org in fr:
        factories.membership(org, via=felin)
    lapsed = factories.organisation("DE Lapsed Label")
    factories.membership(lapsed, start=date(2015, 1, 1), end=date(2016, 1, 1))
    factories.membership(vut)

    declaration = make_declaration()
    sign = make_signature
    # DE Label 1: an employee as an individual (not counted) and the company itself; once.
    sign(declaration, "one@de1.example", organisation=de[0])
    sign(declaration, "two@de1.example", signing_as="organisation", organisation=de[0])
    sign(declaration, "one@de2.example", signing_as="organisation", organisation=de[1])
    sign(declaration, "one@direct.example", signing_as="organisation", organisation=direct_de)
    # DE Label 3: only a rejected and an unconfirmed signature.
    sign(
        declaration,
        "bad@de3.example",
        signing_as="organisation",
        organisation=de[2],
        moderation="rejected",
    )
    sign(declaration, "later@de3.example", organisation=de[2], status="unconfirmed")
    # ... and, not counting either: someone who works there signing as an individual, and an
    # organisation signature an officer has not approved yet.
    sign(declaration, "employee@de3.example", organisation=de[2])
    sign(
        declaration,
        "waiting@de3.example",
        signing_as="organisation",
        organisation=de[2],
        moderation="pending",
    )
    sign(
        declaration, "one@fr1.example", signing_as="organisation", organisation=fr[0], country="FR"
    )
    sign(declaration, "one@lapsed.example", organisation=lapsed)
    sign(declaration, "office@vut.example", signing_as="organisation", organisation=vut)
    other = make_declaration("other")
    sign(other, "one@fr2.example", organisation=fr[1], country="FR")
    db.session.commit()
    return {"declaration": declaration, "vut": vut, "de": de, "fr": fr, "direct": direct_de}


def _staff():
    return factories.user("comms")


def test_coverage_numbers_overall_by_country_and_association(membership_world):
    declaration = membership_world["declaration"]
    user = _staff()
    overall = coverage.overall(declaration.id, user)
    assert (overall.members, overall.signed) == (6, 4)
    assert [
        (s.key, s.members, s.signed, s.percent) for s in coverage.by_country(declaration.id, user)
    ] == [
        ("DE", 4, 3, 75.0),
        ("FR", 2, 1, 50.0),
    ]
    by_association = coverage.by_association(declaration.id, user)
    assert [(s.label, s.members, s.signed) for s in by_association] == [
        ("VUT", 3, 2),
        ("FELIN", 2, 1),
        ("Direct members", 1, 1),
    ]


def test_a_counting_signature_moves_coverage(membership_world):
    """3 of 4 German members signed; once DE Label 3 signs properly, all 4 have."""
    declaration, de = membership_world["declaration"], membership_world["de"]
    shares = {s.key: (s.signed, s.members) for s in coverage.by_country(declaration.id, _staff())}
    assert shares == {"DE": (3, 4), "FR": (1, 2)}
    make_signature(declaration, "good@de3.example", signing_as="organisation", organisation=de[2])
    db.session.commit()
    shares = {s.key: (s.signed, s.members) for s in coverage.by_country(declaration.id, _staff())}
    assert shares == {"DE": (4, 4), "FR": (1, 2)}


def test_coverage_page_for_staff(client, login_as, membership_world):
    declaration = membership_world["declaration"]
    login_as("officer")
    page = client.get(f"/declarations/{declaration.id}/coverage").get_data(as_text=True)
    assert "4 of 6 current member companies" in page
    assert "<svg" in page and 'class="chart"' in page
    assert "Save non-signers as an audience" in page
    # Non-signers: DE Label 3 and FR Label 2; never the lapsed company or the association.
    assert "DE Label 3" in page and "FR Label 2" in page
    assert "DE Label 1" not in page and "DE Lapsed Label" not in page
    assert "2 member companies without a signature" in page
    # The page says what counts.
    assert "made on behalf of the organisation" in page
    assert "Signatures by individuals who work there" in page


def test_association_user_sees_its_own_members_only(client, login_as, membership_world):
    declaration, vut = membership_world["declaration"], membership_world["vut"]
    login_as("association", organisation=vut)
    response = client.get(f"/declarations/{declaration.id}/coverage")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 of 3 current member companies of your association" in page
    assert "FR Label" not in page and "DE Direct Label" not in page
    rows = _rows(client.get(f"/declarations/{declaration.id}/coverage/non-signers.csv"))
    assert [r[1] for r in rows[1:]] == ["DE Label 3"]


def test_member_user_gets_403_on_coverage(client, login_as, membership_world):
    declaration = membership_world["declaration"]
    login_as("member", organisation=membership_world["de"][0])
    assert client.get(f"/declarations/{declaration.id}/coverage").status_code == 403
    url = f"/declarations/{declaration.id}/coverage/non-signers.csv"
    assert client.get(url).status_code == 403


def test_non_signers_csv_and_pagination(client, login_as, membership_world):
    declaration = membership_world["declaration"]
    for n in range(55):
        org = factories.organisation(f"ZZ Extra {n:02d}", country="AT")
        factories.membership(org)
    db.session.commit()
    login_as("admin")
    rows = _rows(client.get(f"/declarations/{declaration.id}/coverage/non-signers.csv"))
    assert rows[0] == coverage.NON_SIGNER_HEADER
    names = [r[1] for r in rows[1:]]
    assert names[:2] == ["DE Label 3", "FR Label 2"] and len(names) == 57
    assert rows[1][2:4] == ["Germany", "VUT national association"]
    first = client.get(f"/declarations/{declaration.id}/coverage").get_data(as_text=True)
    second = client.get(f"/declarations/{declaration.id}/coverage?page=2").get_data(as_text=True)
    assert "ZZ Extra 47" in first and "ZZ Extra 48" not in first
    assert "ZZ Extra 48" in second and "page 2 of 2" in second


# --- export ------------------------------------------------------------------------------------


@pytest.fixture
def export_world():
    declaration = make_declaration()
    sign = make_signature
    sign(
        declaration,
        "early@x.example",
        first_name="Early",
        created_at=datetime(2026, 1, 10, tzinfo=UTC),
    )
    sign(
        declaration,
        "late@x.example",
        first_name="Late",
        country="FR",
        created_at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC),
    )
    sign(
        declaration,
        "pending@x.example",
        first_name="Pending",
        signing_as="organisation",
        moderation="pending",
        organisation_name="Waiting Records",
        created_at=datetime(2026, 2, 10, tzinfo=UTC),
    )
    sign(
        declaration,
        "unconfirmed@x.example",
        first_name="Unconfirmed",
        status="unconfirmed",
        created_at=datetime(2026, 2, 11, tzinfo=UTC),
    )
    sign(
        declaration,
        "evil@x.example",
        first_name='=HYPERLINK("http://evil.example")',
        last_name="+1",
        organisation_name="@SUM(A1)",
        signing_as="organisation",
        moderation="rejected",
        created_at=datetime(2026, 2, 12, tzinfo=UTC),
    )
    db.session.commit()
    return declaration


def _export(client, declaration, query=""):
    response = client.get(f"/staff/declarations/{declaration.id}/signatures.csv{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, _rows(response)


def _firsts(rows):
    return [r[7] for r in rows[1:]]


def test_export_defaults_to_confirmed_and_labels_all(client, login_as, export_world):
    login_as("comms")
    response, rows = _export(client, export_world)
    assert rows[0][7] == "first name"
    assert "Unconfirmed" not in _firsts(rows) and len(rows) == 5
    assert "confirmed.csv" in response.headers["Content-Disposition"]
    response, rows = _export(client, export_world, "?status=all")
    assert "Unconfirmed" in _firsts(rows) and len(rows) == 6
    assert "all-including-unconfirmed" in response.headers["Content-Disposition"]
    _, rows = _export(client, export_world, "?status=unconfirmed")
    assert _firsts(rows) == ["Unconfirmed"]


def test_export_filters(client, login_as, export_world):
    login_as("officer")
    _, rows = _export(client, export_world, "?moderation=pending")
    assert _firsts(rows) == ["Pending"]
    _, rows = _export(client, export_world, "?country=FR")
    assert _firsts(rows) == ["Late"]
    _, rows = _export(client, export_world, "?signed_from=2026-02-01&signed_to=2026-03-10")
    assert _firsts(rows) == ["Pending", '\'=HYPERLINK("http://evil.example")', "Late"]
    _, rows = _export(client, export_world, "?signed_to=2026-01-31")
    assert _firsts(rows) == ["Early"]


def test_export_is_formula_safe(client, login_as, export_world):
    login_as("admin")
    _, rows = _export(client, export_world, "?moderation=rejected")
    (row,) = rows[1:]
    assert row[7] == '\'=HYPERLINK("http://evil.example")'
    assert row[8] == "'+1" and row[10] == "'@SUM(A1)"


@pytest.mark.parametrize(
    "query",
    [
        "?status=bogus",
        "?moderation=nope",
        "?country=XX",
        "?signed_from=yesterday",
        "?signed_to=2026-13-45",
        "?signed_from=%ff%fe",
    ],
)
def test_bad_export_filters_are_400_not_500(client, login_as, export_world, query):
    login_as("admin")
    response = client.get(f"/staff/declarations/{export_world.id}/signatures.csv{query}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/declarations/{id}/coverage?page=abc",
        "/declarations/{id}/coverage?page=-3",
        "/declarations/{id}/coverage?page=99999999999999",
        "/staff/declarations/{id}/signatures?x=%00",
        "/staff/declarations/matches?declaration=abc",
        "/staff/declarations/matches?declaration=99999999999999999999",
        "/staff/declarations/{id}/moderation?page=%ff",
        "/declarations/%ff/signatories",
        "/declarations/{id}/coverage/non-signers.csv?page=x",
    ],
)
def test_no_500_on_bad_query_strings(client, login_as, export_world, path):
    login_as("admin")
    response = client.get(path.format(id=export_world.id))
    assert response.status_code in (200, 400, 404)


def test_staff_page_offers_export_and_counts(client, login_as, export_world):
    login_as("comms")
    page = client.get(f"/staff/declarations/{export_world.id}/signatures").get_data(as_text=True)
    assert "4 confirmed; 1 unconfirmed" in page
    assert "All, including unconfirmed (never counted)" in page
    assert "Moderation queue" not in page  # comms reads, officers decide
