"""Writing audiences: saved segments, static lists and their entries, the non-signers segment.

Each function adds and flushes and writes the audit entry; the view commits once.
"""

from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, or_, select

from crm.audit.services import record, snapshot
from crm.auth.roles import Role
from crm.db import conflict_raises
from crm.extensions import db
from crm.mailings.audience_models import Audience, AudienceEntry
from crm.mailings.audiences import AudienceError, validate_filters
from crm.mailings.models import Mailing, MailingStatus
from crm.members.models import Person
from crm.members.normalise import email_key
from crm.members.vocab import CURRENT_STATUSES, OrgKind
from crm.web import MAX_INT

KINDS = {"segment": "Saved segment (filters)", "static": "Static list (chosen people)"}
MAX_LINES = 5000
RACE = AudienceError("Someone else changed this audience at the same time; nothing was saved.")


@dataclass
class AddResult:
    """What adding addresses to a list did: how many added, and each line that was not."""

    added: int = 0
    already: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def _tidy_name(name: str | None) -> str:
    """An audience name as kept and compared: runs of whitespace made one space."""
    return " ".join((name or "").split())


def _check_name(name: str, audience_id: int | None = None) -> str:
    name = _tidy_name(name)
    if not name:
        raise AudienceError("Give the audience a name.", "name")
    if len(name) > 150:
        raise AudienceError("At most 150 characters.", "name")
    clash = select(Audience.id).where(func.lower(Audience.name) == name.lower())
    if audience_id is not None:
        clash = clash.where(Audience.id != audience_id)
    if db.session.scalar(clash) is not None:
        raise AudienceError("An audience with this name already exists.", "name")
    return name


def create_audience(data: dict, user=None) -> Audience:
    """A new segment or static list from name, description, kind, filters (and scope)."""
    kind = data.get("kind") or "segment"
    if kind not in KINDS:
        raise AudienceError("Choose a segment or a static list.", "kind")
    audience = Audience(
        name=_check_name(data.get("name")),
        description=(data.get("description") or "").strip() or None,
        kind=kind,
        filters=validate_filters(data.get("filters")),
        created_by_id=getattr(user, "id", None),
        scope_association_id=data.get("scope_association_id"),
    )
    with conflict_raises(AudienceError("An audience with this name already exists.", "name")):
        db.session.add(audience)
        db.session.flush()
    record(
        "create",
        "audience",
        audience.id,
        f"Audience {audience.name} created",
        after=snapshot(audience),
    )
    return audience


def update_audience(audience: Audience, data: dict) -> None:
    """Change an audience's name, description and filters (its kind stays)."""
    before = snapshot(audience)
    audience.name = _check_name(data.get("name"), audience.id)
    audience.description = (data.get("description") or "").strip() or None
    audience.filters = validate_filters(data.get("filters"))
    with conflict_raises(AudienceError("An audience with this name already exists.", "name")):
        db.session.flush()
    record(
        "update",
        "audience",
        audience.id,
        f"Audience {audience.name} changed",
        before=before,
        after=snapshot(audience),
    )


def mailings_using(audience: Audience) -> list[Mailing]:
    """Mailings past draft that use the audience (they keep it from being deleted)."""
    return list(
        db.session.scalars(
            select(Mailing).where(
                Mailing.audience_id == audience.id, Mailing.status != MailingStatus.DRAFT
            )
        )
    )


def _list_ids_of(filters) -> set[int]:
    """The static lists a stored filter names, in include or exclude (tolerating bad JSON)."""
    found = set()
    for section in ("include", "exclude"):
        criteria = filters.get(section) if isinstance(filters, dict) else None
        values = criteria.get("list_ids") if isinstance(criteria, dict) else None
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and value.isascii() and value.isdigit():
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                found.add(value)
    return found


def segments_using(audience: Audience) -> list[Audience]:
    """Other audiences whose filters name this static list (include or exclude)."""
    if audience.kind != "static":
        return []
    others = db.session.scalars(
        select(Audience).where(Audience.id != audience.id).order_by(Audience.name)
    )
    return [other for other in others if audience.id in _list_ids_of(other.filters)]


def delete_audience(audience: Audience) -> None:
    """Delete an audience no scheduled or sent mailing uses and no segment's filters name;
    drafts lose their audience."""
    used = mailings_using(audience)
    if used:
        raise AudienceError(
            f"{len(used)} mailing{'s' if len(used) != 1 else ''} beyond draft use this "
            f"audience (first: {used[0].subject!r}); it cannot be deleted."
        )
    segments = segments_using(audience)
    if segments:
        names = ", ".join(f"“{other.name}”" for other in segments)
        raise AudienceError(
            f"The filters of {names} use this list; take it out of "
            f"{'them' if len(segments) > 1 else 'it'} first, then delete the list."
        )
    before = snapshot(audience)
    db.session.execute(delete(AudienceEntry).where(AudienceEntry.audience_id == audience.id))
    db.session.delete(audience)
    db.session.flush()
    record("delete", "audience", before["id"], f"Audience {before['name']} deleted", before=before)


def _require_static(audience: Audience) -> None:
    if audience.kind != "static":
        raise AudienceError("Only a static list has people added by hand.")


