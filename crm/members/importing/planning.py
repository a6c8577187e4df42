"""Checked rows to the plan of what to write: rows grouped by organisation, organisations the
directory already has merged into (their blanks filled, nothing overwritten), and people already
in the directory or earlier in the file set aside as duplicates."""

from dataclasses import dataclass

from sqlalchemy import select

from crm.extensions import db
from crm.members import normalise
from crm.members.importing.reading import COLUMNS, ORG, Header
from crm.members.importing.results import Duplicate, ImportResult, Org, RowError
from crm.members.models import Organisation, Person
from crm.members.vocab import OrgKind

PREVIEW_ROWS = 20
CHUNK = 2000  # keys per IN (...) lookup; SQLite allows 32,766 parameters
# Fields of an existing organisation that a row may fill when they are blank.
FILLABLE = ("acronym", "city", "address", "postcode", "email", "phone", "website", "vat_number",
            "sme_size", "notes", "association_id")  # fmt: skip


@dataclass
class Row:
    """A row whose cells passed their checks."""

    line: int
    key: tuple[str, str]  # (name_key, country): one organisation
    org: dict
    person: dict | None
    association: str | None  # the cell as written, for messages


class Planner:
    """Adds checked rows to the result's plan, asking the directory what it already has."""

    def __init__(self, result: ImportResult, header: Header):
        self.result = result
        self.plan = result.plan
        self.header = header
        self.seen_emails: dict[str, int] = {}
        self.seen_names: dict[tuple, int] = {}

    def error(self, line: int, column: str, message: str) -> None:
        self.result.errors.append(RowError(line, column, message))

    def add_rows(self, rows: list[Row]) -> list[Duplicate]:
        """Plan the rows; returns the merges into existing organisations, as duplicates."""
        self.load_existing(rows)
        for row in rows:
            self.add_to_plan(row)
        return [
            Duplicate(org.line, self.merge_message(org))
            for org in self.plan.orgs.values()
            if org.existing is not None
        ]

    def load_existing(self, rows: list[Row]) -> None:
        keys = {r.key for r in rows}
        self.existing_orgs: dict[tuple, dict] = {}
        columns = [
            Organisation.id,
            Organisation.name_key,
            Organisation.kind,
            *(getattr(Organisation, f) for f in ("name", "country", *FILLABLE)),
        ]
        for chunk in chunks(sorted({k for k, _ in keys})):
            stmt = select(*columns).where(Organisation.name_key.in_(chunk))
            for row in db.session.execute(stmt).mappings():
                if (row["name_key"], row["country"]) in keys:
                    self.existing_orgs[(row["name_key"], row["country"])] = dict(row)
        emails = {normalise.email_key(r.person.get("email")) for r in rows if r.person} - {None}
        self.existing_people: dict[str, tuple] = {}
        for chunk in chunks(sorted(emails)):
            stmt = select(Person.email_key, Person.id, Person.first_name, Person.last_name).where(
                Person.email_key.in_(chunk)
            )
            for row in db.session.execute(stmt):
                self.existing_people[row.email_key] = row
        self.existing_names: set[tuple] = set()
        org_ids = [o["id"] for o in self.existing_orgs.values()]
        for chunk in chunks(org_ids):
            stmt = select(Person.organisation_id, Person.first_name, Person.last_name).where(
                Person.organisation_id.in_(chunk)
            )
            for row in db.session.execute(stmt):
                self.existing_names.add((row.organisation_id, _person_key(row)))

    def add_to_plan(self, row: Row) -> None:
        key, values = row.key, row.org
        org = self.plan.orgs.get(key)
        if org is None:
            org = Org(
                row.line,
                key[0],
                dict(values),
                dict.fromkeys(values, row.line),
                existing=self.existing_orgs.get(key),
            )
            if org.existing is not None:
                self.merge(org)
            self.plan.orgs[key] = org
            note = "new organisation" if org.existing is None else "added to an existing one"
        else:
            if not self.same_organisation(org, row):
                return
            note = (
                "added to an existing one"
                if org.existing is not None
                else f"organisation of line {org.line}"
            )
        # The preview lists rows that create something: a person, or a new organisation alone.
        creates = (
            self.add_person(org, row)
            if row.person
            else org.existing is None and org.line == row.line
        )
        if creates:
            self.preview(row, org, note)

    def same_organisation(self, org: Org, row: Row) -> bool:
        """A later row of an organisation may add values, not contradict earlier ones."""
        ok = True
        for attr, value in row.org.items():
            if attr == "name":
                continue
            current = org.values.get(attr)
            if current is None:
                org.values[attr] = value
                org.sources[attr] = row.line
                if org.existing is not None:
                    self.merge(org)
            elif not _same(current, value):
                key = (
                    "association"
                    if attr == "association_id"
                    else next(c.key for c in COLUMNS if c.owner == ORG and c.attr == attr)
                )
                shown = row.association if attr == "association_id" else value
                self.error(
                    row.line,
                    self.header.heading(key),
                    f"'{shown}' differs from the value given "
                    f"for this organisation on line {org.sources[attr]}",
                )
                ok = False
        return ok

    def merge(self, org: Org) -> None:
        """Blank fields of the existing organisation take the file's values; none is overwritten."""
        existing = org.existing
        org.fill = {
            attr: org.values[attr]
            for attr in FILLABLE
            if org.values.get(attr) is not None and existing.get(attr) in (None, "")
        }
        if existing["kind"] == OrgKind.ASSOCIATION:
            org.fill.pop("association_id", None)

    def add_person(self, org: Org, row: Row) -> bool:
        person = row.person
        email = normalise.email_key(person.get("email"))
        name = f"{person['first_name']} {person['last_name']}"
        if email:
            first = self.seen_emails.get(email)
            known = self.existing_people.get(email)
            if known is not None:
                return self.duplicate(
                    row.line,
                    f"{person['email']} is already in the directory "
                    f"({known.first_name} {known.last_name}, person "
                    f"{known.id}): not added",
                )
            if first is not None:
                return self.duplicate(
                    row.line, f"{person['email']} already appears on line {first}: not added"
                )
            self.seen_emails[email] = row.line
        else:
            person_key = (id(org), _person_key(person))
            first = self.seen_names.get(person_key)
            if org.existing and (org.existing["id"], person_key[1]) in self.existing_names:
                return self.duplicate(
                    row.line, f"{name} is already a contact of {org.existing['name']}: not added"
                )
            if first is not None:
                return self.duplicate(
                    row.line,
                    f"{name} of {org.values['name']} already appears on line {first}: not added",
                )
            self.seen_names[person_key] = row.line
        org.people.append((row.line, person))
        return True

    def duplicate(self, line: int, message: str) -> bool:
        self.result.duplicates.append(Duplicate(line, message))
        return False

    def preview(self, row: Row, org: Org, note: str) -> None:
        if len(self.result.preview) < PREVIEW_ROWS:
            person = row.person or {}
            self.result.preview.append(
                {
                    "line": row.line,
                    "name": org.values["name"],
                    "country": org.values["country"],
                    "city": org.values.get("city") or "",
                    "kind": org.values.get("kind") or OrgKind.LABEL.value,
                    "person": f"{person['first_name']} {person['last_name']}" if person else "",
                    "email": person.get("email") or "",
                    "note": note,
                }
            )

    def merge_message(self, org: Org) -> str:
        existing = org.existing
        message = (
            f"{existing['name']} ({existing['country']}) is already in the directory "
            f"(organisation {existing['id']}): merged into it, "
            f"{len(org.people)} new people"
        )
        if org.fill:
            message += f"; fills its blank {', '.join(org.fill)}"
        return message


def _same(a, b) -> bool:
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        return normalise.fold(a).strip() == normalise.fold(b).strip()
    return a == b


def _person_key(person) -> tuple[str, str]:
    if isinstance(person, dict):
        first, last = person["first_name"], person["last_name"]
    else:
        first, last = person.first_name, person.last_name
    return " ".join(normalise.words(first)), " ".join(normalise.words(last))


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]
