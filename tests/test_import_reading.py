"""Reading a file: encodings, delimiters, the header and its aliases, malformed CSV."""

import pytest

from crm.extensions import db
from crm.members import importing
from crm.members.importing import RowError
from tests import factories
from tests.import_helpers import (
    counts,
    org_named,
    run,
    system_actor,  # noqa: F401 (an autouse fixture)
)


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


def test_utf8_file_with_one_stray_cp1252_byte_is_refused_on_its_line():
    """Decoding it all as Windows-1252 would turn every Müller into MÃ¼ller, and the existing
    Müller Musik would be created a second time under its mangled name."""
    existing = factories.organisation("Müller Musik", country="DE", city="Köln")
    db.session.commit()
    before = counts()
    data = (
        b"Name,Country,City\r\n"
        + "Müller Musik,DE,Köln\r\n".encode()
        + "Éditions Lumière,FR,Paris\r\n".encode()
        + b"Caf"
        + b"\xe9"
        + b" Records,FR,Lyon\r\n"
        + "Straße Tapes,DE,Berlin\r\n".encode()
    )

    result = run(data)

    assert result.errors == [RowError(4, "", "Not valid UTF-8 (byte 0xE9); save the file as UTF-8")]
    assert not result.applied and result.summary().endswith("0 duplicates, 1 errors")
    assert counts() == before
    assert org_named("MÃ¼ller Musik") is None and org_named("Müller Musik").id == existing.id


def test_stray_byte_line_counts_quoted_and_cr_only_line_breaks():
    data = 'Name,Country,Address\r"Über Label",DE,"a\rb"\rCaf'.encode() + b"\xe9,FR,\r"
    assert run(data).errors == [
        RowError(4, "", "Not valid UTF-8 (byte 0xE9); save the file as UTF-8")
    ]


def test_pure_cp1252_file_imports_with_its_accents():
    data = "Name,Country,City\nMüller Musik,DE,Köln\nCafé Records,FR,Besançon\n".encode("cp1252")
    result = run(data)
    assert result.encoding == "Windows-1252" and result.errors == []
    assert org_named("Müller Musik").city == "Köln"
    assert org_named("Café Records").city == "Besançon"


def test_pure_utf8_file_imports_with_its_accents():
    data = "Name,Country,City\nMüller Musik,DE,Köln\nCafé Records,FR,Besançon\n".encode()
    result = run(data)
    assert result.encoding == "UTF-8" and result.errors == []
    assert org_named("Müller Musik").city == "Köln"
    assert org_named("Café Records").city == "Besançon"


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


def test_delimiter_is_decided_by_the_header_outside_quotes():
    assert importing.sniff_delimiter('"Name, legal";Country;City\nA, B;DE;X\n') == ";"
    assert importing.sniff_delimiter('Name,Country,Notes\n"a;b;c;d",DE,x\n') == ","
    assert importing.sniff_delimiter("Name\n") == ","


def test_blank_rows_and_trailing_empty_cells_are_skipped_but_extra_data_is_not():
    data = b"Name,Country\n\n,\n  ,  \nA Label,DE,,\nB Label,DE,surplus\n"
    result = run(data)
    assert result.errors == [RowError(6, "", "3 cells but the header has 2 columns")]
    assert result.rows == 2
