"""Realistic, made-up demo data: the national associations and thousands of member companies.

Everything is invented (names from small word lists, domains under .example) except the national
associations, which come from data/associations.csv. plan_demo() is a pure function of its
arguments; seed_demo() writes its plan with bulk inserts, because the per-record services (one
flush and one audit entry per row) would take minutes for 6,000 members. The caller commits.
"""

import csv
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select, text

from crm.audit.models import AuditEvent
from crm.audit.services import current_actor
from crm.auth import services as auth_services
from crm.auth.roles import Role
from crm.extensions import db
from crm.members import normalise
from crm.members.demo_words import (
    ASSOCIATION_NAMES,
    COUNTRIES,
    EN_ADJECTIVES,
    EN_NOUNS,
    EN_PATTERNS,
    EN_PLURALS,
    ENGLISH_SHARE,
    HISTORY_SHARE,
    JOB_TITLES,
    KIND_WEIGHTS,
    LOCAL,
    NAMES,
    NON_EU,
    ORG_MAILBOXES,
    PERSON_LANGUAGE,
    POSTCODE,
    REGIONAL_ASSOCIATION,
    SIZE_WEIGHTS,
    STATUS_WEIGHTS,
    STREETS,
    VAT_PREFIX,
    VIA_ASSOCIATION_SHARE,
    Country,
)
from crm.members.models import Membership, Organisation, Person, SearchToken
from crm.members.status import best_status, membership_status
from crm.members.vocab import MembershipRoute, OrgKind, SmeSize

ASSOCIATIONS_CSV = Path(__file__).parent / "data" / "associations.csv"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed to the user on purpose
UMBRELLA = "IMPALA"  # the pan-European body that runs this CRM: kind "other", not a member
# (email, role, what it is for); the association and member users get their organisation below.
DEMO_USERS = (
    ("admin@demo.example", Role.ADMIN, "secretariat: everything"),
    ("officer@demo.example", Role.OFFICER, "policy officer"),
    ("comms@demo.example", Role.COMMS, "communications"),
    ("vut@demo.example", Role.ASSOCIATION, "staff of VUT (DE): its member companies only"),
    ("member@demo.example", Role.MEMBER, "contact of a German label, member through VUT"),
)


@dataclass
class PlannedOrg:
    """One organisation to write: its columns, its association's acronym, people, memberships."""

    fields: dict
    association: str | None = None
    people: list[dict] = field(default_factory=list)
    memberships: list[dict] = field(default_factory=list)


@dataclass
class DemoPlan:
    associations: list[PlannedOrg]
    organisations: list[PlannedOrg]


@dataclass
class DemoSummary:
    organisations: int
    associations: int
    people: int
    memberships: int
    users: int
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    password: str = DEMO_PASSWORD


class DemoError(RuntimeError):
    """The demo data can only go into a database without organisations."""


def read_associations() -> list[dict]:
    """The rows of data/associations.csv."""
    with ASSOCIATIONS_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the plan (pure) ---------------------------------------------------------------------------


def _ascii_words(text: str) -> list[str]:
    return normalise.words(text)


def _slug(name: str) -> str:
    parts = _ascii_words(name)
    while len(parts) > 1 and parts[-1] in normalise._LEGAL_FORMS:
        parts.pop()
    return "-".join(parts)[:50].strip("-") or "org"


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split("|")]


def _pattern(spec: str, rng: random.Random, **values) -> str:
    return rng.choice(_names(spec)).format(**values)


def _digits(rng: random.Random, template: str) -> str:
    """'#' a digit, '%' a digit but 0, '@' a capital letter."""
    return "".join(
        str(rng.randrange(10))
        if ch == "#"
        else str(rng.randint(1, 9))
        if ch == "%"
        else chr(65 + rng.randrange(26))
        if ch == "@"
        else ch
        for ch in template
    )


@cache
def _mailbox_part(name: str) -> str:
    return "".join(_ascii_words(name))


