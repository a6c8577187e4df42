"""The directory query: search, filters and sort over organisations, in a constant number of
SQL statements whatever the number of rows."""

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import joinedload

from crm.members.access import scope_organisations
from crm.members.models import Organisation, SearchToken
from crm.members.normalise import query_terms
from crm.members.vocab import NO_MEMBERSHIP, MembershipStatus, OrgKind, SmeSize

SORTS = {
    "name": (Organisation.sort_name, Organisation.id),
    "-name": (Organisation.sort_name.desc(), Organisation.id.desc()),
    "country": (Organisation.country, Organisation.sort_name, Organisation.id),
    "city": (Organisation.city, Organisation.sort_name, Organisation.id),
    "status": (Organisation.membership_status, Organisation.sort_name, Organisation.id),
    "-created": (Organisation.created_at.desc(), Organisation.id.desc()),
}
SORT_LABELS = {
    "name": "Name A–Z",
    "-name": "Name Z–A",
    "country": "Country",
    "city": "City",
    "status": "Membership status",
    "-created": "Newest first",
}
STATUS_FILTERS = [s.value for s in MembershipStatus] + [NO_MEMBERSHIP]


@dataclass
class DirectoryQuery:
    q: str = ""
    country: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    sme_size: list[str] = field(default_factory=list)
    association: list[int] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    sort: str = "name"

    @classmethod
    def from_args(cls, args) -> "DirectoryQuery":
        """Read the query from request args, dropping values that are not ours."""

        def ints(name):
            return [
                int(v) for v in args.getlist(name) if v.isascii() and v.isdigit() and len(v) < 10
            ][:50]

        def allowed(name, values):
            return [v for v in args.getlist(name) if v in values][:50]

        sort = args.get("sort", "name")
        return cls(
            q=args.get("q", "").strip()[:200],
            country=[c.upper() for c in args.getlist("country") if len(c) == 2 and c.isalpha()][
                :50
            ],
            kind=allowed("kind", {k.value for k in OrgKind}),
            sme_size=allowed("sme_size", {s.value for s in SmeSize}),
            association=ints("association"),
            status=allowed("status", set(STATUS_FILTERS)),
            sort=sort if sort in SORTS else "name",
        )

    def args(self) -> dict:
        """The query as URL arguments, for links that keep it (pagination, sort, export)."""
        out = {
            "q": self.q,
            "country": self.country,
            "kind": self.kind,
            "sme_size": self.sme_size,
            "association": self.association,
            "status": self.status,
            "sort": self.sort,
        }
        return {k: v for k, v in out.items() if v}

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.q or self.country or self.kind or self.sme_size or self.association or self.status
        )


def filtered(query: DirectoryQuery, user) -> Select:
    """A select of organisations matching the query, scoped to the user, unsorted."""
    stmt = scope_organisations(select(Organisation), user)
    for term in query_terms(query.q):
        # Each word must start a word of the name, city or an email (all terms must match).
        stmt = stmt.where(
            Organisation.id.in_(
                select(SearchToken.organisation_id).where(
                    and_(SearchToken.token >= term, SearchToken.token < term + "\uffff")
                )
            )
        )
    if query.country:
        stmt = stmt.where(Organisation.country.in_(query.country))
    if query.kind:
        stmt = stmt.where(Organisation.kind.in_(query.kind))
    if query.sme_size:
        stmt = stmt.where(Organisation.sme_size.in_(query.sme_size))
    if query.association:
        stmt = stmt.where(Organisation.association_id.in_(query.association))
    if query.status:
        stmt = stmt.where(Organisation.membership_status.in_(query.status))
    return stmt


def directory_select(query: DirectoryQuery, user) -> Select:
    """The filtered select, sorted, with each row's association loaded in the same statement."""
    return (
        filtered(query, user)
        .options(joinedload(Organisation.association))
        .order_by(*SORTS[query.sort])
    )
