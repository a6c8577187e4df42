"""Who an audience reaches, as one SQL statement.

Filters are {"include": {criteria}, "exclude": {criteria}}. Within a criterion its values are
OR-ed, between criteria AND-ed; "exclude" removes anyone who matches its criteria. Every
criterion is an IN (subquery) or a column of the person's organisation or stakeholder profile
(each at most one row), so a person appears once, and people are unique by email_key.
Uncorrelated IN subqueries are materialised once by SQLite and hashed by PostgreSQL, which keeps
an audience of 60,000 one statement and about the cost of reading the person table.
"""

import pycountry
from sqlalchemy import Select, and_, exists, func, or_, select, true

from crm.declarations.models import PUBLISHED_STATES, Signature
from crm.extensions import db
from crm.mailings.audience_models import (
    Audience,
    AudienceEntry,
    Consent,
    PersonInterest,
    Suppression,
)
from crm.mailings.consent import MEMBERS_ONLY, PURPOSES, email_sha256
from crm.members.models import Organisation, Person
from crm.members.vocab import (
    CURRENT_STATUSES,
    LANGUAGES,
    NO_MEMBERSHIP,
    MembershipStatus,
    OrgKind,
    SmeSize,
)
from crm.policy.models import StakeholderProfile
from crm.policy.vocab import STAKEHOLDER_KINDS
from crm.web import MAX_INT

MAX_VALUES = 500
MAX_TEXT = 100
ROLES = {"primary": "Primary contact", "other": "Other contacts"}
STATUSES = (*(s.value for s in MembershipStatus), NO_MEMBERSHIP)


def _country_codes() -> frozenset:
    return frozenset(country.alpha_2 for country in pycountry.countries)


# key -> (label, kind, allowed values or None for ids / free text)
CRITERIA = {
    "countries": ("Countries", "codes", _country_codes()),
    "org_kinds": ("Kinds of organisation", "codes", frozenset(k.value for k in OrgKind)),
    "sme_sizes": ("SME sizes", "codes", frozenset(s.value for s in SmeSize)),
    "association_ids": ("National associations", "ids", None),
    "membership_statuses": ("Membership statuses", "codes", frozenset(STATUSES)),
    "roles": ("Roles", "codes", frozenset(ROLES)),
    "languages": ("Languages", "codes", frozenset(LANGUAGES)),
    "priority_ids": ("Interested in priorities", "ids", None),
    "signed_declaration_ids": ("Signed declarations", "ids", None),
    "not_signed_declaration_ids": ("Have not signed declarations", "ids", None),
    "stakeholder_kinds": ("Stakeholder kinds", "codes", frozenset(STAKEHOLDER_KINDS)),
    "beat_contains": ("Beat contains", "text", None),
    "list_ids": ("On static lists", "ids", None),
}
SECTIONS = ("include", "exclude")


