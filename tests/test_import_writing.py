"""Writing: what a clean file creates, merging into the directory (never doubled),
duplicates, audit events and search tokens, dry runs."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text

from crm.audit.models import AuditEvent
from crm.audit.services import snapshot
from crm.db import utcnow
from crm.extensions import db
from crm.members import normalise
from crm.members.importing import Duplicate, RowError
from crm.members.importing.writing import AUDIT_KEYS, _insert_rows, _tokens
from crm.members.models import Organisation, SearchToken
from tests import factories
from tests.import_helpers import (
    counts,
    expected_tokens,
    org_named,
    run,
    system_actor,  # noqa: F401 (an autouse fixture)
    tokens_of,
)


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


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=3),
    st.lists(st.one_of(st.none(), st.emails(), st.text(max_size=30)), max_size=3),
)
def test_tokens_are_those_of_search_tokens(texts, emails):
    assert _tokens(tuple(texts), tuple(emails)) == normalise.search_tokens(
        *texts, emails=tuple(emails)
    )


# --- the hand-compiled inserts -----------------------------------------------------------------
# _insert_rows() compiles its INSERT and applies the columns' bind processors itself, which keeps
# the import above the benchmark's goal (plain Core executemany measured 0.26-0.28 against 0.3).
# These tests hold it to what SQLAlchemy writes for the same rows, column type by column type,
# so that an upgrade of SQLAlchemy or of a driver that changes either cannot go unnoticed.


def _raw_rows(table: str, columns: str, after_id: int) -> list:
    """The rows of a table after an id as the driver hands them back: what is stored."""
    return db.session.execute(
        text(f"SELECT {columns} FROM {table} WHERE id > :id ORDER BY id"),  # noqa: S608
        {"id": after_id},
    ).all()


@pytest.mark.parametrize("with_before", [False, True], ids=["created", "updated"])
def test_hand_compiled_audit_rows_are_what_sqlalchemy_writes(with_before):
    org = factories.organisation("Round Trip", country="DE")
    db.session.flush()
    last_id = db.session.scalar(select(func.max(AuditEvent.id)))
    now = utcnow()
    after = {
        "name": "Müller „Straße“ Ωmega 🎵 'quoted' \"double\"",
        "count": 3,
        "share": 0.5,
        "blank": None,
        "flag": True,
        "list": [1, "x", None],
        "nested": {"city": "Köln"},
    }
    keys = AUDIT_KEYS + (("before",) if with_before else ())
    extra = ({"city": None, "website": "https://x.example"},) if with_before else ()
    rows = [
        (now, 7, "cli:import-members", "create", "organisation", org.id, "Created Müller", after,
         org.id, *extra),
        (now, None, "system", "create", "person", None, "", {}, None, *extra),
    ]  # fmt: skip

    _insert_rows(AuditEvent.__table__, keys, rows)
    db.session.execute(
        insert(AuditEvent.__table__), [dict(zip(keys, row, strict=True)) for row in rows]
    )
    db.session.flush()

    columns = [c.name for c in AuditEvent.__table__.c if c.name != "id"]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id)
    ).all()
    typed = [tuple(getattr(e, name) for name in columns) for e in events]
    assert len(typed) == 4
    assert typed[:2] == typed[2:]
    assert typed[0][columns.index("created_at")] == now
    assert typed[0][columns.index("after")] == after
    raw = _raw_rows("audit_event", ", ".join(columns), last_id)
    assert raw[:2] == raw[2:]


def test_hand_compiled_search_tokens_are_what_sqlalchemy_writes():
    hand, plain = (factories.organisation(name, country="DE") for name in ("Hand", "Plain"))
    db.session.flush()
    db.session.execute(text("DELETE FROM search_token"))
    tokens = ["müller", "straße", "🎵", "a" * 120, "o'brien", "x"]

    _insert_rows(
        SearchToken.__table__, ("organisation_id", "token"), [(hand.id, t) for t in tokens]
    )
    db.session.execute(
        insert(SearchToken.__table__),
        [{"organisation_id": plain.id, "token": t} for t in tokens],
    )
    db.session.flush()

    def written(org_id):
        return db.session.execute(
            text("SELECT token FROM search_token WHERE organisation_id = :id ORDER BY token"),
            {"id": org_id},
        ).all()

    assert written(hand.id) == written(plain.id)
    assert sorted(tokens_of(hand.id)) == sorted(tokens_of(plain.id)) == sorted(tokens)
