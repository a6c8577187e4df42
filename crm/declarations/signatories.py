"""The public signatory list and the small lookups the staff pages share."""

from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from crm.declarations.models import (
    PUBLISHED_STATES,
    Declaration,
    DeclarationText,
    DeclarationVersion,
    Signature,
)
from crm.extensions import db
from crm.members.models import Organisation
from crm.members.vocab import country_name

NO_ASSOCIATION = "Other signatories"


@dataclass
class AssociationGroup:
    name: str
    organisations: list[str] = field(default_factory=list)
    individuals: list[str] = field(default_factory=list)


@dataclass
class CountryGroup:
    code: str
    name: str
    count: int = 0
    associations: "OrderedDict[str, AssociationGroup]" = field(default_factory=OrderedDict)


def title_for(declaration: Declaration, language: str | None = None) -> str:
    """The title of the latest version, in the language asked for or the default one."""
    rows = db.session.execute(
        select(DeclarationText.language, DeclarationText.title)
        .join(DeclarationVersion, DeclarationVersion.id == DeclarationText.version_id)
        .where(DeclarationVersion.declaration_id == declaration.id)
        .order_by(DeclarationVersion.number.desc())
    ).all()
    titles: dict[str, str] = {}
    for lang, title in rows:
        titles.setdefault(lang, title)
    return (
        titles.get(language or "")
        or titles.get(declaration.default_language)
        or next(iter(titles.values()), declaration.slug)
    )


def published_filter():
    """Conditions for a signature to appear on the public list."""
    return (
        Signature.status == "confirmed",
        Signature.moderation.in_(PUBLISHED_STATES),
        Signature.list_publicly.is_(True),
    )


def public_signatories(declaration_id: int) -> tuple[list[CountryGroup], int]:
    """Published signatures grouped by country, then by the matched organisation's national
    association; one query."""
    association = aliased(Organisation)
    country = func.coalesce(Signature.country, Organisation.country)
    rows = db.session.execute(
        select(
            country.label("country"),
            association.name.label("association"),
            Signature.signing_as,
            Signature.first_name,
            Signature.last_name,
            func.coalesce(Organisation.name, Signature.organisation_name).label("org_name"),
        )
        .outerjoin(Organisation, Organisation.id == Signature.organisation_id)
        .outerjoin(association, association.id == Organisation.association_id)
        .where(Signature.declaration_id == declaration_id, *published_filter())
    ).all()
    groups: dict[str, CountryGroup] = {}
    for row in rows:
        code = row.country or ""
        group = groups.get(code)
        if group is None:
            group = groups[code] = CountryGroup(code, country_name(code) or "Country not given")
        group.count += 1
        name = row.association or NO_ASSOCIATION
        bucket = group.associations.setdefault(name, AssociationGroup(name))
        if row.signing_as == "organisation" and row.org_name:
            bucket.organisations.append(row.org_name)
        else:
            bucket.individuals.append(f"{row.first_name} {row.last_name}".strip())
    ordered = sorted(groups.values(), key=lambda g: (not g.code, g.name))
    for group in ordered:
        names = sorted(group.associations, key=lambda n: (n == NO_ASSOCIATION, n))
        group.associations = OrderedDict((n, group.associations[n]) for n in names)
        for bucket in group.associations.values():
            bucket.organisations.sort(key=str.casefold)
            bucket.individuals.sort(key=str.casefold)
    return ordered, len(rows)