class _Planner:
    def __init__(self, seed: int, today: date, grace_days: int):
        self.rng = random.Random(seed)
        self.today = today
        self.grace_days = grace_days
        self.name_keys: set[tuple[str, str]] = set()
        self.domains: set[str] = set()
        self.names = {
            lang: tuple(_names(part) for part in value.split("/")) for lang, value in NAMES.items()
        }
        self.artist: tuple[str, str] | None = None

    # names ------------------------------------------------------------------------------------
    def english_stem(self) -> str:
        rng = self.rng
        if rng.random() < 0.12:
            return rng.choice(EN_NOUNS)
        return f"{rng.choice(EN_ADJECTIVES)} {rng.choice(EN_NOUNS)}"

    def local_stem(self, local: dict) -> str:
        rng = self.rng
        if "pre" in local:
            return rng.choice(local["pre"].split()) + rng.choice(local["post"].split())
        return rng.choice(local["words"].split())

    def artist_name(self, lang: str, english: bool) -> str:
        rng = self.rng
        firsts, lasts = self.names[lang]
        self.artist = None
        roll = rng.random()
        if roll < 0.45:  # a solo artist under their own name, who is then the contact
            self.artist = (rng.choice(firsts), rng.choice(lasts))
            return " ".join(self.artist)
        if english and roll < 0.7:
            noun = rng.choice(EN_NOUNS)
            return f"The {rng.choice(EN_ADJECTIVES)} {EN_PLURALS.get(noun, noun + 's')}"
        if english or lang not in LOCAL:
            return self.english_stem()
        return self.local_stem(LOCAL[lang])

    def org_name(self, country: str, lang: str, kind: str, city: str, attempt: int) -> str:
        rng = self.rng
        local = LOCAL.get(lang)
        english = (
            lang == "en"
            or local is None
            or attempt > 6
            or rng.random() < ENGLISH_SHARE.get(lang, 0.55)
        )
        if kind == OrgKind.ARTIST:
            return self.artist_name(lang, english)
        if not english and local.get(kind):
            name = _pattern(local[kind], rng, w=self.local_stem(local), city=city)
            if local.get("legal") and rng.random() < 0.25:
                name = f"{name} {rng.choice(local['legal'].split())}"
            return name
        stem = self.english_stem()
        if rng.random() < 0.08:  # a founder's name: "Walsh Records"
            stem = rng.choice(self.names[lang][1])
        name = _pattern(EN_PATTERNS[kind], rng, w=stem, city=city)
        if country in ("GB", "IE") and rng.random() < 0.2:
            name += " Ltd"
        return name

    def unique_name(self, country: str, lang: str, kind: str, city: str) -> str:
        for attempt in range(14):
            name = self.org_name(country, lang, kind, city, attempt)
            if attempt >= 12:  # crowded: set it apart by its city, then by a number
                name = f"{name} {city}" if attempt == 12 else f"{name} {len(self.name_keys)}"
            key = (normalise.name_key(name), country)
            if key not in self.name_keys:
                self.name_keys.add(key)
                return name
        raise AssertionError("unreachable: the numbered name is always new")

    def domain(self, name: str, country: str) -> str:
        base = f"{_slug(name)}.{country.lower()}.example"
        domain, n = base, 1
        while domain in self.domains:
            n += 1
            domain = f"{n}-{base}"
        self.domains.add(domain)
        return domain

    def phone(self, country: Country) -> str:
        if country.code == "GB":  # numbers reserved by Ofcom for drama
            return f"+44 20 7946 0{self.rng.randrange(1000):03d}"
        area, number = self.rng.randint(10, 99), self.rng.randint(100000, 9999999)
        return f"+{country.calling_code} {area} {number}"

    def people(
        self,
        lang: str,
        country: Country,
        domain: str,
        count: int,
        titles: list[str] | None = None,
        first_person: tuple[str, str] | None = None,
    ) -> list[dict]:
        rng = self.rng
        firsts, lasts = self.names[lang]
        used: set[str] = set()
        people = []
        for i in range(count):
            first, last = rng.choice(firsts), rng.choice(lasts)
            if i == 0 and first_person:
                first, last = first_person
            style = rng.random()
            f, la = _mailbox_part(first), _mailbox_part(last)
            local = f if style < 0.25 else f"{f[0]}{la}" if style < 0.4 else f"{f}.{la}"
            while local in used:
                local = f"{f}.{la}{len(used) + 1}"
            used.add(local)
            email = f"{local}@{domain}"
            people.append(
                {
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "email_key": normalise.email_key(email),
                    "phone": self.phone(country) if i == 0 or rng.random() < 0.4 else None,
                    "job_title": titles[i] if titles else rng.choice(JOB_TITLES),
                    "language": PERSON_LANGUAGE.get(country.code, lang),
                    "is_primary_contact": i == 0,
                }
            )
        return people

    def organisation_fields(
        self,
        name: str,
        kind: str,
        country: Country,
        lang: str,
        city: str,
        *,
        acronym: str | None = None,
        size: str | None = None,
        mailbox: str | None = None,
    ) -> dict:
        rng = self.rng
        domain = self.domain(acronym or name, country.code)
        street = STREETS.get(lang)
        postcode = POSTCODE.get(country.code)
        vat = None
        if country.code not in NON_EU and rng.random() < 0.6:
            vat = VAT_PREFIX.get(country.code, country.code) + _digits(rng, "#########")
        return {
            "name": name,
            "name_key": normalise.name_key(name),
            "sort_name": normalise.sort_name(name),
            "acronym": acronym,
            "kind": kind,
            "country": country.code,
            "city": city,
            "address": _pattern(street, rng, n=rng.randint(1, 180)) if street else None,
            "postcode": _digits(rng, postcode) if postcode else None,
            "email": f"{mailbox or rng.choice(ORG_MAILBOXES)}@{domain}",
            "phone": self.phone(country),
            "website": f"https://www.{domain}",
            "vat_number": vat,
            "sme_size": size,
            "notes": None,
        }

    # memberships ------------------------------------------------------------------------------
    def _days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def period(self, target: str) -> dict:
        """Dates that give `target` today: pending, active, grace, lapsed or resigned."""
        today, grace = self.today, self.grace_days
        end = resigned = None
        if target == "grace" and grace < 2:
            target = "lapsed"
        if target == "pending":
            start = today + self._days(1, 60)
            end = start + timedelta(days=364)
        elif target == "grace":
            end = today - self._days(1, grace - 1)
            start = end - self._days(365, 9 * 365)
        elif target == "lapsed":
            end = today - self._days(grace + 1, 6 * 365)
            start = end - self._days(365, 8 * 365)
        elif target == "resigned":
            resigned = today - self._days(1, 5 * 365)
            start = resigned - self._days(180, 8 * 365)
            end = resigned
        else:
            start = today - self._days(30, 15 * 365)
            # Paid up to the end of the current period, or open-ended until someone closes it.
            end = None if self.rng.random() < 0.45 else today + self._days(0, 364)
        return {"start_date": start, "end_date": end, "resigned_on": resigned}

    def membership(self, period: dict, via: str | None, notes: str | None = None) -> dict:
        status = membership_status(
            period["start_date"],
            period["end_date"],
            period["resigned_on"],
            self.today,
            self.grace_days,
        )
        return {
            **period,
            "route": MembershipRoute.ASSOCIATION if via else MembershipRoute.DIRECT,
            "via": via,
            "status": status.value,
            "notes": notes,
        }

    def memberships(self, target: str, via: str | None) -> list[dict]:
        if target == "none":
            return []
        current = self.period(target)
        if target != "active" or self.rng.random() >= HISTORY_SHARE:
            return [self.membership(current, via)]
        # A company that let an early membership lapse and joined again years later.
        old_start = self.today - timedelta(days=365 * self.rng.randint(13, 17))
        old_end = old_start + timedelta(days=365 * self.rng.randint(2, 4) - 1)
        current["start_date"] = old_end + self._days(365, 3 * 365)
        old = {"start_date": old_start, "end_date": old_end, "resigned_on": None}
        return [
            self.membership(old, None, "Earlier direct membership; it lapsed."),
            self.membership(current, via),
        ]

    # whole plan -------------------------------------------------------------------------------
    def associations(self) -> list[PlannedOrg]:
        planned = []
        for row in read_associations():
            acronym, code = row["acronym"], row["country"]
            country = COUNTRIES[code]
            lang = country.languages[0]
            name = row["name"].strip() or ASSOCIATION_NAMES.get(acronym, f"{acronym} association")
            kind = OrgKind.OTHER if acronym == UMBRELLA else OrgKind.ASSOCIATION
            self.name_keys.add((normalise.name_key(name), code))
            fields = self.organisation_fields(
                name,
                kind,
                country,
                lang,
                country.cities[0],
                acronym=acronym,
                size=SmeSize.MICRO,
                mailbox="office",
            )
            titles = ["Managing Director", "Member Services", "Policy Adviser"]
            people = self.people(lang, country, fields["email"].split("@")[1], 3, titles)
            memberships = []
            if kind == OrgKind.ASSOCIATION:  # national associations are direct members
                founded = int(row["founded"]) if row["founded"] else self.rng.randint(2003, 2016)
                start = date(max(founded, 2000), 1, 1)  # IMPALA was founded in 2000
                period = {"start_date": start, "end_date": None, "resigned_on": None}
                memberships.append(self.membership(period, None))
            planned.append(PlannedOrg(fields, None, people, memberships))
        return planned

    def organisations(self, count: int, association_of: dict[str, str]) -> list[PlannedOrg]:
        rng = self.rng
        codes = list(COUNTRIES)
        weights = [COUNTRIES[c].weight for c in codes]
        kinds, kind_w = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
        sizes, size_w = list(SIZE_WEIGHTS), list(SIZE_WEIGHTS.values())
        targets, target_w = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        planned = []
        for _ in range(count):
            country = COUNTRIES[rng.choices(codes, weights)[0]]
            lang = rng.choice(country.languages)
            kind = rng.choices(kinds, kind_w)[0]
            # Cities weighted towards the first (largest) of each country.
            city = country.cities[min(int(rng.expovariate(0.6)), len(country.cities) - 1)]
            self.artist = None
            name = self.unique_name(country.code, lang, kind, city)
            artist = kind == OrgKind.ARTIST
            size = SmeSize.MICRO if artist else rng.choices(sizes, size_w)[0]
            fields = self.organisation_fields(
                name, kind, country, lang, city, size=size, mailbox="hello" if artist else None
            )
            domain = fields["email"].split("@")[1]
            n_people = 1 if artist and self.artist else rng.choices((1, 2, 3), (35, 40, 25))[0]
            people = self.people(lang, country, domain, n_people, first_person=self.artist)
            if artist and self.artist:
                people[0]["job_title"] = "Artist"
            target = rng.choices(targets, target_w)[0]
            association = association_of.get(country.code)
            via = association if association and rng.random() < VIA_ASSOCIATION_SHARE else None
            memberships = self.memberships(target, via)
            planned.append(PlannedOrg(fields, via if memberships else None, people, memberships))
        return planned


