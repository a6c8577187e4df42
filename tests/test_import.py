"""The CSV import of organisations and people: reading, checking, merging, writing all or nothing,
from the command line and through upload, preview and confirm."""

import io
import re
from pathlib import Path

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.audit.services import set_system_actor, snapshot
from crm.extensions import db
from crm.members import importing, normalise
from crm.members.importing import Duplicate, RowError
from crm.members.importing.writing import _tokens
from crm.members.models import Organisation, Person, SearchToken
from tests import factories

FORMULA = "a possible spreadsheet formula"


@pytest.fixture(autouse=True)
def system_actor():
    """The command sets the actor for its context; later tests should not inherit it."""
    yield
    set_system_actor("system")


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Organisation, Person, AuditEvent, SearchToken)
    }


def run(data: bytes, **kwargs) -> importing.ImportResult:
    result = importing.run_import(data, **kwargs)
    if result.applied:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def org_named(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def tokens_of(org_id: int) -> set[str]:
    return set(
        db.session.scalars(select(SearchToken.token).where(SearchToken.organisation_id == org_id))
    )


def expected_tokens(org: Organisation) -> set[str]:
    """What services.reindex_organisation() would write."""
    emails = [p.email for p in org.people]
    return normalise.search_tokens(org.name, org.acronym, org.city, emails=(org.email, *emails))


# --- a hostile file --------------------------------------------------------------------------


def hostile_file() -> bytes:
    """UTF-8 BOM in front of Windows-1252 text, semicolons, CRLF, blank lines and every kind of
    bad cell, plus duplicates within the file and against the database."""
    lines = [
        "Company;Land;Stadt;Vorname;Nachname;E-Mail;Phone;Notes;Remarks",  # 1
        "Müller Musik;DE;Köln;Jürgen;Müller;juergen@mueller-musik.de;+49 221 123456;"
        "Preis 5 €;x",  # 2
        "",  # 3
        "=cmd()|' /C calc'!A0;DE;Berlin;;;;;;",  # 4
        "Label Five;Atlantis;Paris;;;;;;",  # 5
        "Label Six;FR;Paris;Anna;Bad;anna@@example.org;;;",  # 6
        "L" * 201 + ";DE;;;;;;;",  # 7
        "Rough Trade Records Ltd;GB;London;Known;Person;KNOWN@example.org;;;",  # 8
        "Müller Musik GmbH;DEU;;Jürgen;Again;Juergen@Mueller-Musik.de;;;",  # 9
        ";;;;;;;;",  # 10
        "Label Eleven;ES;Madrid;Solo;;;;;",  # 11
        "Label Twelve;IT;Roma;Ana;Lopez;ana@example.org;-1+1;;",  # 12
        "@SUM(A1);NL;;;;;;;",  # 13
        "Label Fourteen;de;Hamburg;Tab;Cell;\ttab@example.org;;;",  # 14
        "Label Fifteen;XYZ;;;;;;;",  # 15
        "",  # 16
    ]
    return b"\xef\xbb\xbf" + "\r\n".join(lines).encode("cp1252")


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


def test_without_name_or_country_column_there_is_one_clear_error():
    result = run(b"Label;Town\nBlue Note;Paris\n")
    assert result.errors == [
        RowError(
            1,
            "",
            (
                "No country column found: the first line must be a header naming at least the "
                "organisation name and the country (found: Label, Town)"
            ),
        )
    ]
    result = run(b"Foo,Bar\n1,2\n")
    assert len(result.errors) == 1
    assert result.errors[0].message.startswith("No organisation name or country column found:")


def test_empty_and_binary_files_are_refused_clearly():
    assert run(b"").errors == [RowError(1, "", "The file is empty")]
    assert (
        run(b"PK\x03\x04\x00\x00binary").errors[0].message.startswith("This is not a text CSV file")
    )


def test_unclosed_quote_is_reported_where_its_record_starts():
    data = b'Name,Country,City\nGood Label,DE,Berlin\n"Broken Label,DE,Berlin\nNext,DE,Bonn\n'
    result = run(data)
    assert [(e.line, e.message[:13]) for e in result.errors] == [(3, "Malformed CSV")]
    assert counts()["Organisation"] == 0


def test_two_columns_for_one_field_is_an_error():
    result = run(b"Company,Label,Country\nA,B,DE\n")
    assert result.errors == [
        RowError(
            1, "Label", "'Company' and 'Label' both give the organisation name; keep one of them"
        )
    ]


# --- clean files -----------------------------------------------------------------------------


def test_clean_utf8_bom_comma_file_imports_everything():
    data = (
        "\ufeffName,Country,City,First name,Last name,Email,Job title,Kind,Size,Website\r\n"
        "Éditions Lumière,FR,Paris,Zoë,Dupont,zoe@lumiere.example.com,Directrice,publisher,"
        "small,https://lumiere.example.com\r\n"
        "Éditions Lumière,France,,Marc,Petit,Marc@Lumiere.example.com,,,,\r\n"
        "The Müller Musik,DE,Köln,Jürgen,Müller,j@mueller.example.com,,record label,micro,"
        "www.mueller.example.com\r\n"
    ).encode("utf-8")

    result = run(data)

    assert result.errors == [] and result.duplicates == [] and result.warnings == []
    assert result.encoding == "UTF-8" and result.delimiter == ","
    assert result.summary() == "imported 2 organisations, 3 people, 0 duplicates, 0 errors"
    lumiere = org_named("Éditions Lumière")
    assert (lumiere.country, lumiere.city, lumiere.kind, lumiere.sme_size, lumiere.website) == (
        "FR",
        "Paris",
        "publisher",
        "small",
        "https://lumiere.example.com",
    )
    assert (lumiere.name_key, lumiere.sort_name) == ("editions lumiere", "editions lumiere")
    assert lumiere.membership_status == "none" and lumiere.association_id is None
    assert [(p.full_name, p.email, p.email_key, p.job_title) for p in lumiere.people] == [
        ("Zoë Dupont", "zoe@lumiere.example.com", "zoe@lumiere.example.com", "Directrice"),
        ("Marc Petit", "Marc@Lumiere.example.com", "marc@lumiere.example.com", None),
    ]
    muller = org_named("The Müller Musik")
    assert (muller.kind, muller.sort_name, muller.website) == (
        "label",
        "muller musik",
        "https://www.mueller.example.com",
    )
    assert muller.people[0].full_name == "Jürgen Müller"
    for org in (lumiere, muller):
        assert tokens_of(org.id) == expected_tokens(org)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.entity_type, e.organisation_id) for e in events] == [
        ("create", "organisation", lumiere.id),
        ("create", "organisation", muller.id),
        ("create", "person", lumiere.id),
        ("create", "person", lumiere.id),
        ("create", "person", muller.id),
    ]
    assert events[0].summary == "Created Éditions Lumière (CSV import)"
    assert events[0].after["city"] == "Paris" and events[0].after["id"] == lumiere.id
    assert events[0].before is None
    person_event = events[2]
    assert person_event.entity_id == lumiere.people[0].id
    assert person_event.after["email_key"] == "zoe@lumiere.example.com"


