"""What an import reports (errors, duplicates, warnings, a preview, counts) and the plan of what
it writes, which checking.py and planning.py make and writing.py writes."""

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


@dataclass(frozen=True)
class Duplicate:
    line: int
    message: str


class Counts(NamedTuple):
    organisations: int
    people: int
    duplicates: int
    errors: int


@dataclass
class ImportResult:
    """What a file holds and what importing it does (or did)."""

    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    rows: int = 0
    encoding: str = ""
    delimiter: str = ""
    applied: bool = False
    plan: "Plan | None" = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def organisations(self) -> int:
        """Organisations created (or to be created); none while the file has errors."""
        return len(self.plan.new_orgs) if self.plan and self.ok else 0

    @property
    def people(self) -> int:
        return self.plan.new_people if self.plan and self.ok else 0

    @property
    def has_changes(self) -> bool:
        """Whether importing would write anything: new records, or blanks filled in."""
        return bool(
            self.organisations
            or self.people
            or (self.ok and self.plan and any(org.fill for org in self.plan.orgs.values()))
        )

    @property
    def counts(self) -> Counts:
        return Counts(self.organisations, self.people, len(self.duplicates), len(self.errors))

    def summary(self) -> str:
        n, m, k, e = self.counts
        return f"imported {n} organisations, {m} people, {k} duplicates, {e} errors"


@dataclass
class Org:
    """An organisation of the plan: a new one, or one of the directory merged into."""

    line: int
    name_key: str
    values: dict
    sources: dict  # field -> line that gave it
    existing: dict | None = None
    fill: dict = field(default_factory=dict)
    people: list = field(default_factory=list)
    id: int | None = None


@dataclass
class Plan:
    """What will be written: the organisations of the file and their new people."""

    orgs: dict = field(default_factory=dict)  # (name_key, country) -> Org, in file order

    @property
    def new_orgs(self) -> list[Org]:
        return [o for o in self.orgs.values() if o.existing is None]

    @property
    def new_people(self) -> int:
        return sum(len(o.people) for o in self.orgs.values())