def plan_demo(
    members: int = 6000, seed: int = 1, today: date | None = None, grace_days: int = 90
) -> DemoPlan:
    """Everything seed_demo() writes, as plain dicts: the same arguments give the same plan."""
    planner = _Planner(seed, today or date.today(), grace_days)
    associations = planner.associations()
    association_of = {
        a.fields["country"]: a.fields["acronym"]
        for a in associations
        if a.fields["kind"] == OrgKind.ASSOCIATION
    }
    for country, acronym in REGIONAL_ASSOCIATION.items():
        if acronym in association_of.values():
            association_of.setdefault(country, acronym)
    organisations = planner.organisations(members, association_of)
    for org in (*associations, *organisations):
        org.fields["membership_status"] = best_status(m["status"] for m in org.memberships)
    return DemoPlan(associations, organisations)


# --- writing it --------------------------------------------------------------------------------

# Without render_nulls the ORM leaves None values out of a row, so rows with different empty
# columns go in different batches: thousands of small statements instead of a few large ones.
_BULK = {"render_nulls": True}


def _created_at(org: PlannedOrg, now: datetime) -> datetime:
    # A record appears when the company first joined (or was first contacted): the "newest
    # first" sort then means something.
    starts = [m["start_date"] for m in org.memberships if m["start_date"] <= now.date()]
    if not starts:
        return now
    return min(datetime.combine(min(starts), time(9, 0), tzinfo=UTC), now)