def test_cp1252_semicolon_file_with_multiline_address():
    data = (
        "Organisation;Pays;Ville;Adresse;Prénom;Nom;E-mail;Téléphone\r\n"
        'Éditions du Nord;FRA;Lille;"12 Rue de l\'Église\r\n59000 Lille";Amélie;Lefèvre;'
        "amelie@nord.example.com;+33 3 20 00 00 00\r\n"
        "Müller Verlag;Germany;München;;Jürgen;Müller;jm@verlag.example.com;\r\n"
    ).encode("cp1252")

    result = run(data)

    assert result.encoding == "Windows-1252" and result.delimiter == ";"
    assert result.errors == [] and result.warnings == []
    assert [row["line"] for row in result.preview] == [2, 4]
    nord = org_named("Éditions du Nord")
    assert nord.address == "12 Rue de l'Église\n59000 Lille" and nord.country == "FR"
    assert (nord.people[0].full_name, nord.people[0].phone) == (
        "Amélie Lefèvre",
        "+33 3 20 00 00 00",
    )
    verlag = org_named("Müller Verlag")
    assert (verlag.country, verlag.city) == ("DE", "München")
    assert verlag.people[0].full_name == "Jürgen Müller"


def test_line_numbers_count_physical_lines_across_quoted_newlines():
    data = (
        b'Name,Country,Address\n"A Label",DE,"line one\nline two\nline three"\n\nB Label,Narnia,x\n'
    )
    assert [(e.line, e.column) for e in run(data).errors] == [(6, "Country")]


