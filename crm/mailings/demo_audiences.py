"""Demo data for audiences: consent per purpose, topic interests, a few suppressions, saved
segments and press lists. Bulk inserts (a 6,000-member seed stays well under a second here);
the same seed gives the same data. The caller commits."""

import random
from datetime import timedelta

from sqlalchemy import insert, select

from crm.audit.models import AuditEvent
from crm.audit.services import current_actor
from crm.db import utcnow
from crm.declarations.models import Declaration
from crm.extensions import db
from crm.mailings import audience_services
from crm.mailings.audience_models import (
    Audience,
    AudienceEntry,
    Consent,
    PersonInterest,
    Suppression,
)
from crm.mailings.consent import email_hash
from crm.members.models import Organisation, Person
from crm.members.normalise import fold
from crm.members.vocab import CURRENT_STATUSES, OrgKind, country_name
from crm.policy.models import Priority, StakeholderProfile

# More journalists for the press lists: (country, outlet, beat, first name, last name).
EXTRA_JOURNALISTS = [
    ("BE", "Euro Affairs Today", "EU copyright and AI", "Lotte", "Peeters"),
    ("BE", "Brussels Media Letter", "Competition and platforms", "Thomas", "Renard"),
    ("BE", "Policy Sound Brussels", "Culture and the single market", "Ines", "Vermeulen"),
    ("DE", "Tonspur Magazin", "Independent labels", "Jonas", "Becker"),
    ("DE", "Berliner Kulturbrief", "Culture policy", "Mara", "Hoffmann"),
    ("FR", "Disques et Politique", "Streaming and artists' pay", "Camille", "Moreau"),
    ("FR", "Le Quotidien Culture", "Cultural exception", "Hugo", "Lefèvre"),
    ("ES", "Industria Musical Hoy", "Music business", "Lucía", "Navarro"),
    ("IT", "Note di Mercato", "Music industry", "Giulia", "Ferri"),
    ("NL", "Platenbusiness", "Labels and distribution", "Daan", "de Wit"),
    ("SE", "Musikbranschen", "Streaming economics", "Elsa", "Lindqvist"),
    ("PL", "Rynek Muzyczny", "Music policy", "Kasia", "Wójcik"),
    ("GB", "Indie Trade Weekly", "Independent music business", "Oliver", "Hughes"),
    ("IE", "Irish Music Business", "Copyright", "Aoife", "Byrne"),
    ("AT", "Musik Österreich", "Music business", "Felix", "Gruber"),
    ("DK", "Musikbranchen DK", "Rights and streaming", "Freja", "Madsen"),
]
FDD_SLUG = "fair-digital-deals"


def _add_journalists(now) -> int:
    """Journalists without an organisation (freelancers and outlets we do not record)."""
    existing = set(
        db.session.scalars(select(Person.email_key).where(Person.email_key.is_not(None)))
    )
    rows = []
    for country, outlet, beat, first, last in EXTRA_JOURNALISTS:
        local = fold(f"{first}.{last}").replace(" ", "")
        email = f"{local}@{''.join(outlet.lower().split())}.example"
        if email in existing:
            continue
        rows.append((country, outlet, beat, first, last, email))
    people = [
        {
            "first_name": f,
            "last_name": la,
            "email": e,
            "email_key": e,
            "language": None,
            "is_primary_contact": False,
            "job_title": "Journalist",
            "created_at": now,
            "updated_at": now,
        }
        for _, _, _, f, la, e in rows
    ]
    if not people:
        return 0
    db.session.execute(insert(Person), people)
    ids = dict(
        db.session.execute(
            select(Person.email_key, Person.id).where(Person.email_key.in_([r[5] for r in rows]))
        ).all()
    )
    db.session.execute(
        insert(StakeholderProfile),
        [
            {
                "person_id": ids[e],
                "kind": "journalist",
                "institution": o,
                "country": c,
                "role": "Journalist",
                "beat": b,
                "created_at": now,
                "updated_at": now,
            }
            for c, o, b, _, _, e in rows
        ],
    )
    return len(rows)


def _journalists() -> list[tuple[int, str | None]]:
    return list(
        db.session.execute(
            select(StakeholderProfile.person_id, StakeholderProfile.country)
            .join(Person, Person.id == StakeholderProfile.person_id)
            .where(StakeholderProfile.kind == "journalist", Person.email_key.is_not(None))
            .order_by(StakeholderProfile.person_id)
        ).all()
    )


def _member_contacts() -> list[tuple[int, str, str]]:
    return list(
        db.session.execute(
            select(Person.id, Person.email_key, Organisation.membership_status)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .where(Organisation.kind != OrgKind.ASSOCIATION, Person.email_key.is_not(None))
            .order_by(Person.id)
        ).all()
    )


