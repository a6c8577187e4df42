"""Access and portability: everything the CRM holds about a person, as JSON, from the map."""

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from crm.audit.services import record
from crm.db import utcnow
from crm.extensions import db
from crm.members.models import Organisation
from crm.privacy.lookup import Subject, find_hits, table
from crm.privacy.personal_data import MAP

FORMAT = "indie-crm-personal-data/1"
# A foreign key is shown with the name of what it points at, except for people and accounts
# (whose names would be someone else's personal data).
LABEL_COLUMNS = ("name", "title", "slug", "subject")
UNLABELLED = {"person", "user_account"}


def _json(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _label(target: str, row_id):
    tbl = table(target)
    column = next((c for c in LABEL_COLUMNS if c in tbl.c), None)
    if column is None or row_id is None:
        return None
    return db.session.scalar(select(tbl.c[column]).where(tbl.c.id == row_id))


def _row(name: str, row, only: frozenset[str] | None) -> dict:
    spec, tbl = MAP[name], table(name)
    out = {}
    for column, value in row._mapping.items():
        rule = spec.columns[column]
        if not rule.export or (only is not None and column not in only):
            continue
        out[column] = ("set" if value else None) if rule.secret else _json(value)
        for fk in tbl.c[column].foreign_keys:
            target = fk.column.table.name
            if target not in UNLABELLED and value is not None:
                out[f"{column}_label"] = _label(target, value)
    return out


def _organisation(subject: Subject) -> dict | None:
    person = subject.person
    if person is None or person.organisation_id is None:
        return None
    name = db.session.scalar(
        select(Organisation.name).where(Organisation.id == person.organisation_id)
    )
    return {"id": person.organisation_id, "name": name}


def collect(subject: Subject) -> dict:
    """The export document: every linked table of the map with the subject's rows."""
    found = find_hits(subject)
    data = {}
    for name, rows in sorted(found.items()):
        spec, tbl = MAP[name], table(name)
        result = db.session.execute(
            select(tbl).where(tbl.c.id.in_(sorted(rows))).order_by(tbl.c.id)
        ).all()
        data[name] = {
            "about": spec.about,
            "left_out": sorted(c for c, rule in spec.columns.items() if not rule.export),
            # A row linked only through the subject's part in it (an event their account did,
            # a consent they recorded) shows that part, not the other person's data.
            "rows": [_row(name, row, rows[row.id].export) for row in result],
        }
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "person_id": subject.person.id if subject.person else None,
        "email_addresses": sorted(subject.email_keys),
        "organisation": _organisation(subject),
        "data": data,
    }


def export_subject(subject: Subject, channel: str) -> dict:
    """Collect the export and audit it (no personal data in the entry); the caller commits."""
    document = collect(subject)
    person = subject.person
    record(
        "export",
        "person" if person else "email",
        person.id if person else None,
        f"Personal data exported ({channel})",
        organisation_id=person.organisation_id if person else None,
    )
    return document


def dumps(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)