@pytest.mark.parametrize(
    "header",
    [
        "Organisation name,Country code,Town,Given name,Surname,Contact email,Telephone,Position,"
        "Language",
        "organization,COUNTRY,ville,PRÉNOM,nom,e-mail,tel,role,language",
        "Company name,Pays,Stadt,Vorname,Nachname,Person email,Phone,Job title,Preferred language",
        "label,land,city,firstname,family name,EMAIL,phone,job title,language",
    ],
)
def test_header_aliases(header):
    data = f"{header}\nAlias Records,DE,Berlin,Ann,Lee,ann@alias.example.com,030 123 456,Owner,de\n"
    result = run(data.encode())
    assert result.errors == [] and result.warnings == []
    org = org_named("Alias Records")
    person = org.people[0]
    assert (org.country, org.city) == ("DE", "Berlin")
    assert (
        person.first_name,
        person.last_name,
        person.email,
        person.phone,
        person.job_title,
        person.language,
    ) == ("Ann", "Lee", "ann@alias.example.com", "030 123 456", "Owner", "de")


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


def test_delimiter_is_decided_by_the_header_outside_quotes():
    assert importing.sniff_delimiter('"Name, legal";Country;City\nA, B;DE;X\n') == ";"
    assert importing.sniff_delimiter('Name,Country,Notes\n"a;b;c;d",DE,x\n') == ","
    assert importing.sniff_delimiter("Name\n") == ","


def test_audit_events_hold_what_the_services_snapshot_holds():
    run(b"Name,Country,First name,Last name,Email\nSnap Label,DE,Ann,Lee,ann@snap.example.com\n")
    org = org_named("Snap Label")
    for entity in (org, org.people[0]):
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.entity_type == type(entity).__name__.lower(),
                AuditEvent.entity_id == entity.id,
            )
        )
        assert event.after == snapshot(entity)


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


def test_blank_rows_and_trailing_empty_cells_are_skipped_but_extra_data_is_not():
    data = b"Name,Country\n\n,\n  ,  \nA Label,DE,,\nB Label,DE,surplus\n"
    result = run(data)
    assert result.errors == [RowError(6, "", "3 cells but the header has 2 columns")]
    assert result.rows == 2


# --- duplicates and merging ------------------------------------------------------------------


def test_several_rows_make_one_organisation_with_several_people():
    data = (
        b"Name,Country,City,First name,Last name,Email\n"
        b"Domino,GB,London,Ann,One,ann@domino.example.com\n"
        b"Domino Ltd,UK,,Ben,Two,ben@domino.example.com\n"
        b"domino,gbr,London,Cat,Three,\n"
    )
    result = run(data)
    assert result.summary() == "imported 1 organisations, 3 people, 0 duplicates, 0 errors"
    org = org_named("Domino")
    assert sorted(p.first_name for p in org.people) == ["Ann", "Ben", "Cat"]
    assert tokens_of(org.id) == expected_tokens(org)


def test_later_rows_may_add_to_an_organisation_but_not_contradict_it():
    data = (
        b"Name,Country,City,Website,First name,Last name\n"
        b"Mute,GB,London,,Ann,One\n"
        b"Mute,GB,london,https://mute.example.com,Ben,Two\n"
        b"Mute,GB,Manchester,,Cat,Three\n"
    )
    assert run(data).errors == [
        RowError(
            4, "City", "'Manchester' differs from the value given for this organisation on line 2"
        )
    ]
    result = run(data.replace(b"Manchester", b""))
    assert result.ok
    assert org_named("Mute").website == "https://mute.example.com"


def test_people_without_email_are_duplicates_by_name_within_an_organisation():
    existing = factories.organisation("Warp Records", country="GB")
    factories.person(existing, email="", first_name="Steve", last_name="Beckett")
    db.session.commit()
    data = (
        b"Name,Country,First name,Last name\n"
        b"Warp Records,GB,Steve,Beckett\n"
        b"Ninja Tune,GB,Matt,Black\n"
        b"Ninja Tune,GB,Matt,Black\n"
        b"Other Label,GB,Matt,Black\n"
    )
    result = run(data)
    assert result.duplicates == [
        Duplicate(
            2,
            f"Warp Records (GB) is already in the directory (organisation "
            f"{existing.id}): merged into it, 0 new people",
        ),
        Duplicate(2, "Steve Beckett is already a contact of Warp Records: not added"),
        Duplicate(4, "Matt Black of Ninja Tune already appears on line 3: not added"),
    ]
    assert result.summary() == "imported 2 organisations, 2 people, 3 duplicates, 0 errors"


