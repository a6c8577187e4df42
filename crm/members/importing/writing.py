"""The plan written all or nothing: a few bulk inserts of organisations, people, their audit
events and search tokens, and the blanks of existing organisations filled. run_import() is the
entry point; the caller commits, or rolls back when the result has errors."""

import re

from sqlalchemy import insert, select, update

from crm.audit.models import AuditEvent
from crm.audit.services import current_actor
from crm.db import utcnow
from crm.extensions import db
from crm.members import normalise
from crm.members.importing.checking import check, gc_paused
from crm.members.importing.planning import chunks
from crm.members.importing.results import ImportResult, Org, Plan
from crm.members.models import Organisation, Person, SearchToken
from crm.members.vocab import NO_MEMBERSHIP, OrgKind

ORG_FIELDS = ("name", "acronym", "kind", "country", "city", "address", "postcode", "email",
              "phone", "website", "vat_number", "sme_size", "notes", "association_id")  # fmt: skip
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "job_title", "language")
# The columns an audit event's `after` holds, as services' snapshot() gives them.
ORG_SNAPSHOT = (*ORG_FIELDS, "name_key", "sort_name", "membership_status")
PERSON_SNAPSHOT = (*PERSON_FIELDS, "email_key", "organisation_id", "is_primary_contact")
AUDIT_KEYS = ("created_at", "actor_id", "actor", "action", "entity_type", "entity_id", "summary",
              "after", "organisation_id")  # fmt: skip
_ASCII_NON_WORD = re.compile(r"[^0-9a-z]+")


def run_import(data: bytes, *, dry_run: bool = False) -> ImportResult:
    """Check a file and, if it has no errors and this is not a dry run, write all of it.

    The caller commits, or rolls back when the result has errors.
    """
    with gc_paused():
        result = check(data)
        if result.ok and not dry_run:
            write(result)
    return result


def write(result: ImportResult) -> None:
    """Write the plan of a checked result that has no errors; the caller commits.

    Raises IntegrityError when the directory changed since the check (a record added
    meanwhile); the caller rolls back.
    """
    if not result.ok:
        raise ValueError("a result with errors cannot be written")
    with gc_paused():
        _apply(result.plan)
    result.applied = True


def _apply(plan: Plan) -> None:
    """Write the plan with one bulk insert per table, audit events and search tokens included.

    Organisations and people go through Core `insert(table).returning(...)` executemany: the
    same SQL and column types as the ORM's bulk insert without its per-row bookkeeping (a tenth
    of the import). Their ids come back with RETURNING and are matched to rows by unique keys,
    not by position: SQLite cannot batch `sort_by_parameter_order=True` and would insert the
    rows one by one. Audit events and search tokens, which need no ids back, go through the
    driver's executemany (see _insert_rows).
    """
    now = utcnow()
    actor_id, actor = current_actor()
    created, updated = [], []  # audit rows, in the order of AUDIT_KEYS (+ before)

    def event(action, entity_type, entity_id, summary, org_id, after, before=None):
        row = (now, actor_id, actor, action, entity_type, entity_id, summary[:300], after, org_id)
        if before is None:
            created.append(row)
        else:
            updated.append((*row, before))

    new_orgs = plan.new_orgs
    org_rows = [_org_row(org, now) for org in new_orgs]
    if org_rows:
        table = Organisation.__table__
        returned = db.session.execute(
            insert(table).returning(table.c.id, table.c.name_key, table.c.country), org_rows
        )
        ids = {(r.name_key, r.country): r.id for r in returned}
        for org, values in zip(new_orgs, org_rows, strict=True):
            org.id = ids[(values["name_key"], values["country"])]
            event(
                "create",
                "organisation",
                org.id,
                f"Created {values['name']} (CSV import)",
                org.id,
                _snapshot(org.id, values, ORG_SNAPSHOT),
            )
    merged = [org for org in plan.orgs.values() if org.existing is not None]
    for org in merged:
        org.id = org.existing["id"]
    fills = [{"id": org.id, **org.fill, "updated_at": now} for org in merged if org.fill]
    if fills:
        db.session.execute(update(Organisation), fills)
        for org in merged:
            if org.fill:
                event(
                    "update",
                    "organisation",
                    org.id,
                    f"Filled {', '.join(org.fill)} of {org.existing['name']} (CSV import)",
                    org.id,
                    dict(org.fill),
                    {attr: org.existing[attr] for attr in org.fill},
                )

    person_rows = [
        _person_row(person, org.id, now) for org in plan.orgs.values() for _, person in org.people
    ]
    if person_rows:
        table = Person.__table__
        returned = db.session.execute(
            insert(table).returning(
                table.c.id,
                table.c.organisation_id,
                table.c.email_key,
                table.c.first_name,
                table.c.last_name,
            ),
            person_rows,
        )
        # The email is unique; without one, the check made the name unique in its organisation.
        ids = {
            (email_key,) if email_key else (org_id, first, last): person_id
            for person_id, org_id, email_key, first, last in returned
        }
        for values in person_rows:
            person_id = ids[_person_identity(values)]
            event(
                "create",
                "person",
                person_id,
                f"Added {values['first_name']} {values['last_name']} (CSV import)",
                values["organisation_id"],
                _snapshot(person_id, values, PERSON_SNAPSHOT),
            )
    _insert_rows(AuditEvent.__table__, AUDIT_KEYS, created)
    _insert_rows(AuditEvent.__table__, (*AUDIT_KEYS, "before"), updated)
    _write_tokens(new_orgs, merged)