def _insert_organisations(
    planned: list[PlannedOrg], association_ids: dict[str, int], now: datetime
) -> list[int]:
    rows = []
    for org in planned:
        created = _created_at(org, now)
        rows.append(
            {
                **org.fields,
                "created_at": created,
                "updated_at": created,
                "association_id": association_ids[org.association] if org.association else None,
            }
        )
    # A plain executemany, then one select to learn the ids: on PostgreSQL an ordered
    # INSERT .. RETURNING of 1,000-row VALUES batches costs about four times as much.
    db.session.execute(insert(Organisation), rows, execution_options=_BULK)
    keys = [(row["name_key"], row["country"]) for row in rows]
    ids = {
        (r.name_key, r.country): r.id
        for r in db.session.execute(
            select(Organisation.id, Organisation.name_key, Organisation.country)
        )
    }
    return [ids[key] for key in keys]


def _write(
    planned: list[PlannedOrg],
    ids: list[int],
    association_ids: dict[str, int],
    now: datetime,
    actor: str,
) -> tuple[int, int]:
    people, memberships, tokens, events = [], [], [], []
    for org, org_id in zip(planned, ids, strict=True):
        for person in org.people:
            people.append(
                {**person, "organisation_id": org_id, "created_at": now, "updated_at": now}
            )
        for m in org.memberships:
            memberships.append(
                {
                    "organisation_id": org_id,
                    "route": m["route"],
                    "via_association_id": association_ids[m["via"]] if m["via"] else None,
                    "start_date": m["start_date"],
                    "end_date": m["end_date"],
                    "resigned_on": m["resigned_on"],
                    "status": m["status"],
                    "notes": m["notes"],
                    "created_at": now,
                    "updated_at": now,
                }
            )
        f = org.fields
        emails = (f["email"], *(p["email"] for p in org.people))
        for token in sorted(
            normalise.search_tokens(f["name"], f["acronym"], f["city"], emails=emails)
        ):
            tokens.append({"organisation_id": org_id, "token": token})
        events.append(
            {
                "created_at": now,
                "actor_id": None,
                "actor": actor,
                "action": "create",
                "entity_type": "organisation",
                "entity_id": org_id,
                "organisation_id": org_id,
                "summary": f"Created {f['name']} (demo data)",
            }
        )
    for model, rows in (
        (Person, people),
        (Membership, memberships),
        (SearchToken, tokens),
        (AuditEvent, events),
    ):
        if rows:
            db.session.execute(insert(model), rows, execution_options=_BULK)
    return len(people), len(memberships)