def test_merge_into_existing_organisation_fills_blanks_and_never_overwrites():
    existing = factories.organisation(
        "Beggars Group Ltd", country="GB", website="https://beggars.example.com"
    )
    martin = factories.person(
        existing, email="martin@beggars.example.com", first_name="Martin", last_name="Mills"
    )
    db.session.commit()
    old_tokens = tokens_of(existing.id)
    before = counts()
    data = (
        b"Name,Country,City,Website,First name,Last name,Email\n"
        b"Beggars Group,UK,London,https://other.example.com,Tom,New,tom@beggars.example.com\n"
        b"beggars group,GB,,,Tim,Newer,tim@beggars.example.com\n"
        b"beggars group,GB,,,Martin,Again,Martin@Beggars.example.com\n"
    )

    result = run(data)

    assert result.duplicates == [
        Duplicate(
            2,
            f"Beggars Group Ltd (GB) is already in the directory (organisation "
            f"{existing.id}): merged into it, 2 new people; fills its blank city",
        ),
        Duplicate(
            4,
            "Martin@Beggars.example.com is already in the directory (Martin Mills, "
            f"person {martin.id}): not added",
        ),
    ]
    assert result.summary() == "imported 0 organisations, 2 people, 2 duplicates, 0 errors"
    db.session.expire_all()
    org = db.session.get(Organisation, existing.id)
    assert (org.name, org.city, org.website) == (
        "Beggars Group Ltd",
        "London",
        "https://beggars.example.com",
    )
    assert sorted(p.first_name for p in org.people) == ["Martin", "Tim", "Tom"]
    after = counts()
    assert (after["Organisation"], after["Person"]) == (
        before["Organisation"],
        before["Person"] + 2,
    )
    assert old_tokens < tokens_of(org.id) == expected_tokens(org)
    update = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert (update.entity_id, update.before, update.after) == (
        org.id,
        {"city": None},
        {"city": "London"},
    )
    # Importing the same file again creates nothing and fills nothing.
    again = run(data)
    assert again.summary() == "imported 0 organisations, 0 people, 4 duplicates, 0 errors"
    assert counts() == after


def test_dry_run_reports_and_writes_nothing():
    data = b"Name,Country,First name,Last name,Email\nDry Label,DE,Ann,Lee,ann@dry.example.com\n"
    before = counts()
    result = run(data, dry_run=True)
    assert result.summary() == "imported 1 organisations, 1 people, 0 duplicates, 0 errors"
    assert not result.applied and result.preview[0]["name"] == "Dry Label"
    assert counts() == before


# --- pieces ----------------------------------------------------------------------------------


def _validator_accepts(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com",
        "a.b+c@sub.example.co.uk",
        "x@xn--bcher-kva.example",
        "x@a--b.example",
        "x@example.test",
        "x@example.local",
        "a" * 65 + "@example.com",
        "a@" + "b" * 64 + ".com",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example.c",
        "a@example.123",
        "ü@example.com",
        "a@exämple.com",
        "a@b",
        "@example.com",
        "a@@example.com",
        "x" * 60 + "@" + ("y" * 60 + ".") * 4 + "com",
    ],
)
def test_email_check_agrees_with_email_validator(address):
    assert (importing.email_problem(address) is None) == _validator_accepts(address)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(importing.SIMPLE_EMAIL, fullmatch=True))
def test_email_fast_path_accepts_only_what_email_validator_accepts(address):
    assert (importing.email_problem(address) is None) == _validator_accepts(address)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=3),
    st.lists(st.one_of(st.none(), st.emails(), st.text(max_size=30)), max_size=3),
)
def test_tokens_are_those_of_search_tokens(texts, emails):
    assert _tokens(tuple(texts), tuple(emails)) == normalise.search_tokens(
        *texts, emails=tuple(emails)
    )


def test_stored_upload_tokens_cannot_escape_the_folder(app, tmp_path):
    token = importing.store_upload(str(tmp_path), b"Name,Country\n")
    assert importing.stored_upload(str(tmp_path), token).read_bytes() == b"Name,Country\n"
    (tmp_path / "secret.csv").write_bytes(b"x")
    for bad in ("../secret", "..%2Fsecret", "a/b", "", "short", token + ".csv", "x" * 40):
        assert importing.stored_upload(str(tmp_path), bad) is None


# --- command line ----------------------------------------------------------------------------