def _person_identity(row) -> tuple:
    if row["email_key"]:
        return (row["email_key"],)
    return (row["organisation_id"], row["first_name"], row["last_name"])


def _org_row(org: Org, now) -> dict:
    row = {attr: org.values.get(attr) for attr in ORG_FIELDS}
    row["kind"] = row["kind"] or OrgKind.LABEL.value
    if row["kind"] == OrgKind.ASSOCIATION:
        row["association_id"] = None
    row.update(
        name_key=org.name_key,
        sort_name=normalise.sort_name(row["name"]),
        membership_status=NO_MEMBERSHIP,
        created_at=now,
        updated_at=now,
    )
    return row


def _person_row(values: dict, org_id: int, now) -> dict:
    row = {attr: values.get(attr) for attr in PERSON_FIELDS}
    row.update(
        email_key=normalise.email_key(row["email"]),
        organisation_id=org_id,
        is_primary_contact=False,
        created_at=now,
        updated_at=now,
    )
    return row


def _snapshot(entity_id: int, values: dict, fields: tuple[str, ...]) -> dict:
    return {"id": entity_id, **{f: values.get(f) for f in fields}}


def _insert_rows(table, keys: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows (tuples of the values of `keys`) with the driver's executemany.

    The statement and each column's bind processing are SQLAlchemy's own, compiled for the
    session's dialect; what is left out is its per-row parameter bookkeeping, which is most of
    the cost of the hundred thousand audit and search rows a large import writes.

    The trade-off: this leans on SQLAlchemy internals (compiled.positional and positiontup,
    bind_processor) and on what the driver accepts, which an upgrade of either may change.
    It is kept because the plain ways miss the benchmark's goal of 0.3 (SQLite, 6,000
    organisations, best of 3): Core `insert(table)` executemany gave 0.26-0.28, the ORM bulk
    insert with render_nulls 0.22-0.24, this path 0.32-0.33. The tests
    test_hand_compiled_*_are_what_sqlalchemy_writes in tests/test_import_writing.py fail when
    the rows written here differ from what `insert(table)` writes, column type by column type
    and in the stored form; if they fail after an upgrade, replace the body with
    `db.session.execute(insert(table), [dict(zip(keys, row)) for row in rows])`.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    processors = [
        _repeat_cached(table.c[key].type.dialect_impl(dialect).bind_processor(dialect))
        for key in keys
    ]
    active = [(i, process) for i, process in enumerate(processors) if process]
    if active:
        processed = []
        for row in rows:
            row = list(row)
            for i, process in active:
                row[i] = process(row[i])
            processed.append(row)
        rows = processed
    if not compiled.positional:
        params = [dict(zip(keys, row, strict=True)) for row in rows]
    elif list(compiled.positiontup) == list(keys):
        params = rows
    else:
        order = [keys.index(name) for name in compiled.positiontup]
        params = [tuple(row[i] for i in order) for row in rows]
    connection.exec_driver_sql(compiled.string, params)


def _repeat_cached(process):
    """A bind processor that reuses its last result for the same object (the shared timestamp)."""
    if process is None:
        return None
    last = [object(), None]

    def run(value):
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return run


def _words(text: str) -> list[str]:
    """normalise.words(), folding only the non-ASCII chunks: for ASCII, folding is lower-casing.
    Chunks split on spaces give the same words, as a space is never part of one."""
    if text.isascii():
        return [word for word in _ASCII_NON_WORD.split(text.lower()) if word]
    words = []
    for chunk in text.split(" "):
        if chunk.isascii():
            words.extend(word for word in _ASCII_NON_WORD.split(chunk.lower()) if word)
        else:
            words.extend(normalise.words(chunk))
    return words


def _tokens(texts: tuple, emails: tuple) -> set[str]:
    """normalise.search_tokens(*texts, emails=emails), computed with less folding (a test holds
    the two equal): the search index of a large import is most of its Python work."""
    keys = [key for key in map(normalise.email_key, emails) if key]
    tokens = {word[:120] for word in _words(" ".join(filter(None, (*texts, *keys))))}
    tokens.update(key[:120] for key in keys)
    return tokens


def _write_tokens(new_orgs: list[Org], merged: list[Org]) -> None:
    rows = []
    for org in new_orgs:
        values = org.values
        tokens = _tokens(
            (values["name"], values.get("acronym"), values.get("city")),
            (values.get("email"), *(p.get("email") for _, p in org.people)),
        )
        rows.extend((org.id, token) for token in sorted(tokens))
    merged = [org for org in merged if org.fill or org.people]
    have: set[tuple[int, str]] = set()
    for chunk in chunks([org.id for org in merged]):
        stmt = select(SearchToken.organisation_id, SearchToken.token).where(
            SearchToken.organisation_id.in_(chunk)
        )
        have.update(tuple(r) for r in db.session.execute(stmt))
    for org in merged:
        tokens = _tokens(
            (org.fill.get("acronym"), org.fill.get("city")),
            (org.fill.get("email"), *(p.get("email") for _, p in org.people)),
        )
        rows.extend((org.id, token) for token in sorted(tokens) if (org.id, token) not in have)
    _insert_rows(SearchToken.__table__, ("organisation_id", "token"), rows)
