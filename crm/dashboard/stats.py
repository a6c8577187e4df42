"""Member counts. A company counts once, whether it is a direct member or one through its
association: the organisation's own status already folds all its memberships into one."""

from sqlalchemy import func, select

from crm.extensions import db
from crm.members.access import scope_organisations
from crm.members.models import Organisation
from crm.members.vocab import CURRENT_STATUSES, OrgKind


def _members(user):
    return scope_organisations(
        select(Organisation).where(Organisation.kind != OrgKind.ASSOCIATION), user
    ).subquery()


def members_by_country(user) -> list[tuple[str, int]]:
    """Current member companies (active or in grace) per country, largest first."""
    org = _members(user)
    rows = db.session.execute(
        select(org.c.country, func.count(org.c.id))
        .where(org.c.membership_status.in_(CURRENT_STATUSES))
        .group_by(org.c.country)
        .order_by(func.count(org.c.id).desc(), org.c.country)
    )
    return [(r[0], r[1]) for r in rows]


def members_by_kind(user) -> list[tuple[str, int]]:
    org = _members(user)
    rows = db.session.execute(
        select(org.c.kind, func.count(org.c.id))
        .where(org.c.membership_status.in_(CURRENT_STATUSES))
        .group_by(org.c.kind)
        .order_by(func.count(org.c.id).desc())
    )
    return [(r[0], r[1]) for r in rows]


def organisations_by_status(user) -> list[tuple[str, int]]:
    org = _members(user)
    rows = db.session.execute(
        select(org.c.membership_status, func.count(org.c.id))
        .group_by(org.c.membership_status)
        .order_by(func.count(org.c.id).desc())
    )
    return [(r[0], r[1]) for r in rows]