def test_cli_imports_and_prints_one_summary_line(runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(
        b"Name,Country,First name,Last name,Email\n"
        b"CLI Label,DE,Ann,Lee,ann@cli.example.com\n"
        b"CLI Label,DE,Bob,Lee,ann@cli.example.com\n"
    )
    result = runner.invoke(args=["crm", "import-members", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "line 3: duplicate: ann@cli.example.com already appears on line 2: not added",
        "imported 1 organisations, 1 people, 1 duplicates, 0 errors",
    ]
    org = org_named("CLI Label")
    assert [p.first_name for p in org.people] == ["Ann"]
    actors = set(db.session.scalars(select(AuditEvent.actor)))
    assert actors == {"cli:import-members"}


def test_cli_with_errors_exits_non_zero_and_writes_nothing(runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(hostile_file())
    before = counts()
    result = runner.invoke(args=["crm", "import-members", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "warning: Ignored unknown columns: Remarks"
    assert lines[1] == f"line 4, column 'Company': error: Starts with '=': {FORMULA}"
    assert lines[-1] == "imported 0 organisations, 0 people, 1 duplicates, 9 errors"
    assert sum(line.startswith("line ") for line in lines) == 10
    assert counts() == before


def test_cli_dry_run_writes_nothing(runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(b"Name,Country\nDry CLI Label,DE\n")
    result = runner.invoke(args=["crm", "import-members", str(path), "--dry-run"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "dry run: nothing was written",
        "imported 1 organisations, 0 people, 0 duplicates, 0 errors",
    ]
    assert counts()["Organisation"] == 0


# --- web: upload, preview, confirm -----------------------------------------------------------

CLEAN = (
    "Name,Country,City,First name,Last name,Email\n"
    "Web Label,DE,Berlin,Ann,Lee,ann@web.example.com\n"
    "Web Label,DE,,Bob,Lee,bob@web.example.com\n"
    "Zweites Label,AT,Wien,,,\n"
).encode("utf-8-sig")


def _upload(client, data: bytes, name: str = "members.csv"):
    return client.post(
        "/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _token(page: str) -> str:
    return re.search(r"/import/([A-Za-z0-9_-]+)/confirm", page).group(1)


def test_upload_preview_confirm(app, client, login_as):
    login_as("admin")
    assert client.get("/import").status_code == 200

    response = _upload(client, CLEAN)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "would create 2 organisations and 2 people" in page
    assert "Web Label" in page and "Zweites Label" in page and "Austria" in page
    assert counts()["Organisation"] == 0
    token = _token(page)
    stored = Path(app.instance_path) / "imports" / f"{token}.csv"
    assert stored.read_bytes() == CLEAN

    response = client.post(f"/import/{token}/confirm", data={"submit": "Confirm"})

    assert response.status_code == 302 and response.headers["Location"] == "/organisations"
    assert not stored.exists()
    page = client.get("/organisations").get_data(as_text=True)
    assert "Imported 2 organisations, 2 people, 0 duplicates, 0 errors." in page
    assert sorted(p.first_name for p in org_named("Web Label").people) == ["Ann", "Bob"]
    actors = set(
        db.session.scalars(
            select(AuditEvent.actor).where(AuditEvent.entity_type.in_(("organisation", "person")))
        )
    )
    assert len(actors) == 1 and actors.pop().startswith("admin")
    # The file is gone: confirming twice is impossible.
    assert client.post(f"/import/{token}/confirm").status_code == 404
    # The same file again has nothing left to import, and no confirm button.
    page = _upload(client, CLEAN).get_data(as_text=True)
    assert "Nothing to import" in page and "Confirm" not in page


def test_preview_with_errors_offers_no_confirm_and_confirm_is_refused(app, client, login_as):
    login_as("admin")
    before = counts()
    response = _upload(client, hostile_file())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The file has 9 errors" in page and "Confirm" not in page
    assert "Unknown country &#39;Atlantis&#39;" in page and "<td>5</td>" in page
    folder = Path(app.instance_path) / "imports"
    token = next(p.stem for p in folder.glob("*.csv") if p.read_bytes() == hostile_file())

    response = client.post(f"/import/{token}/confirm", data={"submit": "Confirm"})

    assert response.status_code == 422
    assert "The file has 9 errors" in response.get_data(as_text=True)
    assert counts() == before


def test_upload_form_errors(client, login_as):
    login_as("admin")
    response = _upload(client, b"Name,Country\n", name="members.xlsx")
    assert response.status_code == 200 and "A .csv file, please." in response.get_data(as_text=True)
    response = client.post("/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "This field is required" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", ["officer", "comms", "association", "member"])
def test_import_is_for_admins_only(app, client, login_as, role):
    token = importing.store_upload(app.instance_path, CLEAN)
    login_as(role)
    assert client.get("/import").status_code == 403
    assert _upload(client, CLEAN).status_code == 403
    assert client.post(f"/import/{token}/confirm").status_code == 403
    assert importing.stored_upload(app.instance_path, token) is not None
    assert counts()["Organisation"] == (1 if role in ("association", "member") else 0)


@pytest.mark.parametrize("token", ["not-a-token", "a" * 32, "..", "%2E%2E%2Fsecret", "x" * 200])
def test_unknown_or_malformed_token_is_404(client, login_as, token):
    login_as("admin")
    assert client.post(f"/import/{token}/confirm").status_code == 404
