"""Writes to organisations, people and memberships. Each adds, flushes and audits; the caller
commits once."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, update

from crm.audit.services import record, snapshot
from crm.db import conflict_raises
from crm.extensions import db
from crm.members import normalise
from crm.members.models import Membership, Organisation, Person, SearchToken
from crm.members.status import best_status, membership_status
from crm.members.vocab import MembershipRoute, MembershipStatus, OrgKind

ORG_FIELDS = (
    "name",
    "acronym",
    "kind",
    "country",
    "city",
    "address",
    "postcode",
    "email",
    "phone",
    "website",
    "vat_number",
    "sme_size",
    "notes",
    "association_id",
)
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "language",
    "is_primary_contact",
    "organisation_id",
)


class MemberError(ValueError):
    """A user-facing reason a change was refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


# --- organisations ---------------------------------------------------------------------------


def find_duplicate_organisation(name: str, country: str, exclude_id: int | None = None):
    stmt = select(Organisation).where(
        Organisation.name_key == normalise.name_key(name), Organisation.country == country
    )
    if exclude_id:
        stmt = stmt.where(Organisation.id != exclude_id)
    return db.session.scalar(stmt)


def _check_association(org: Organisation, association_id: int | None) -> None:
    if association_id is None:
        return
    if org.is_association:
        raise MemberError("A national association cannot belong to another one.", "association_id")
    association = db.session.get(Organisation, association_id)
    if association is None or not association.is_association:
        raise MemberError("Choose a national association.", "association_id")
    if association_id == org.id:
        raise MemberError("An organisation cannot be its own association.", "association_id")


def _apply_org_fields(org: Organisation, data: dict) -> None:
    for field in ORG_FIELDS:
        if field in data:
            setattr(org, field, _clean(data[field]))
    if org.kind == OrgKind.ASSOCIATION:
        org.association_id = None
    org.name_key = normalise.name_key(org.name)
    org.sort_name = normalise.sort_name(org.name)
    if org.email:
        org.email = org.email.lower()


def create_organisation(data: dict) -> Organisation:
    """Create an organisation, refusing a second one with the same name in the same country."""
    if not _clean(data.get("name")):
        raise MemberError("A name is required.", "name")
    duplicate = find_duplicate_organisation(data["name"], data["country"])
    if duplicate:
        raise MemberError(
            f"{duplicate.name} ({duplicate.country}) already exists: edit that record instead.",
            "name",
        )
    org = Organisation()
    _apply_org_fields(org, data)
    _check_association(org, org.association_id)
    with conflict_raises(
        MemberError("This organisation was just created by someone else.", "name")
    ):
        db.session.add(org)
    reindex_organisation(org.id)
    record(
        "create",
        "organisation",
        org.id,
        f"Created {org.name}",
        after=snapshot(org),
        organisation_id=org.id,
    )
    return org


def update_organisation(org: Organisation, data: dict) -> None:
    """Update an organisation's fields. Memberships are untouched: see change_association()."""
    before = snapshot(org)
    if "association_id" in data and _clean(data["association_id"]) != org.association_id:
        raise MemberError("Use change_association() to change the association.", "association_id")
    name, country = data.get("name", org.name), data.get("country", org.country)
    if not _clean(name):
        raise MemberError("A name is required.", "name")
    duplicate = find_duplicate_organisation(name, country, exclude_id=org.id)
    if duplicate:
        raise MemberError(f"{duplicate.name} ({duplicate.country}) already exists.", "name")
    if (
        org.is_association
        and data.get("kind", org.kind) != OrgKind.ASSOCIATION
        and org.member_companies
    ):
        raise MemberError("This association still has member companies; move them first.", "kind")
    with conflict_raises(
        MemberError("Another organisation with this name and country was just saved.", "name")
    ):
        _apply_org_fields(org, data)
    after = snapshot(org)
    if after != before:
        reindex_organisation(org.id)
        record(
            "update",
            "organisation",
            org.id,
            f"Updated {org.name}",
            before=before,
            after=after,
            organisation_id=org.id,
        )


@dataclass
class AssociationChange:
    closed: Membership | None = None  # an active period ended the day before the change
    opened: Membership | None = None  # and continued through the new association
    moved: Membership | None = None  # a pending or grace period that changed route only


