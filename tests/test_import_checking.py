"""Checking cells and rows: every bad cell reported on its line, nothing written."""

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.members import importing
from crm.members.importing import Duplicate, RowError
from crm.members.models import Organisation
from tests import factories
from tests.import_helpers import (
    FORMULA,
    counts,
    hostile_file,
    org_named,
    run,
    system_actor,  # noqa: F401 (an autouse fixture)
)


def test_hostile_file_gives_exact_errors_and_changes_nothing():
    existing = factories.organisation("Rough Trade Records", country="GB")
    known = factories.person(
        existing, email="known@example.org", first_name="Kim", last_name="Known"
    )
    db.session.commit()
    before = counts()

    result = run(hostile_file())

    assert result.encoding == "Windows-1252" and result.delimiter == ";"
    assert result.errors == [
        RowError(4, "Company", f"Starts with '=': {FORMULA}"),
        RowError(
            5, "Land", "Unknown country 'Atlantis': use an ISO code (DE, DEU) or an English name"
        ),
        RowError(
            6,
            "E-Mail",
            "'anna@@example.org' is not a valid email address: The part "
            "after the @-sign contains invalid characters: '@'.",
        ),
        RowError(7, "Company", "Longer than 200 characters (201)"),
        RowError(11, "Nachname", "The last name is required for a contact"),
        RowError(12, "Phone", f"Starts with '-': {FORMULA}"),
        RowError(13, "Company", f"Starts with '@': {FORMULA}"),
        RowError(14, "E-Mail", f"Starts with '\\t': {FORMULA}"),
        RowError(15, "Land", "Unknown country 'XYZ': use an ISO code (DE, DEU) or an English name"),
    ]
    assert result.duplicates == [
        Duplicate(
            8,
            f"Rough Trade Records (GB) is already in the directory (organisation "
            f"{existing.id}): merged into it, 0 new people; fills its blank city",
        ),
        Duplicate(
            8,
            f"KNOWN@example.org is already in the directory (Kim Known, person "
            f"{known.id}): not added",
        ),
        Duplicate(9, "Juergen@Mueller-Musik.de already appears on line 2: not added"),
    ]
    assert result.warnings == ["Ignored unknown columns: Remarks"]
    assert result.summary() == "imported 0 organisations, 0 people, 3 duplicates, 9 errors"
    assert not result.applied
    assert counts() == before
    assert db.session.get(Organisation, existing.id).city is None


def test_organisation_columns_and_association_by_acronym_or_name():
    vut = factories.association("VUT", country="DE")
    factories.association("AIM", country="GB", name="Association of Independent Music")
    db.session.commit()
    data = (
        b"Name,Country,Acronym,Kind,Size,National association,Organisation email,Company phone,"
        b"VAT number,Postcode,Address,Notes\n"
        b"Hamburg Tapes,DE,HT,distributor,Medium,vut,Info@Tapes.example.com,+49 40 1234,"
        b"DE123,20095,Hafen 1,Since 1999\n"
        b"London Sounds,GB,,artist,,association of independent music,,,,,,\n"
        b"New Association,DE,NA,national association,,VUT,,,,,,\n"
    )
    result = run(data)
    assert result.errors == [
        RowError(
            4,
            "National association",
            "A national association cannot itself belong to an association",
        )
    ]
    data = data.replace(b"national association,,VUT", b"national association,,")
    assert run(data).errors == []
    tapes = org_named("Hamburg Tapes")
    assert (
        tapes.acronym,
        tapes.kind,
        tapes.sme_size,
        tapes.association_id,
        tapes.email,
        tapes.phone,
        tapes.vat_number,
        tapes.postcode,
        tapes.address,
        tapes.notes,
    ) == (
        "HT",
        "distributor",
        "medium",
        vut.id,
        "info@tapes.example.com",
        "+49 40 1234",
        "DE123",
        "20095",
        "Hafen 1",
        "Since 1999",
    )
    assert org_named("London Sounds").association.acronym == "AIM"
    assert org_named("New Association").kind == "association"


def test_vocabulary_errors_name_the_value():
    data = (
        b"Name,Country,Kind,Size,Association,First name,Last name,Language,Website\n"
        b"A,US,spaceship,huge,Nobody,Al,Bo,Klingon,ftp://x\n"
    )
    assert run(data).errors == [
        RowError(
            2, "Country", "United States (US) is not one of the countries the association works in"
        ),
        RowError(
            2,
            "Kind",
            "Unknown kind 'spaceship': use one of label, artist, distributor, "
            "publisher, association, other",
        ),
        RowError(2, "Size", "Unknown size 'huge': use micro, small or medium"),
        RowError(
            2,
            "Language",
            "Unknown language 'Klingon': use one of en, fr, de, es, it, nl, pt, pl, sv, da, fi, nb",
        ),
        RowError(2, "Website", "'ftp://x' is not a web address: start it with http:// or https://"),
        RowError(2, "Association", "No national association with the acronym or name 'Nobody'"),
    ]


def test_cells_on_one_line_without_control_characters():
    data = 'Name,Country,City\n"Two\nLines",DE,Bonn\nBell,DE,"Bo\x07nn"\nTabbed\tName,DE,\n'
    assert run(data.encode()).errors == [
        RowError(2, "Name", "Must be on one line"),
        RowError(4, "City", "Contains control characters"),
    ]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("deu", "DE"),
        ("Germany", "DE"),
        ("GERMANY", "DE"),
        ("Federal Republic of Germany", "DE"),
        ("Deutschland", "DE"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("GBR", "GB"),
        ("United Kingdom", "GB"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("EL", "GR"),
        ("Netherlands", "NL"),
        ("The Netherlands", "NL"),
        ("Österreich", "AT"),
        ("Atlantis", None),
        ("XX", None),
        ("", None),
    ],
)
def test_countries_by_code_or_name(value, code):
    assert importing.resolve_country(value) == code


def test_iso3_and_english_country_names_in_a_file():
    data = b"Name,Country\nA Label,FRA\nB Label,Sweden\nC Label,united kingdom\nD Label,ESP\n"
    run(data)
    rows = db.session.execute(select(Organisation.name, Organisation.country))
    assert {name: country for name, country in rows} == {
        "A Label": "FR",
        "B Label": "SE",
        "C Label": "GB",
        "D Label": "ES",
    }


def test_phone_may_start_with_plus_but_not_be_a_formula():
    data = (
        b"Name,Country,First name,Last name,Phone\n"
        b"A,DE,Ann,Lee,+44 20 7946 0000\n"
        b"B,DE,Bob,Lee,+SUM(1)\n"
        b"C,DE,Cy,Lee,call me\n"
    )
    assert run(data).errors == [
        RowError(3, "Phone", f"Starts with '+': {FORMULA}"),
        RowError(4, "Phone", "'call me' is not a phone number: use digits, spaces and + ( ) . / -"),
    ]
