"""Find every row the personal data map links to one person (or to one bare email address)."""

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Table, Text, and_, cast, func, or_, select

from crm.auth.models import User
from crm.extensions import db
from crm.mailings.consent import email_hash
from crm.members.models import Person
from crm.members.normalise import email_key
from crm.privacy.personal_data import MAP, Erase, Link, entity_tables, linked_tables


@dataclass
class Subject:
    """Whom a request is about: a person of the directory, or only an address (a public signer
    who is in no directory record)."""

    person: Person | None
    email_keys: set[str] = field(default_factory=set)
    user_ids: set[int] = field(default_factory=set)

    @property
    def email_hashes(self) -> set[str]:
        return {email_hash(key) for key in self.email_keys}

    def values(self, key: str) -> set:
        if key == "person":
            return {self.person.id} if self.person else set()
        if key == "user":
            return self.user_ids
        if key in ("email_key", "mention"):
            return self.email_keys
        if key == "email_hash":
            return self.email_hashes
        raise KeyError(key)


def subject_for_person(person: Person) -> Subject:
    """The person, their accounts (linked, or with the same address) and their addresses."""
    conditions = [User.person_id == person.id]
    if person.email_key:
        conditions.append(func.lower(User.email) == person.email_key)
    users = db.session.execute(select(User.id, User.email).where(or_(*conditions))).all()
    keys = {person.email_key} | {email_key(row.email) for row in users}
    return Subject(person, {k for k in keys if k}, {row.id for row in users})


def subject_for_email(email: str) -> Subject:
    """The directory's person with this address if there is one, else the bare address."""
    key = email_key(email)
    if not key:
        raise ValueError("an email address is required")
    person = db.session.scalar(select(Person).where(Person.email_key == key))
    if person is None:  # perhaps the address of the person's login
        person = db.session.scalar(
            select(Person)
            .join(User, User.person_id == Person.id)
            .where(func.lower(User.email) == key)
        )
    if person is not None:
        return subject_for_person(person)
    users = set(db.session.scalars(select(User.id).where(func.lower(User.email) == key)))
    return Subject(None, {key}, users)


def table(name: str) -> Table:
    return db.metadata.tables[name]


# Characters that may stand right before an address's local part or continue its domain: an
# address only counts as mentioned when it stands whole (ann@x.org is not in joann@x.org).
_LOCAL = r"\w.!#$%&'*+/=?^`{|}~-"
_DOMAIN_GOES_ON = r"(?![\w-]|\.[\w-])"
REDACTED = "erased user"


def mention_pattern(keys: set[str]) -> re.Pattern:
    """Matches any of the addresses where it stands whole, in any case."""
    alternatives = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(f"(?<![{_LOCAL}])(?:{alternatives}){_DOMAIN_GOES_ON}", re.IGNORECASE)


def redact(value, pattern: re.Pattern):
    """The value (text, or a JSON structure's strings) with each whole address replaced."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, dict):
        return {redact(key, pattern): redact(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, pattern) for item in value]
    return value


def _as_text(value) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    return json.dumps(value, ensure_ascii=False)


def _like(keys: set[str]) -> set[str]:
    # JSON columns hold non-ASCII characters as \u escapes; the prefilter looks for both forms.
    forms = keys | {json.dumps(k)[1:-1] for k in keys}
    return {k.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for k in forms}


def _mention_ids(tbl: Table, link: Link, keys: set[str]) -> list[int]:
    """Rows whose columns quote one of the addresses whole: a LIKE finds candidates, the
    pattern keeps those where the address stands on its own."""
    columns = [tbl.c[c] for c in link.columns]
    prefilter = or_(
        *(
            func.lower(cast(column, Text)).like(f"%{key}%", escape="\\")
            for column in columns
            for key in sorted(_like(keys))
        )
    )
    pattern = mention_pattern(keys)
    rows = db.session.execute(select(tbl.c.id, *columns).where(prefilter))
    return [row[0] for row in rows if any(pattern.search(_as_text(v)) for v in row[1:])]


def _condition(tbl: Table, link: Link, subject: Subject, entities: dict[str, set[int]]):
    if link.key == "entity":
        type_column, id_column = (tbl.c[c] for c in link.columns)
        pairs = [
            and_(type_column == entity, id_column.in_(sorted(ids)))
            for entity, ids in entities.items()
            if ids
        ]
        return or_(*pairs) if pairs else None
    values = subject.values(link.key)
    if not values:
        return None
    column = tbl.c[link.columns[0]]
    return (func.lower(column) if link.fold else column).in_(sorted(values))


def _ids(tbl: Table, link: Link, subject: Subject, entities: dict[str, set[int]]):
    if link.key == "mention":
        keys = subject.values("mention")
        return _mention_ids(tbl, link, keys) if keys else []
    condition = _condition(tbl, link, subject, entities)
    return [] if condition is None else db.session.scalars(select(tbl.c.id).where(condition))


def _union(current: frozenset | None, more: tuple[str, ...] | None) -> frozenset | None:
    return None if current is None or more is None else current | frozenset(more)


@dataclass(frozen=True)
class Hit:
    """What the links that found a row allow: the columns erasure changes (None: every
    personal one), how (None: by each column's rule; REDACT: only the person's addresses go),
    and the columns the export shows (None: every exported one)."""

    # Before any link: nothing allowed, and REDACT until a link that erases by rule comes.
    erase: frozenset[str] | None = frozenset()
    erase_as: Erase | None = Erase.REDACT
    export: frozenset[str] | None = frozenset()

    def widened(self, link: Link) -> "Hit":
        return Hit(
            _union(self.erase, link.erase_only),
            self.erase_as if link.erase_as is self.erase_as else None,
            _union(self.export, link.export_only),
        )


def find_hits(subject: Subject) -> dict[str, dict[int, Hit]]:
    """table -> {row id: what may be erased and exported of it}, for every linked table.
    Audit events come last: they follow the rows found in the other tables."""
    found: dict[str, dict[int, Hit]] = {}
    entities: dict[str, set[int]] = defaultdict(set)
    by_entity = {name: entity for entity, name in entity_tables().items()}
    ordered = sorted(
        linked_tables().items(), key=lambda item: any(lk.key == "entity" for lk in item[1].links)
    )
    for name, spec in ordered:
        tbl = table(name)
        rows: dict[int, Hit] = {}
        for link in spec.links:
            for row_id in _ids(tbl, link, subject, entities):
                rows[row_id] = rows.get(row_id, Hit()).widened(link)
        found[name] = rows
        if name in by_entity:
            # Audit events follow the subject's own rows only, not someone else's consent in
            # which a staff user's address is all that is theirs.
            entities[by_entity[name]].update(i for i, hit in rows.items() if hit.erase is None)
    return found


def find_rows(subject: Subject) -> dict[str, dict[int, tuple[str, ...] | None]]:
    """table -> {row id: the columns to erase in it (None: every personal column)}."""
    return {
        name: {
            row_id: None if hit.erase is None else tuple(sorted(hit.erase))
            for row_id, hit in rows.items()
        }
        for name, rows in find_hits(subject).items()
    }


def counts(subject: Subject) -> dict[str, int]:
    """How many rows of each linked table concern the subject (for the staff page)."""
    return {name: len(rows) for name, rows in find_rows(subject).items()}


def about(name: str) -> str:
    return MAP[name].about