def _create_users(
    association_ids: dict[str, int], plan: DemoPlan, ids: list[int]
) -> list[tuple[str, str, str]]:
    member_org = next(
        (
            org_id
            for org, org_id in zip(plan.organisations, ids, strict=True)
            if org.fields["country"] == "DE"
            and org.fields["kind"] == OrgKind.LABEL
            and org.association == "VUT"
            and org.fields["membership_status"] == "active"
        ),
        None,
    )
    scope = {Role.ASSOCIATION: association_ids.get("VUT"), Role.MEMBER: member_org}
    logins = []
    for email, role, note in DEMO_USERS:
        if role in scope and scope[role] is None:
            continue  # too few members seeded to have one
        if auth_services.find_user_by_email(email) is None:
            auth_services.create_user(email, DEMO_PASSWORD, role, scope.get(role))
            logins.append((email, role.value, note))
    return logins


def seed_demo(members: int = 6000, seed: int = 1, *, today: date | None = None) -> DemoSummary:
    """Write the national associations, `members` member companies with their people and
    memberships, search tokens, one audit event per organisation and the demo logins."""
    if db.session.scalar(select(Organisation.id).limit(1)) is not None:
        raise DemoError("organisations already exist: demo data goes into an empty directory")
    plan = plan_demo(members, seed, today, current_app.config["MEMBERSHIP_GRACE_DAYS"])
    now = datetime.now(UTC)
    actor = current_actor()[1]
    association_ids: dict[str, int] = {}
    assoc_ids = _insert_organisations(plan.associations, association_ids, now)
    association_ids = {
        a.fields["acronym"]: i for a, i in zip(plan.associations, assoc_ids, strict=True)
    }
    org_ids = _insert_organisations(plan.organisations, association_ids, now)
    people, memberships = _write(plan.associations, assoc_ids, association_ids, now, actor)
    more_people, more_memberships = _write(plan.organisations, org_ids, association_ids, now, actor)
    logins = _create_users(association_ids, plan, org_ids)
    db.session.flush()
    # Fresh statistics for the query planner, as after any bulk load: without them PostgreSQL
    # (until autovacuum gets round to it) plans the directory search as a scan of every row.
    for model in (Organisation, Person, Membership, SearchToken, AuditEvent):
        db.session.execute(text(f"ANALYZE {model.__tablename__}"))
    return DemoSummary(
        organisations=len(org_ids),
        associations=len(assoc_ids),
        people=people + more_people,
        memberships=memberships + more_memberships,
        users=len(logins),
        logins=logins,
    )
