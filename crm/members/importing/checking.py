"""A file checked against the directory, writing nothing: each row's cells and required values,
its national association, then the plan (see planning.py). check() is the entry point."""

import gc
from contextlib import contextmanager

from sqlalchemy import select

from crm.extensions import db
from crm.members import normalise
from crm.members.importing import reading
from crm.members.importing.cells import check_cell
from crm.members.importing.planning import Planner, Row
from crm.members.importing.reading import COLUMN_BY_KEY, PERSON, PERSON_KEYS, header_key
from crm.members.importing.results import ImportResult, Plan, RowError
from crm.members.models import Organisation
from crm.members.vocab import OrgKind


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector: the import allocates a great many objects and no
    cycles, and repeated full scans of them cost about a sixth of its time. Reference counting
    still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Also when the import raises (an IntegrityError when the directory changed meanwhile):
        # left off, the collector would never again free the reference cycles the rest of this
        # long-lived process makes. Only if it was on: run_import() pauses it around check(),
        # whose own pause must not restart it before the write.
        if enabled:
            gc.enable()


def check(data: bytes) -> ImportResult:
    """Read and check a file against the directory; writes nothing."""
    with gc_paused():
        return Checker(data).run()


class Checker:
    """Reads a file, checks its rows and plans them, filling in one ImportResult."""

    def __init__(self, data: bytes):
        self.data = data
        self.result = ImportResult(plan=Plan())
        self.name_keys: dict[str, str] = {}

    def error(self, line: int, column: str, message: str) -> None:
        self.result.errors.append(RowError(line, column, message))

    def run(self) -> ImportResult:
        result = self.result
        read = reading.read(self.data, result)
        if read is None:
            return result
        self.header, records = read
        self.load_associations()
        rows = []
        for line, cells in records:
            if not "".join(cells).strip():
                continue
            result.rows += 1
            row = self.read_row(line, cells, self.header.columns, self.header.width)
            if row is not None:
                rows.append(row)
        merged = Planner(result, self.header).add_rows(rows)
        # Stable sorts: on one line, the organisation's merge comes before its person.
        result.duplicates = sorted(merged + result.duplicates, key=lambda d: d.line)
        result.errors.sort(key=lambda e: e.line)
        return result

    def read_row(self, line: int, cells: list[str], columns, width: int) -> Row | None:
        size = len(cells)
        if size > width and "".join(cells[width:]).strip():
            self.error(line, "", f"{size} cells but the header has {width} columns")
        org: dict[str, object] = {}
        person: dict[str, object] = {}
        association = None
        failed: set[str] = set()
        for index, column, memo in columns:
            raw = cells[index] if index < size else ""
            if not raw or raw.isspace():
                continue
            if memo is None:
                value, problem = check_cell(column, raw)
            else:
                found = memo.get(raw)
                if found is None:
                    found = memo[raw] = check_cell(column, raw)
                value, problem = found
            if problem:
                self.error(line, self.header.heading(column.key), problem)
                failed.add(column.key)
            elif column.owner == PERSON:
                person[column.attr] = value
            elif column.check == "association":
                association = value
            else:
                org[column.attr] = value
        for key in ("name", "country"):
            if key not in org and key not in failed:
                self.error(
                    line, self.header.heading(key), f"The {COLUMN_BY_KEY[key].label} is required"
                )
                failed.add(key)
        name_key = ""
        if "name" in org:
            name_key = self.name_keys.get(org["name"])
            if name_key is None:
                name_key = self.name_keys[org["name"]] = normalise.name_key(org["name"])
        if "name" in org and not name_key:
            self.error(line, self.header.heading("name"), "The name must contain letters or digits")
            failed.add("name")
        if person or not failed.isdisjoint(PERSON_KEYS):
            for key in ("first_name", "last_name"):
                if key not in person and key not in failed:
                    self.error(
                        line,
                        self.header.heading(key),
                        f"The {COLUMN_BY_KEY[key].label} is required for a contact",
                    )
                    failed.add(key)
        if org.get("kind") == OrgKind.ASSOCIATION and association:
            self.error(
                line,
                self.header.heading("association"),
                "A national association cannot itself belong to an association",
            )
            failed.add("association")
        elif association:
            association_id, problem = self.find_association(association, org.get("country"))
            if problem:
                self.error(line, self.header.heading("association"), problem)
                failed.add("association")
            else:
                org["association_id"] = association_id
        if failed:
            return None
        return Row(line, (name_key, org["country"]), org, person or None, association)

    # the directory ----------------------------------------------------------------------------

    def load_associations(self) -> None:
        self.associations: dict[str, list] = {}
        rows = db.session.execute(
            select(
                Organisation.id, Organisation.name, Organisation.acronym, Organisation.country
            ).where(Organisation.kind == OrgKind.ASSOCIATION)
        )
        for row in rows:
            for text in {row.acronym, row.name}:
                if text:
                    self.associations.setdefault(header_key(text), []).append(row)

    def find_association(self, value: str, country: str | None) -> tuple[int | None, str | None]:
        """The id of the national association named by acronym or name, or a reason."""
        candidates = self.associations.get(header_key(value), [])
        if len(candidates) > 1:
            in_country = [c for c in candidates if c.country == country]
            if len(in_country) == 1:
                return in_country[0].id, None
            return None, f"'{value}' matches several national associations; give its full name"
        if not candidates:
            return None, f"No national association with the acronym or name '{value}'"
        return candidates[0].id, None
