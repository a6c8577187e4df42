"""Small factory functions. They go through the services, so records are built as users build
them (keys normalised, statuses computed, audit written)."""

import itertools
from datetime import date

from crm.auth import services as auth_services
from crm.auth.roles import Role
from crm.members import services
from crm.members.vocab import MembershipRoute, OrgKind

PASSWORD = "a long test password"
_counter = itertools.count(1)


def organisation(name=None, country="DE", kind=OrgKind.LABEL, **fields):
    n = next(_counter)
    data = {"name": name or f"Test Label {n}", "country": country, "kind": kind, **fields}
    return services.create_organisation(data)


def association(acronym="VUT", country="DE", name=None):
    return organisation(
        name or f"{acronym} national association", country, OrgKind.ASSOCIATION, acronym=acronym
    )


def person(org=None, email=None, **fields):
    n = next(_counter)
    data = {
        "first_name": fields.pop("first_name", "Ada"),
        "last_name": fields.pop("last_name", f"Tester{n}"),
        "email": email if email is not None else f"person{n}@example.org",
        "organisation_id": org.id if org else None,
        **fields,
    }
    return services.create_person(data)


def membership(org, start=date(2020, 1, 1), end=None, via=None, resigned=None):
    data = {
        "route": MembershipRoute.ASSOCIATION if via else MembershipRoute.DIRECT,
        "via_association_id": via.id if via else None,
        "start_date": start,
        "end_date": end,
        "resigned_on": resigned,
    }
    return services.create_membership(org, data)


def user(role, organisation=None, email=None):
    role = Role(role)
    if organisation is None and role == Role.ASSOCIATION:
        organisation = association(acronym=f"A{next(_counter)}")
    elif organisation is None and role == Role.MEMBER:
        organisation = globals()["organisation"]()
    n = next(_counter)
    return auth_services.create_user(
        email or f"{role.value}{n}@example.org",
        PASSWORD,
        role,
        organisation.id if organisation else None,
    )
