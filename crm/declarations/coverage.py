"""Coverage: the share of current member companies that signed a declaration.

A company counts once however many of its people signed and whether it is a direct member or
one through its association (its own membership_status already folds all its memberships).
A signature counts when it was made on behalf of an organisation (not by an individual who
works there), is confirmed, linked to the company, and approved (published) by an officer.
Every figure is one GROUP BY query over the scoped membership.
"""

from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import joinedload

from crm.declarations.models import PUBLISHED_STATES, Signature
from crm.extensions import db
from crm.members.access import scope_organisations
from crm.members.models import Organisation
from crm.members.vocab import CURRENT_STATUSES, OrgKind, country_name


@dataclass
class Share:
    key: str | int | None
    label: str
    members: int
    signed: int

    @property
    def percent(self) -> float:
        return round(100 * self.signed / self.members, 1) if self.members else 0.0


def signed_organisations(declaration_id: int):
    """Distinct organisations with a counting signature, as a subquery."""
    return (
        select(Signature.organisation_id.label("organisation_id"))
        .where(
            Signature.declaration_id == declaration_id,
            Signature.signing_as == "organisation",
            Signature.status == "confirmed",
            Signature.moderation.in_(PUBLISHED_STATES),
            Signature.organisation_id.is_not(None),
        )
        .distinct()
        .subquery("signed")
    )


def members(user):
    """Current member companies the user may see, as a subquery."""
    return scope_organisations(
        select(
            Organisation.id, Organisation.country, Organisation.association_id, Organisation.name
        ).where(
            Organisation.kind != OrgKind.ASSOCIATION,
            Organisation.membership_status.in_(CURRENT_STATUSES),
        ),
        user,
    ).subquery("members")


def _grouped(declaration_id: int, user, column_name: str | None):
    org = members(user)
    signed = signed_organisations(declaration_id)
    key = org.c[column_name] if column_name else literal(None)
    stmt = select(
        key.label("key"),
        func.count(org.c.id),
        func.count(signed.c.organisation_id),
    ).select_from(org.outerjoin(signed, signed.c.organisation_id == org.c.id))
    if column_name:
        stmt = stmt.group_by(key)
    return db.session.execute(stmt).all()


def overall(declaration_id: int, user) -> Share:
    """All current member companies in the user's scope."""
    rows = _grouped(declaration_id, user, None)
    _, total, signed = rows[0] if rows else (None, 0, 0)
    return Share(None, "All members", total, signed)


def by_country(declaration_id: int, user) -> list[Share]:
    """Per country, the largest membership first."""
    shares = [
        Share(code, country_name(code), total, signed)
        for code, total, signed in _grouped(declaration_id, user, "country")
    ]
    return sorted(shares, key=lambda s: (-s.members, s.label))


def by_association(declaration_id: int, user) -> list[Share]:
    """Per national association; direct members (no association) last."""
    rows = _grouped(declaration_id, user, "association_id")
    ids = [key for key, _, _ in rows if key is not None]
    names = dict(
        db.session.execute(
            select(Organisation.id, func.coalesce(Organisation.acronym, Organisation.name)).where(
                Organisation.id.in_(ids)
            )
        ).all()
    )
    shares = [
        Share(key, names.get(key, "Direct members") if key else "Direct members", total, signed)
        for key, total, signed in rows
    ]
    return sorted(shares, key=lambda s: (s.key is None, -s.members, s.label))


def non_signers_stmt(declaration_id: int, user):
    """Current member companies in scope without a counting signature, by name."""
    signed = signed_organisations(declaration_id)
    stmt = (
        select(Organisation)
        .outerjoin(signed, signed.c.organisation_id == Organisation.id)
        .where(
            Organisation.kind != OrgKind.ASSOCIATION,
            Organisation.membership_status.in_(CURRENT_STATUSES),
            signed.c.organisation_id.is_(None),
        )
        .options(joinedload(Organisation.association))
        .order_by(Organisation.sort_name, Organisation.id)
    )
    return scope_organisations(stmt, user)


NON_SIGNER_HEADER = ["id", "name", "country", "national association", "email", "city", "status"]


def non_signer_rows(declaration_id: int, user):
    """One CSV row per non-signing member, streamed."""
    stmt = non_signers_stmt(declaration_id, user).execution_options(yield_per=500)
    for org in db.session.scalars(stmt):
        yield (
            org.id,
            org.name,
            country_name(org.country),
            org.association.name if org.association else "",
            org.email or "",
            org.city or "",
            org.membership_status,
        )


def chart_rows(shares: list[Share], limit: int = 25) -> list[tuple[str, int]]:
    """(label, whole percent) pairs for the bar chart macro."""
    return [(s.label, round(s.percent)) for s in shares[:limit]]