class AudienceError(ValueError):
    """Filters or an audience change that cannot be accepted, with a message for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _values(section: str, key: str, raw) -> list | str | None:
    label, kind, allowed = CRITERIA[key]
    where = f"{section} › {label}"
    if kind == "text":
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise AudienceError(f"{where}: expected text.", key)
        text = " ".join(raw.split())
        if len(text) > MAX_TEXT:
            raise AudienceError(f"{where}: at most {MAX_TEXT} characters.", key)
        return text or None
    items = raw if isinstance(raw, list | tuple) else [raw]
    if len(items) > MAX_VALUES:
        raise AudienceError(f"{where}: at most {MAX_VALUES} values.", key)
    out = []
    for item in items:
        if kind == "ids":
            if isinstance(item, str) and item.isascii() and item.isdigit() and len(item) < 11:
                item = int(item)
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_INT:
                raise AudienceError(f"{where}: {item!r} is not a valid id.", key)
        else:
            if not isinstance(item, str):
                raise AudienceError(f"{where}: {item!r} is not a valid value.", key)
            item = item.strip().upper() if key == "countries" else item.strip()
            if item not in allowed:
                raise AudienceError(f"{where}: unknown value {item[:40]!r}.", key)
        if item not in out:
            out.append(item)
    return out or None


def validate_filters(filters) -> dict:
    """Normalised filters, or AudienceError naming the unknown key or value."""
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        raise AudienceError("Filters must be an object with include and exclude.")
    unknown = set(filters) - set(SECTIONS)
    if unknown:
        raise AudienceError(f"Unknown filter section {sorted(unknown)[0]!r}.")
    clean = {}
    for section in SECTIONS:
        criteria = filters.get(section)
        criteria = {} if criteria is None else criteria
        if not isinstance(criteria, dict):
            raise AudienceError(f"{section}: expected criteria.")
        unknown = set(criteria) - set(CRITERIA)
        if unknown:
            raise AudienceError(f"{section}: unknown criterion {sorted(unknown)[0]!r}.")
        values = {key: _values(section, key, criteria[key]) for key in CRITERIA if key in criteria}
        clean[section] = {key: value for key, value in values.items() if value}
    return clean


def _known(column, values):
    # NULL-safe: a missing value never matches, so NOT(...) in "exclude" keeps that person.
    return and_(column.is_not(None), column.in_(values))


def _signed(declaration_ids: list[int], *, any_own: bool = False):
    """Signed, as the coverage page counts it: the person's own confirmed individual
    signature that stands (published, or needing no approval), or their company's: a signature
    made on its behalf, confirmed, linked to it and approved (or needing no approval), as
    coverage.signed_organisations() lists it (keep the two in step). Everyone at that company
    then counts as signed.

    `any_own` widens "their own" to any signature the person confirmed, for the companies'
    side too and whatever its moderation: the reading of "not signed". The coverage page
    promises its non-signers have "no confirmed signature, neither their own nor their
    company's": someone whose signature waits for an officer must not be asked to sign again,
    nor someone whose signature was rejected (one signature per address: a dead end). A "signed"
    audience (a thank-you) stays with signatures that stand."""
    of = Signature.declaration_id.in_(declaration_ids)
    confirmed = Signature.status == "confirmed"
    own = [of, confirmed, Signature.person_id.is_not(None)]
    if not any_own:
        own += [Signature.signing_as == "individual", Signature.moderation.in_(PUBLISHED_STATES)]
    by_person = select(Signature.person_id).where(*own)
    by_org = select(Signature.organisation_id).where(
        of,
        confirmed,
        Signature.signing_as == "organisation",
        Signature.moderation.in_(PUBLISHED_STATES),
        Signature.organisation_id.is_not(None),
    )
    return or_(Person.id.in_(by_person), _known(Person.organisation_id, by_org))


def _criterion(key: str, values):
    country = func.coalesce(Organisation.country, StakeholderProfile.country)
    if key == "countries":
        return _known(country, values)
    if key == "org_kinds":
        return _known(Organisation.kind, values)
    if key == "sme_sizes":
        return _known(Organisation.sme_size, values)
    if key == "association_ids":
        return _known(Organisation.association_id, values)
    if key == "membership_statuses":
        known = _known(Organisation.membership_status, values)
        return or_(known, Organisation.id.is_(None)) if NO_MEMBERSHIP in values else known
    if key == "roles":
        if len(values) == len(ROLES):
            return true()
        return Person.is_primary_contact == (values[0] == "primary")
    if key == "languages":
        return _known(Person.language, values)
    if key == "priority_ids":
        chosen = select(PersonInterest.person_id).where(PersonInterest.priority_id.in_(values))
        return Person.id.in_(chosen)
    if key == "signed_declaration_ids":
        return _signed(values)
    if key == "not_signed_declaration_ids":
        return ~_signed(values, any_own=True)
    if key == "stakeholder_kinds":
        return _known(StakeholderProfile.kind, values)
    if key == "beat_contains":
        pattern = "%" + values.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return and_(
            StakeholderProfile.beat.is_not(None),
            StakeholderProfile.beat.ilike(pattern, escape="\\"),
        )
    if key == "list_ids":
        return Person.id.in_(
            select(AudienceEntry.person_id).where(AudienceEntry.audience_id.in_(values))
        )
    raise AudienceError(f"Unknown criterion {key!r}.")


def _matches(criteria: dict):
    conditions = [_criterion(key, values) for key, values in criteria.items()]
    return and_(true(), *conditions)


def _reachable(purpose: str):
    """Not suppressed (by address or by hash), and the consent the purpose needs.

    Opt-in purposes need a granted row. Opt-out purposes need no withdrawn row, and a
    MEMBERS_ONLY purpose (member communications) also needs the person's organisation to be a
    current member (active or grace) or an explicit grant not resting on the membership
    contract: journalists, MEPs and lapsed members are not reached by default.
    """
    if purpose not in PURPOSES:
        raise AudienceError(f"Unknown purpose {purpose!r}.", "purpose")
    suppressed_keys = select(Suppression.email_key).where(Suppression.email_key.is_not(None))
    erased = Suppression.email_key.is_(None)
    # Hashing every address costs: do it only when an erased (hash-only) entry exists at all.
    # Once one does, each person left by the other conditions is hashed per count (about a
    # microsecond each on PostgreSQL); a stored hash column would avoid it at a schema change.
    not_erased = or_(
        ~exists().where(erased),
        email_sha256(Person.email_key).not_in(select(Suppression.email_hash).where(erased)),
    )
    conditions = [Person.email_key.not_in(suppressed_keys)]
    _, opt_in = PURPOSES[purpose]
    if opt_in:
        granted = select(Consent.person_id).where(Consent.purpose == purpose, Consent.granted)
        conditions.append(Person.id.in_(granted))
    else:
        withdrawn = select(Consent.person_id).where(Consent.purpose == purpose, ~Consent.granted)
        conditions.append(Person.id.not_in(withdrawn))
        if purpose in MEMBERS_ONLY:
            explicit = select(Consent.person_id).where(
                Consent.purpose == purpose, Consent.granted, Consent.basis != "contract"
            )
            member = _known(Organisation.membership_status, [s.value for s in CURRENT_STATUSES])
            conditions.append(or_(member, Person.id.in_(explicit)))
    conditions.append(not_erased)  # last: the cheaper conditions have removed most rows by then
    return conditions


def _statement(filters, purpose: str, scope_association_id=None, static_id=None) -> Select:
    clean = validate_filters(filters)
    stmt = (
        select(
            Person.id.label("person_id"),
            Person.email.label("email"),
            Person.email_key.label("email_key"),
            Person.first_name.label("first_name"),
            Person.last_name.label("last_name"),
            Organisation.name.label("organisation"),
            func.coalesce(Organisation.country, StakeholderProfile.country).label("country"),
            Person.language.label("language"),
        )
        .select_from(Person)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(StakeholderProfile, StakeholderProfile.person_id == Person.id)
        .where(Person.email.is_not(None), Person.email_key.is_not(None))
    )
    if static_id is not None:
        entries = select(AudienceEntry.person_id).where(AudienceEntry.audience_id == static_id)
        stmt = stmt.where(Person.id.in_(entries))
    elif clean["include"]:
        stmt = stmt.where(_matches(clean["include"]))
    if clean["exclude"]:
        stmt = stmt.where(~_matches(clean["exclude"]))
    if scope_association_id is not None:
        stmt = stmt.where(Organisation.association_id == scope_association_id)
    return stmt.where(*_reachable(purpose)).order_by(Person.id)


def recipients(audience: Audience, purpose: str) -> Select:
    """The audience's reachable people for the purpose: person_id, email, email_key,
    first_name, last_name, organisation, country, language; one statement, by person id."""
    static_id = audience.id if audience.kind == "static" else None
    return _statement(audience.filters, purpose, audience.scope_association_id, static_id)


def recipients_for_filters(filters: dict, purpose: str, scope_association_id=None) -> Select:
    """recipients() for filters that are not saved yet (the form's live count)."""
    return _statement(filters, purpose, scope_association_id)


def count_of(stmt: Select) -> int:
    """How many rows a recipients statement gives, in one COUNT."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def count_recipients(audience: Audience, purpose: str) -> int:
    """How many people the audience reaches for the purpose."""
    return count_of(recipients(audience, purpose))


def preview(audience: Audience, purpose: str, limit: int = 50) -> list:
    """The first recipients, by person id; none when the stored filters are no longer valid."""
    if filters_problem(audience) is not None:
        return []
    return list(db.session.execute(recipients(audience, purpose).limit(limit)))


def filters_problem(audience: Audience) -> str | None:
    """Why the audience's stored filters are no longer valid (a value that was valid when
    saved, such as a vocabulary entry since removed), or None when they are fine."""
    try:
        validate_filters(audience.filters)
    except AudienceError as error:
        return f"this audience's filters are no longer valid: {error}"
    return None


def safe_count(audience: Audience, purpose: str) -> tuple[int, str | None]:
    """(count, None), or (0, the reason) when the stored filters are no longer valid."""
    problem = filters_problem(audience)
    if problem is not None:
        return 0, problem
    return count_recipients(audience, purpose), None


def preview_of(stmt: Select, limit: int = 50) -> list:
    """The first rows of a recipients statement."""
    return list(db.session.execute(stmt.limit(limit)))
