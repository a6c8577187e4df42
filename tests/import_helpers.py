"""Shared helpers of the CSV import tests (tests/test_import_*.py): a hostile file, a clean
one, running an import as the commands do, and counting what it wrote."""

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.audit.services import set_system_actor
from crm.extensions import db
from crm.members import importing, normalise
from crm.members.models import Organisation, Person, SearchToken

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


CLEAN = (
    "Name,Country,City,First name,Last name,Email\n"
    "Web Label,DE,Berlin,Ann,Lee,ann@web.example.com\n"
    "Web Label,DE,,Bob,Lee,bob@web.example.com\n"
    "Zweites Label,AT,Wien,,,\n"
).encode("utf-8-sig")
