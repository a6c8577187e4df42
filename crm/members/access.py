"""Object-level rules: which organisations a user may see and change."""

from flask import abort
from flask_login import current_user
from sqlalchemy import or_

from crm.auth.roles import STAFF, Role
from crm.members.models import Organisation, Person

# Staff roles that may change directory records (comms reads only).
DIRECTORY_EDITORS = (Role.ADMIN, Role.OFFICER)


def scope_organisations(stmt, user):
    """Restrict a select over Organisation to what the user may see."""
    if user.role in STAFF:
        return stmt
    if user.role == Role.ASSOCIATION:
        return stmt.where(
            or_(
                Organisation.association_id == user.organisation_id,
                Organisation.id == user.organisation_id,
            )
        )
    return stmt.where(Organisation.id == user.organisation_id)


def can_view_organisation(user, org: Organisation) -> bool:
    if user.role in STAFF:
        return True
    if user.role == Role.ASSOCIATION:
        return org.id == user.organisation_id or org.association_id == user.organisation_id
    return user.role == Role.MEMBER and org.id == user.organisation_id


def can_edit_organisation(user, org: Organisation) -> bool:
    if user.role in DIRECTORY_EDITORS:
        return True
    return user.role in (Role.ASSOCIATION, Role.MEMBER) and can_view_organisation(user, org)


def can_manage_memberships(user) -> bool:
    # Memberships are the secretariat's and officers' books; members only read them.
    return user.role in DIRECTORY_EDITORS


def require_view(org: Organisation) -> Organisation:
    if not can_view_organisation(current_user, org):
        abort(403)
    return org


def require_edit(org: Organisation) -> Organisation:
    if not can_edit_organisation(current_user, org):
        abort(403)
    return org


def require_person_edit(person: Person) -> Person:
    """Staff editors edit any person; scoped users only people of organisations they edit."""
    if current_user.role in DIRECTORY_EDITORS:
        return person
    if person.organisation is None or not can_edit_organisation(current_user, person.organisation):
        abort(403)
    return person