def change_association(
    org: Organisation, association_id: int | None, *, move_membership: bool, on: date | None = None
) -> AssociationChange:
    """Point an organisation at another national association (or none).

    Memberships are never deleted or silently recreated. Without `move_membership` they stay
    exactly as they were and only the link changes. With it, the membership held through the old
    association moves: an active one is closed the day before `on` (kept in history) and
    continues through the new association from `on` with the same end date; a pending or grace
    one keeps its dates and changes route.
    """
    association_id = association_id or None
    if association_id == org.association_id:
        return AssociationChange()
    _check_association(org, association_id)
    before = snapshot(org)
    old_association_id = org.association_id
    org.association_id = association_id
    db.session.flush()
    record(
        "update",
        "organisation",
        org.id,
        f"Changed the association of {org.name}",
        before=before,
        after=snapshot(org),
        organisation_id=org.id,
    )
    change = AssociationChange()
    if not move_membership or old_association_id is None:
        return change
    on = on or date.today()
    current = _current_membership_through(org, old_association_id, on)
    if current is None:
        return change
    new_route = {
        "route": MembershipRoute.ASSOCIATION if association_id else MembershipRoute.DIRECT,
        "via_association_id": association_id,
    }
    status = membership_status(
        current.start_date, current.end_date, current.resigned_on, on, _grace_days()
    )
    if status != MembershipStatus.ACTIVE or current.start_date >= on:
        # Not begun yet, or ended and awaiting renewal: the period keeps its dates and changes
        # only its route; splitting it would invent or lose days of membership.
        note = "Moved to the new association." if association_id else "Now a direct membership."
        update_membership(current, {**new_route, "notes": _join_notes(current.notes, note)})
        change.moved = current
        return change
    end_date = current.end_date
    update_membership(
        current,
        {
            "end_date": on - timedelta(days=1),
            "notes": _join_notes(current.notes, "Closed: association changed."),
        },
    )
    change.closed = current
    change.opened = create_membership(
        org,
        {
            **new_route,
            "start_date": on,
            "end_date": end_date,
            "notes": "Continues the membership held through the previous association.",
        },
    )
    return change


def _current_membership_through(org: Organisation, association_id: int, on: date):
    """The membership held through `association_id` that is current at `on`, judged by its dates
    (the stored status may be a day old): active first, then in grace, then pending."""
    rank = {MembershipStatus.ACTIVE: 0, MembershipStatus.GRACE: 1, MembershipStatus.PENDING: 2}
    candidates = []
    for m in org.memberships:
        if m.route != MembershipRoute.ASSOCIATION or m.via_association_id != association_id:
            continue
        status = membership_status(m.start_date, m.end_date, m.resigned_on, on, _grace_days())
        if status in rank:
            candidates.append((rank[status], m.start_date, m))
    return min(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def _join_notes(existing: str | None, addition: str) -> str:
    return f"{existing}\n{addition}" if existing else addition


def delete_organisation(org: Organisation) -> None:
    """Delete an organisation with no people, memberships, members or accounts left."""
    from crm.auth.models import User

    if org.people or org.memberships or org.member_companies:
        raise MemberError("Remove its people and memberships (and move its members) first.")
    if db.session.scalar(select(User.id).where(User.organisation_id == org.id).limit(1)):
        raise MemberError("User accounts still belong to this organisation.")
    record(
        "delete",
        "organisation",
        org.id,
        f"Deleted {org.name}",
        before=snapshot(org),
        organisation_id=None,
    )
    with conflict_raises(
        MemberError("Other records (joint letters, for example) still refer to it.")
    ):
        db.session.delete(org)


def reindex_organisation(org_id: int) -> None:
    """Rewrite the organisation's search tokens from its name, city and emails."""
    org = db.session.get(Organisation, org_id)
    emails = tuple(db.session.scalars(select(Person.email).where(Person.organisation_id == org_id)))
    tokens = normalise.search_tokens(org.name, org.acronym, org.city, emails=(org.email, *emails))
    db.session.execute(delete(SearchToken).where(SearchToken.organisation_id == org_id))
    if tokens:
        db.session.execute(
            insert(SearchToken), [{"organisation_id": org_id, "token": t} for t in sorted(tokens)]
        )


# --- people ----------------------------------------------------------------------------------


def find_person_by_email(email: str | None, exclude_id: int | None = None) -> Person | None:
    key = normalise.email_key(email)
    if key is None:
        return None
    stmt = select(Person).where(Person.email_key == key)
    if exclude_id:
        stmt = stmt.where(Person.id != exclude_id)
    return db.session.scalar(stmt)


def _apply_person_fields(person: Person, data: dict) -> None:
    for field in PERSON_FIELDS:
        if field in data:
            setattr(person, field, _clean(data[field]))
    person.is_primary_contact = bool(person.is_primary_contact)
    person.email_key = normalise.email_key(person.email)


def _person_org_id(person: Person) -> int | None:
    return person.organisation_id


def create_person(data: dict) -> Person:
    """Create a contact, refusing an email that another person already has."""
    existing = find_person_by_email(data.get("email"))
    if existing:
        raise MemberError("Another person already has this email address.", "email")
    person = Person()
    _apply_person_fields(person, data)
    with conflict_raises(MemberError("Another person already has this email address.", "email")):
        db.session.add(person)
    if person.organisation_id:
        reindex_organisation(person.organisation_id)
    record(
        "create",
        "person",
        person.id,
        f"Added {person.full_name}",
        after=snapshot(person),
        organisation_id=person.organisation_id,
    )
    return person


def update_person(person: Person, data: dict) -> None:
    """Update a contact; the audit entry shows on the old and the new organisation's page."""
    if find_person_by_email(data.get("email", person.email), exclude_id=person.id):
        raise MemberError("Another person already has this email address.", "email")
    before = snapshot(person)
    old_org = person.organisation_id
    with conflict_raises(MemberError("Another person already has this email address.", "email")):
        _apply_person_fields(person, data)
    after = snapshot(person)
    if after == before:
        return
    for org_id in {old_org, person.organisation_id} - {None}:
        reindex_organisation(org_id)
        record(
            "update",
            "person",
            person.id,
            f"Updated {person.full_name}",
            before=before,
            after=after,
            organisation_id=org_id,
        )


def delete_person(person: Person) -> None:
    """Delete a contact (its login, if any, is unlinked, not deleted)."""
    org_id = person.organisation_id
    record(
        "delete",
        "person",
        person.id,
        f"Deleted {person.full_name}",
        before=snapshot(person),
        organisation_id=org_id,
    )
    db.session.delete(person)
    db.session.flush()
    if org_id:
        reindex_organisation(org_id)


# --- memberships -----------------------------------------------------------------------------


def _grace_days() -> int:
    return current_app.config["MEMBERSHIP_GRACE_DAYS"]


def _check_membership(data: dict) -> None:
    start, end, resigned = data.get("start_date"), data.get("end_date"), data.get("resigned_on")
    if start is None:
        raise MemberError("A start date is required.", "start_date")
    if end is not None and end < start:
        raise MemberError("The end date is before the start date.", "end_date")
    if resigned is not None and resigned < start:
        raise MemberError("The resignation is dated before the start.", "resigned_on")
    if data.get("route") == MembershipRoute.ASSOCIATION:
        association = db.session.get(Organisation, data.get("via_association_id") or 0)
        if association is None or not association.is_association:
            raise MemberError(
                "Choose the national association it comes through.", "via_association_id"
            )
    elif data.get("route") == MembershipRoute.DIRECT:
        data["via_association_id"] = None
    else:
        raise MemberError("Choose direct or through an association.", "route")


def _set_status(membership: Membership, today: date | None = None) -> None:
    membership.status = membership_status(
        membership.start_date,
        membership.end_date,
        membership.resigned_on,
        today or date.today(),
        _grace_days(),
    )


def refresh_organisation_status(org_id: int) -> str:
    statuses = db.session.scalars(
        select(Membership.status).where(Membership.organisation_id == org_id)
    ).all()
    status = best_status(statuses)
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == org_id)
        .values(membership_status=status)
        .execution_options(synchronize_session="fetch")
    )
    return status


