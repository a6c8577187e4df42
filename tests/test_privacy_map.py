"""The personal data map covers the schema exactly: a new table or column, personal or not,
fails here until it is classified in crm/privacy/personal_data.py."""

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from crm.extensions import db
from crm.privacy import personal_data
from crm.privacy.mapcheck import problems
from crm.privacy.personal_data import MAP, Erase, OnErase, keep


def test_every_table_and_column_of_the_schema_is_classified():
    assert problems(db.metadata, MAP) == []


def _copy_schema() -> MetaData:
    copy = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(copy)
    return copy


def test_a_new_column_fails_until_it_is_classified():
    schema = _copy_schema()
    schema.tables["person"].append_column(Column("birthday", String(10)))
    assert problems(schema, MAP) == ["person.birthday: not classified in the personal data map"]


def test_a_new_table_fails_until_it_is_classified():
    schema = _copy_schema()
    Table(
        "person_note",
        schema,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("person.id")),
    )
    assert problems(schema, MAP) == ["person_note: table not classified in the personal data map"]


def test_a_reference_to_an_account_that_would_block_its_deletion_fails():
    schema = _copy_schema()
    schema.tables["milestone"].append_column(Column("author_id", ForeignKey("user_account.id")))
    changed = {**MAP, "milestone": _with(MAP["milestone"], author_id=personal_data.STAFF_REF)}
    assert problems(schema, changed) == [
        "milestone.author_id: admins delete accounts; needs ON DELETE SET NULL"
    ]


def test_a_mapped_column_that_no_longer_exists_fails():
    schema = _copy_schema()
    signature = schema.tables["signature"]
    signature._columns.remove(signature.c.comment)
    assert "signature.comment: in the map but not in the schema" in problems(schema, MAP)


def test_a_personal_looking_column_kept_without_a_reason_fails():
    changed = {**MAP, "person": _with(MAP["person"], phone=keep())}
    assert problems(db.metadata, changed) == ["person.phone: looks personal; kept without a reason"]


def test_a_table_pointing_at_a_person_without_a_link_fails():
    unlinked = personal_data.Table("made up", dict(MAP["person_interest"].columns))
    changed = {**MAP, "person_interest": unlinked}
    assert problems(db.metadata, changed) == [
        "person_interest.person_id: points at a person but no link of the map uses it"
    ]


def test_an_erase_rule_that_cannot_fit_the_column_fails():
    changed = {**MAP, "signature": _with(MAP["signature"], list_publicly=personal_data.HASH)}
    assert problems(db.metadata, changed) == ["signature.list_publicly: hash needs a text column"]


def test_a_link_naming_a_missing_column_or_redacting_a_number_fails():
    link = personal_data.mentioned_in("source", ("id", "no_such_column"))
    consent = MAP["consent"]
    changed = {
        **MAP,
        "consent": personal_data.Table(
            consent.about,
            consent.columns,
            (*consent.links, link),
            consent.on_erase,
            consent.audit_entity,
        ),
    }
    assert problems(db.metadata, changed) == [
        "consent.no_such_column: a link names a column the table lacks"
    ]
    changed = {**MAP, "delivery": _with(MAP["delivery"], attempts=personal_data.REDACT)}
    assert problems(db.metadata, changed) == [
        "delivery.attempts: redact needs a text or JSON column"
    ]


def _with(spec, **columns):
    return personal_data.Table(
        spec.about, {**spec.columns, **columns}, spec.links, spec.on_erase, spec.audit_entity
    )


def test_the_map_says_what_the_brief_requires_of_key_tables():
    person = MAP["person"].columns
    assert person["first_name"].erase is Erase.ERASED
    assert all(person[c].erase is Erase.BLANK for c in ("email", "email_key", "phone"))
    signature = MAP["signature"].columns
    assert signature["email_key"].erase is Erase.HASH
    assert all(signature[c].erase is Erase.BLANK for c in ("email", "comment", "city"))
    assert MAP["consent"].on_erase is OnErase.DELETE
    account = MAP["user_account"]
    assert account.columns["password_hash"].secret
    # Deleting an account would cascade to action_participant: erasure disables it instead.
    assert account.on_erase is OnErase.ANONYMISE
    assert account.columns["active"].erase is Erase.BLANK
    assert MAP["consent"].columns["source"].erase is Erase.REDACT
    assert MAP["suppression"].columns["source"].erase is Erase.REDACT
    assert not MAP["delivery"].columns["text_body"].export
    assert MAP["suppression"].columns["email_hash"].erase is Erase.KEEP
    for name in ("organisation", "joint_letter_signatory", "award_registration"):
        assert not MAP[name].personal, name
