"""The stakeholder directory: creation through the person service, search, filters, paging in a
constant number of statements, and the profile page with its timeline."""

import re

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.members.models import Person
from crm.policy import services_stakeholders
from crm.policy.models import StakeholderProfile
from tests import factories
from tests.test_directory import count_queries


def _stakeholder(first, last, kind="mep", **profile):
    return services_stakeholders.create_stakeholder(
        {"first_name": first, "last_name": last, "kind": kind, **profile}
    )


def _seed():
    _stakeholder(
        "Anna",
        "Berger",
        institution="European Parliament",
        committees=["CULT", "JURI"],
        political_group="EPP",
        country="AT",
    )
    _stakeholder(
        "Luca",
        "Rossi",
        institution="European Parliament",
        committees=["IMCO"],
        political_group="S&D",
        country="IT",
    )
    _stakeholder(
        "Marta",
        "Nowak",
        kind="commission",
        institution="European Commission",
        directorate="DG CNECT, Unit I.2",
        country="PL",
    )
    _stakeholder(
        "Sven",
        "Lund",
        kind="journalist",
        institution="Brussels Music Wire",
        beat="Copyright and platforms",
        country="SE",
    )
    # CULTURE-like codes must not match CULT: the filter matches whole codes.
    _stakeholder(
        "Jana", "Culturova", institution="Kulturministerium", kind="ministry", country="CZ"
    )
    db.session.commit()


def _names(response) -> list[str]:
    body = response.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'href="/stakeholders/\d+">([^<]+)</a>', body)


def test_search_and_filters(client, login_as):
    login_as("comms")
    _seed()
    assert _names(client.get("/stakeholders")) == [
        "Anna Berger",
        "Jana Culturova",
        "Sven Lund",
        "Marta Nowak",
        "Luca Rossi",
    ]
    assert _names(client.get("/stakeholders?q=ross")) == ["Luca Rossi"]
    assert _names(client.get("/stakeholders?q=anna+berger")) == ["Anna Berger"]
    assert _names(client.get("/stakeholders?q=commission")) == ["Marta Nowak"]
    assert _names(client.get("/stakeholders?q=music+wire")) == ["Sven Lund"]
    assert _names(client.get("/stakeholders?q=100%25")) == []
    assert _names(client.get("/stakeholders?committee=CULT")) == ["Anna Berger"]
    assert _names(client.get("/stakeholders?committee=JURI")) == ["Anna Berger"]
    assert _names(client.get("/stakeholders?committee=IMCO&group=S%26D")) == ["Luca Rossi"]
    assert _names(client.get("/stakeholders?group=EPP&country=IT")) == []
    assert _names(client.get("/stakeholders?kind=journalist")) == ["Sven Lund"]
    assert _names(client.get("/stakeholders?country=PL")) == ["Marta Nowak"]
    # Unknown values are ignored, not errors.
    assert len(_names(client.get("/stakeholders?kind=x&committee=y&group=z&country=QQ"))) == 5


def test_the_list_pages_in_a_constant_number_of_statements(client, login_as):
    login_as("comms")
    org = factories.organisation("European Commission", country="BE", kind="other")
    for n in range(3):
        _stakeholder("Few", f"Person{n}", organisation_id=org.id, committees=["CULT"])
    db.session.commit()
    client.get("/stakeholders")  # warm up caches
    with count_queries() as few:
        assert client.get("/stakeholders").status_code == 200
    for n in range(70):
        _stakeholder("Many", f"Person{n:02d}", organisation_id=org.id, committees=["CULT"])
    db.session.commit()
    with count_queries() as many:
        response = client.get("/stakeholders?committee=CULT")
    assert response.status_code == 200
    assert len(_names(response)) == 50 and "page 1 of 2" in response.get_data(as_text=True)
    assert len(many) == len(few), (few, many)
    assert len(_names(client.get("/stakeholders?committee=CULT&page=2"))) == 23


def test_officer_creates_a_stakeholder_through_the_person_service(client, login_as):
    login_as("officer")
    commission = factories.organisation("European Commission", country="BE", kind="other")
    db.session.commit()
    response = client.post(
        "/stakeholders/new",
        data={
            "first_name": "Elena",
            "last_name": "Marquez",
            "email": "elena@ec.example",
            "organisation_id": commission.id,
            "kind": "commission",
            "institution": "European Commission",
            "directorate": "DG TAXUD",
            "role": "Policy officer, VAT",
            "country": "ES",
            "committees": [],
        },
    )
    assert response.status_code == 302
    profile = db.session.scalar(select(StakeholderProfile))
    assert profile.person.organisation_id == commission.id
    assert profile.person.job_title == "Policy officer, VAT"
    entities = db.session.scalars(
        select(AuditEvent.entity_type).where(AuditEvent.action == "create")
    ).all()
    assert "person" in entities and "stakeholder" in entities

    # The same email again is refused on the field, and nothing is half-created.
    again = client.post(
        "/stakeholders/new",
        data={"first_name": "E", "last_name": "M", "email": "ELENA@ec.example", "kind": "mep"},
    )
    assert again.status_code == 200
    assert "Another person already has this email address." in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    assert db.session.scalar(select(func.count()).select_from(StakeholderProfile)) == 1

    response = client.post(
        f"/stakeholders/{profile.id}/edit",
        data={
            "first_name": "Elena",
            "last_name": "Márquez",
            "email": "elena@ec.example",
            "kind": "commission",
            "committees": ["ITRE", "CULT"],
            "country": "ES",
            "organisation_id": commission.id,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert profile.person.last_name == "Márquez" and profile.committees == "CULT ITRE"
    page = client.get(f"/stakeholders/{profile.id}").get_data(as_text=True)
    assert "Elena Márquez" in page and "Timeline" in page and "No actions logged yet." in page
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "stakeholder", AuditEvent.action == "update"
        )
    )


def test_comms_reads_stakeholders_but_cannot_change_them(client, login_as):
    login_as("comms")
    _seed()
    profile = db.session.scalar(select(StakeholderProfile).limit(1))
    assert client.get(f"/stakeholders/{profile.id}").status_code == 200
    assert client.get("/stakeholders/new").status_code == 403
    assert client.post("/stakeholders/new", data={"first_name": "x"}).status_code == 403
    assert client.post(f"/stakeholders/{profile.id}/edit", data={}).status_code == 403