def _consents(rng, contacts, journalists, now) -> list[dict]:
    rows = []

    def add(person_id, purpose, basis, source, wording_version=None):
        when = now - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
        rows.append(
            {
                "person_id": person_id,
                "purpose": purpose,
                "granted": True,
                "basis": basis,
                "granted_at": when,
                "withdrawn_at": None,
                "source": source,
                "wording_version": wording_version,
                "wording": None,
                "created_at": when,
                "updated_at": when,
            }
        )

    for person_id, _, status in contacts:
        if status == "active":
            add(person_id, "member_communications", "contract", "membership")
        if rng.random() < 0.6:
            add(person_id, "newsletter", "consent", "signup form", "2025-01")
        if rng.random() < 0.3:
            add(person_id, "campaign_updates", "consent", "signup form", "2025-01")
    for person_id, _ in journalists:
        add(person_id, "press_releases", "legitimate_interest", "press list")
    # A few people said no to the newsletter: withdrawn rows stay as evidence.
    for row in rows:
        if row["purpose"] == "newsletter" and rng.random() < 0.04:
            row["granted"] = False
            row["withdrawn_at"] = row["granted_at"] + timedelta(days=rng.randint(1, 200))
    return rows


def _interests(rng, contacts) -> list[dict]:
    priorities = list(db.session.scalars(select(Priority.id).order_by(Priority.id)))
    if not priorities:
        return []
    rows = []
    for person_id, _, _ in contacts:
        if rng.random() < 0.5:
            for priority_id in rng.sample(priorities, rng.randint(1, min(3, len(priorities)))):
                rows.append({"person_id": person_id, "priority_id": priority_id})
    return rows


def _suppressions(rng, contacts, now) -> list[dict]:
    chosen = rng.sample(contacts, min(len(contacts), max(3, len(contacts) // 200)))
    reasons = ["hard_bounce", "complaint"] + ["unsubscribed"] * (len(chosen) - 2)
    return [
        {
            "email_hash": email_hash(key),
            "email_key": key,
            "reason": reason,
            "source": "demo data",
            "mailing_id": None,
            "created_at": now - timedelta(days=rng.randint(1, 300)),
        }
        for (_, key, _), reason in zip(chosen, reasons, strict=False)
    ]


def _segments() -> int:
    current = [s.value for s in CURRENT_STATUSES]
    member_kinds = [k.value for k in OrgKind if k != OrgKind.ASSOCIATION]
    specs = [
        (
            "All active members — newsletter",
            "Everyone at an active member company.",
            {"membership_statuses": ["active"], "org_kinds": member_kinds},
        ),
        (
            "German members",
            "People at current member companies in Germany.",
            {"countries": ["DE"], "membership_statuses": current, "org_kinds": member_kinds},
        ),
    ]
    fdd = db.session.scalar(select(Declaration.id).where(Declaration.slug == FDD_SLUG))
    if fdd:
        specs.append(
            (
                "Members who have not signed the Fair Digital Deals Declaration",
                "People at current member companies with no confirmed signature, their own or "
                "their company's.",
                {
                    "membership_statuses": current,
                    "org_kinds": member_kinds,
                    "not_signed_declaration_ids": [fdd],
                },
            )
        )
    made = 0
    for name, description, include in specs:
        if db.session.scalar(select(Audience.id).where(Audience.name == name)) is None:
            audience_services.create_audience(
                {
                    "name": name,
                    "description": description,
                    "filters": {"include": include, "exclude": {}},
                }
            )
            made += 1
    return made


def _press_lists(journalists) -> tuple[int, int]:
    groups: dict[str, list[int]] = {}
    for person_id, country in journalists:
        name = (
            "Press list — Brussels/EU"
            if country in (None, "BE")
            else f"Press list — {country_name(country)}"
        )
        groups.setdefault(name, []).append(person_id)
    made = entries = 0
    for name in sorted(groups):
        if db.session.scalar(select(Audience.id).where(Audience.name == name)) is not None:
            continue
        made += 1
        audience = audience_services.create_audience(
            {"name": name, "kind": "static", "description": "Journalists we send releases to."}
        )
        db.session.execute(
            insert(AudienceEntry),
            [{"audience_id": audience.id, "person_id": p} for p in groups[name]],
        )
        entries += len(groups[name])
    return made, entries


def seed_audience_demo(seed: int = 1) -> dict:
    """Consents, interests, suppressions, segments and press lists for the demo directory."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = utcnow()
    journalists_added = _add_journalists(now)
    contacts = _member_contacts()
    journalists = _journalists()
    consents, interests, suppressions = [], [], []
    # Answers are seeded once: a second run would collide with the first run's rows.
    if db.session.scalar(select(Consent.id).limit(1)) is None:
        consents = _consents(rng, contacts, journalists, now)
        interests = _interests(rng, contacts)
        suppressions = _suppressions(rng, contacts, now) if contacts else []
    for model, rows in (
        (Consent, consents),
        (PersonInterest, interests),
        (Suppression, suppressions),
    ):
        if rows:
            db.session.execute(insert(model), rows)
    segments = _segments()
    lists, entries = _press_lists(journalists)
    actor_id, actor = current_actor()
    db.session.add(
        AuditEvent(
            actor_id=actor_id,
            actor=actor,
            action="create",
            entity_type="consent",
            entity_id=None,
            summary=f"Demo data: {len(consents)} consent answers, {len(interests)} "
            f"topic interests, {len(suppressions)} suppressed addresses",
        )
    )
    db.session.flush()
    return {
        "consents": len(consents),
        "interests": len(interests),
        "suppressions": len(suppressions),
        "segments": segments,
        "press_lists": lists,
        "press_list_entries": entries,
        "journalists_added": journalists_added,
    }