def create_membership(org: Organisation, data: dict) -> Membership:
    """Open a membership period for an organisation."""
    data = dict(data)
    _check_membership(data)
    membership = Membership(
        organisation_id=org.id,
        route=data["route"],
        via_association_id=data.get("via_association_id"),
        start_date=data["start_date"],
        end_date=data.get("end_date"),
        resigned_on=data.get("resigned_on"),
        notes=_clean(data.get("notes")),
    )
    _set_status(membership)
    db.session.add(membership)
    db.session.flush()
    refresh_organisation_status(org.id)
    record(
        "create",
        "membership",
        membership.id,
        f"Membership of {org.name} from {membership.start_date}",
        after=snapshot(membership),
        organisation_id=org.id,
    )
    return membership


def update_membership(membership: Membership, data: dict) -> None:
    """Change a membership's dates, route or notes; its status follows."""
    merged = {
        f: getattr(membership, f)
        for f in ("route", "via_association_id", "start_date", "end_date", "resigned_on", "notes")
    }
    merged.update(data)
    _check_membership(merged)
    before = snapshot(membership)
    for field, value in merged.items():
        setattr(membership, field, _clean(value))
    _set_status(membership)
    db.session.flush()
    refresh_organisation_status(membership.organisation_id)
    after = snapshot(membership)
    if after != before:
        record(
            "update",
            "membership",
            membership.id,
            f"Updated a membership of {membership.organisation.name}",
            before=before,
            after=after,
            organisation_id=membership.organisation_id,
        )


def recompute_statuses(today: date | None = None) -> int:
    """The daily job: bring every membership's and organisation's status up to date.

    Returns how many memberships changed status; each change is audited.
    """
    today = today or date.today()
    changed = 0
    changed_orgs: set[int] = set()
    for membership in db.session.scalars(select(Membership)):
        status = membership_status(
            membership.start_date, membership.end_date, membership.resigned_on, today, _grace_days()
        )
        if status != membership.status:
            record(
                "update",
                "membership",
                membership.id,
                f"Status {membership.status} -> {status} (daily recompute)",
                before={"status": membership.status},
                after={"status": status.value},
                organisation_id=membership.organisation_id,
            )
            membership.status = status
            changed += 1
            changed_orgs.add(membership.organisation_id)
    db.session.flush()
    for org_id in changed_orgs:
        refresh_organisation_status(org_id)
    return changed