def _insert_entries(audience: Audience, person_ids: list[int]) -> tuple[int, int]:
    present = set(
        db.session.scalars(
            select(AudienceEntry.person_id).where(AudienceEntry.audience_id == audience.id)
        )
    )
    new = [pid for pid in dict.fromkeys(person_ids) if pid not in present]
    if new:
        with conflict_raises(RACE):
            db.session.execute(
                insert(AudienceEntry), [{"audience_id": audience.id, "person_id": p} for p in new]
            )
        record(
            "update",
            "audience",
            audience.id,
            f"{len(new)} {'person' if len(new) == 1 else 'people'} added to {audience.name}",
            after={"added_person_ids": new[:200]},
        )
    return len(new), len(person_ids) - len(new)


def add_people(audience: Audience, person_ids: list[int]) -> int:
    """Add directory people (by id) to a static list; unknown ids are ignored."""
    _require_static(audience)
    ids = [i for i in person_ids if isinstance(i, int) and 1 <= i <= MAX_INT][:MAX_LINES]
    known = list(db.session.scalars(select(Person.id).where(Person.id.in_(ids)))) if ids else []
    return _insert_entries(audience, known)[0]


def add_emails(audience: Audience, text: str) -> AddResult:
    """Add the people with these addresses (one a line); each line that is not an address of
    the directory is reported with its number, and the others are added."""
    _require_static(audience)
    lines = (text or "").splitlines()
    if len(lines) > MAX_LINES:
        raise AudienceError(f"At most {MAX_LINES} lines at a time.", "emails")
    result = AddResult()
    wanted: dict[str, list[int]] = {}
    for number, line in enumerate(lines, 1):
        value = line.strip().strip(",;").strip().strip("<>")
        if not value:
            continue
        key = email_key(value)
        if (
            len(key) > 254
            or key.count("@") != 1
            or " " in key
            or key.startswith("@")
            or key.endswith("@")
        ):
            result.problems.append((number, line.strip()[:100], "not an email address"))
            continue
        wanted.setdefault(key, []).append(number)
    people: dict[str, int] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = db.session.execute(
            select(Person.email_key, Person.id).where(Person.email_key.in_(chunk))
        )
        people.update((key, person_id) for key, person_id in rows)
    for key, numbers in wanted.items():
        if key not in people:
            result.problems.extend(
                (n, key, "nobody in the directory has this address") for n in numbers
            )
    result.problems.sort()
    result.added, result.already = _insert_entries(audience, list(people.values()))
    return result


def remove_people(audience: Audience, person_ids: list[int]) -> int:
    """Take people off a static list."""
    _require_static(audience)
    ids = [i for i in person_ids if isinstance(i, int) and 1 <= i <= MAX_INT]
    if not ids:
        return 0
    removed = db.session.execute(
        delete(AudienceEntry).where(
            AudienceEntry.audience_id == audience.id, AudienceEntry.person_id.in_(ids)
        )
    ).rowcount
    if removed:
        record(
            "update",
            "audience",
            audience.id,
            f"{removed} {'person' if removed == 1 else 'people'} removed from {audience.name}",
            before={"removed_person_ids": ids[:200]},
        )
    return removed


def unique_name(base: str) -> str:
    """The base name, or the base name with the first free number after it.

    Tidied as _check_name tidies it (_tidy_name), then cut to 140 characters (room for a
    number; _check_name allows 150) with any space the cut left at the end stripped, and
    compared without letter case, as _check_name compares: otherwise "A  B" or a cut ending in
    a space looks free here and is then refused there as taken, and on PostgreSQL (LIKE is
    case-sensitive) so is a name that differs only by case."""
    base = _tidy_name(base)[:140].rstrip()
    lowered = func.lower(Audience.name)
    rows = db.session.scalars(
        select(Audience.name).where(
            or_(
                lowered.startswith(base.lower(), autoescape=True),
                Audience.name.startswith(base, autoescape=True),
            )
        )
    )
    # Lower-cased here as well: SQLite's lower() leaves non-ASCII letters as they are.
    taken = {name.lower() for name in rows}
    if base.lower() not in taken:
        return base
    number = 2
    while f"{base} ({number})".lower() in taken:
        number += 1
    return f"{base} ({number})"


def save_non_signers(declaration, title: str, user) -> Audience:
    """A segment of the current member companies' people who have not signed; an association
    user's stays within its own members."""
    scope = user.organisation_id if user.role == Role.ASSOCIATION else None
    suffix = f" — {user.organisation.acronym or user.organisation.name}" if scope else ""
    filters = {
        "include": {
            # The coverage page's "current members": active or in grace.
            "membership_statuses": [s.value for s in CURRENT_STATUSES],
            "org_kinds": [k.value for k in OrgKind if k != OrgKind.ASSOCIATION],
            "not_signed_declaration_ids": [declaration.id],
        },
        "exclude": {},
    }
    return create_audience(
        {
            "name": unique_name(f"Not signed: {title}{suffix}"),
            "description": f"Current member companies' people who have not signed {title}.",
            "kind": "segment",
            "filters": filters,
            "scope_association_id": scope,
        },
        user,
    )
