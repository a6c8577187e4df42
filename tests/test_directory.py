"""Directory search, filters, sort, pagination, export and totals."""

import csv
import io
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event

from crm.extensions import db
from crm.members.models import Organisation
from tests import factories


@contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _names(response) -> list[str]:
    text = response.get_data(as_text=True)
    body = text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        chunk.split("</a>")[0].split(">")[-1] for chunk in body.split('href="/organisations/')[1:]
    ]


def _seed_mixed():
    vut = factories.association("VUT")
    aim = factories.association("AIM", country="GB")
    berlin = factories.organisation(
        "Nordlicht Tonträger", city="Berlin", sme_size="micro", association_id=vut.id
    )
    factories.person(berlin, email="anna@nordlicht.example")
    factories.membership(berlin, via=vut)
    factories.organisation(
        "Gravel Road Recordings",
        country="GB",
        city="Leeds",
        kind="label",
        sme_size="small",
        association_id=aim.id,
    )
    lapsed = factories.organisation(
        "Disques Lumière", country="FR", city="Lyon", kind="distributor"
    )
    factories.membership(lapsed, start=date(2015, 1, 1), end=date.today() - timedelta(days=400))
    factories.organisation("The Quiet Artist", country="SE", city="Malmö", kind="artist")
    db.session.commit()
    return vut, aim


def test_search_by_name_email_and_city_with_accents(client, login_as):
    login_as("comms")
    _seed_mixed()
    assert _names(client.get("/organisations?q=nord")) == ["Nordlicht Tonträger"]
    assert _names(client.get("/organisations?q=tontrager")) == ["Nordlicht Tonträger"]
    assert _names(client.get("/organisations?q=anna@nordlicht.example")) == ["Nordlicht Tonträger"]
    assert _names(client.get("/organisations?q=LYON")) == ["Disques Lumière"]
    assert _names(client.get("/organisations?q=malmo")) == ["The Quiet Artist"]
    assert _names(client.get("/organisations?q=gravel+leeds")) == ["Gravel Road Recordings"]
    assert _names(client.get("/organisations?q=gravel+lyon")) == []


def test_filters_and_sort(client, login_as):
    login_as("officer")
    vut, aim = _seed_mixed()
    assert _names(client.get("/organisations?country=FR&country=SE")) == [
        "Disques Lumière",
        "The Quiet Artist",
    ]
    assert _names(client.get("/organisations?kind=distributor")) == ["Disques Lumière"]
    assert _names(client.get("/organisations?sme_size=small")) == ["Gravel Road Recordings"]
    assert _names(client.get(f"/organisations?association={vut.id}")) == ["Nordlicht Tonträger"]
    assert _names(client.get("/organisations?status=active")) == ["Nordlicht Tonträger"]
    assert _names(client.get("/organisations?status=lapsed")) == ["Disques Lumière"]
    # "The" is ignored when sorting by name.
    names = _names(client.get("/organisations?kind=label&kind=artist&kind=distributor&sort=name"))
    assert names == [
        "Disques Lumière",
        "Gravel Road Recordings",
        "Nordlicht Tonträger",
        "The Quiet Artist",
    ]
    assert (
        _names(client.get("/organisations?kind=label&kind=artist&kind=distributor&sort=-name"))
        == names[::-1]
    )
    # Values that are not ours are ignored rather than breaking the page.
    assert (
        client.get("/organisations?sort=drop&status=evil&country=' OR 1=1&page=-3").status_code
        == 200
    )


def test_pagination_and_constant_query_count(client, login_as):
    login_as("admin")
    vut = factories.association("VUT")
    for n in range(120):
        org = factories.organisation(f"Label {n:03d}", association_id=vut.id if n % 2 else None)
        factories.person(org)
    db.session.commit()
    page1 = client.get("/organisations?kind=label")
    assert _names(page1)[:2] == ["Label 000", "Label 001"] and len(_names(page1)) == 50
    assert _names(client.get("/organisations?kind=label&page=3")) == [
        f"Label {n:03d}" for n in range(100, 120)
    ]
    counts = []
    for url in (
        "/organisations",
        "/organisations?page=2",
        "/organisations?q=label",
        "/organisations?kind=label&country=DE&sort=city",
    ):
        db.session.expire_all()  # the test shares the request's session: start it cold
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    for n in range(120, 400):
        factories.organisation(f"Label {n:03d}")
    db.session.commit()
    db.session.expire_all()
    with count_queries() as statements:
        client.get("/organisations")
    assert len(set(counts)) == 1 and len(statements) == counts[0]


def test_export_is_filtered_and_formula_safe(client, login_as):
    login_as("comms")
    org = factories.organisation('=HYPERLINK("http://evil")', country="FR", city="+cmd")
    factories.person(
        org,
        first_name="@SUM(1)",
        last_name="-2",
        email="contact@evil.example",
        is_primary_contact=True,
    )
    factories.organisation("Quiet Label", country="DE")
    db.session.commit()
    response = client.get("/organisations/export.csv?country=FR")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    assert row["city"] == "'+cmd"
    assert row["contact_first_name"] == "'@SUM(1)" and row["contact_last_name"] == "'-2"
    assert row["contact_email"] == "contact@evil.example"


def test_per_country_totals_count_each_company_once(client, login_as):
    login_as("admin")
    vut = factories.association("VUT")
    both = factories.organisation("Twice Member Records", association_id=vut.id)
    factories.membership(both)  # direct
    factories.membership(both, via=vut)  # and through the association
    via_only = factories.organisation("Via Only Records", association_id=vut.id)
    factories.membership(via_only, via=vut)
    gone = factories.organisation("Gone Records")
    factories.membership(gone, start=date(2010, 1, 1), end=date(2011, 1, 1))
    fr = factories.organisation("Paris Label", country="FR")
    factories.membership(fr)
    db.session.commit()
    from crm.auth.models import User
    from crm.dashboard.stats import members_by_country

    admin = db.session.scalar(db.select(User))
    assert dict(members_by_country(admin)) == {"DE": 2, "FR": 1}
    page = client.get("/").get_data(as_text=True)
    assert "3 current member companies" in page


def test_association_dashboard_counts_only_its_members(client, login_as):
    vut = factories.association("VUT")
    aim = factories.association("AIM", country="GB")
    mine = factories.organisation("Mine Records", association_id=vut.id)
    factories.membership(mine, via=vut)
    theirs = factories.organisation("Theirs Records", country="GB", association_id=aim.id)
    factories.membership(theirs, via=aim)
    db.session.commit()
    login_as("association", organisation=vut)
    page = client.get("/").get_data(as_text=True)
    assert "1 current member companies" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 4
