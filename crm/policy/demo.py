"""Policy demo data: priorities, EU dossiers, invented stakeholders, campaigns, a joint letter
and milestones, written through the services (so every record is audited) in about a second.

The priorities and declarations paraphrase /work/shared/data (the association's public
positions); every person is invented and every email domain ends in .example. The caller
commits; seed_demo() of the members package runs first, so owners and member organisations
exist.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from crm.auth.models import User
from crm.auth.roles import Role
from crm.extensions import db
from crm.members import services as member_services
from crm.members.models import Organisation
from crm.members.vocab import OrgKind
from crm.policy import services, services_campaigns, services_stakeholders
from crm.policy.demo_data import (
    DOSSIERS,
    FDD_GOALS,
    JOURNALISTS,
    LETTER,
    MDE_GOALS,
    MEP_SEATS,
    MILESTONES,
    MINISTRIES,
    OFFICIALS,
    PERM_REPS,
    PRIORITIES,
    REGULATORS,
    STAKEHOLDER_NAMES,
)
from crm.policy.models import Priority


class PolicyDemoError(RuntimeError):
    pass


@dataclass
class PolicyDemoSummary:
    priorities: int = 0
    dossiers: int = 0
    dates: int = 0
    stakeholders: int = 0
    campaigns: int = 0
    signatories: int = 0
    milestones: int = 0


def _email(name: str, domain: str) -> str:
    from crm.members.normalise import words

    return f"{'.'.join(words(name))}@{domain}"


def _institution_org(name: str, acronym: str) -> Organisation:
    existing = member_services.find_duplicate_organisation(name, "BE")
    if existing is not None:
        return existing
    return member_services.create_organisation(
        {
            "name": name,
            "acronym": acronym,
            "kind": OrgKind.OTHER,
            "country": "BE",
            "city": "Brussels",
            "website": f"https://{acronym.lower()}.example",
        }
    )


def _people(rng: random.Random):
    pool = {country: list(names) for country, names in STAKEHOLDER_NAMES.items()}

    def take(country: str) -> str:
        if pool.get(country):
            return pool[country].pop(0)
        country = rng.choice([c for c, names in pool.items() if names])
        return pool[country].pop(0)

    return take


def _stakeholders(rng: random.Random) -> int:
    parliament = _institution_org("European Parliament", "EP")
    commission = _institution_org("European Commission", "EC")
    take = _people(rng)
    rows = []
    for country, committees, group in MEP_SEATS:
        name = take(country)
        rows.append(
            (
                name,
                "ep.example",
                parliament.id,
                {
                    "kind": "mep",
                    "institution": "European Parliament",
                    "committees": committees,
                    "political_group": group,
                    "country": country,
                    "role": "Member" if "CULT" not in committees else "Member, shadow rapporteur",
                },
            )
        )
    for directorate, role in OFFICIALS:
        name = take(rng.choice(["BE", "FR", "DE", "IT", "ES", "NL", "PL", "IE"]))
        rows.append(
            (
                name,
                "ec.example",
                commission.id,
                {
                    "kind": "commission",
                    "institution": "European Commission",
                    "directorate": directorate,
                    "role": role,
                },
            )
        )
    for country in PERM_REPS:
        name = take(country)
        rows.append(
            (
                name,
                f"permrep-{country.lower()}.example",
                None,
                {
                    "kind": "perm_rep",
                    "institution": f"Permanent Representation ({country})",
                    "country": country,
                    "role": "Attaché, culture and audiovisual"
                    if rng.random() < 0.5
                    else "Attaché, tax questions",
                },
            )
        )
    for country, ministry, role in MINISTRIES:
        name = take(country)
        rows.append(
            (
                name,
                f"gov-{country.lower()}.example",
                None,
                {"kind": "ministry", "institution": ministry, "country": country, "role": role},
            )
        )
    for country, regulator, role in REGULATORS:
        name = take(country)
        rows.append(
            (
                name,
                f"regulator-{country.lower()}.example",
                None,
                {"kind": "regulator", "institution": regulator, "country": country, "role": role},
            )
        )
    for country, outlet, beat in JOURNALISTS:
        name = take(country)
        domain = "".join(outlet.lower().split()) + ".example"
        rows.append(
            (
                name,
                domain,
                None,
                {
                    "kind": "journalist",
                    "institution": outlet,
                    "country": country,
                    "role": "Journalist",
                    "beat": beat,
                },
            )
        )
    for name, domain, org_id, profile in rows:
        first, last = name.split(" ", 1)
        services_stakeholders.create_stakeholder(
            {
                "first_name": first,
                "last_name": last,
                "email": _email(name, domain),
                "organisation_id": org_id,
                **profile,
            }
        )
    return len(rows)


def _joint_letter(priority_id: int, owner_id: int | None, today: date, rng) -> tuple[int, int]:
    letter = services_campaigns.create_campaign(
        {
            "priority_id": priority_id,
            "title": "Joint letter: reduced VAT on music",
            "slug": "joint-letter-vat-on-music",
            "kind": "joint_letter",
            "status": "active",
            "owner_id": owner_id,
            "starts_on": today - timedelta(days=10),
            "deadline": today + timedelta(days=14),
            "letter_text": LETTER,
            "goals": "At least 100 member companies from 15 countries co-sign before the ECOFIN "
            "Council.",
        }
    )
    org_ids = list(
        db.session.scalars(
            select(Organisation.id)
            .where(
                Organisation.kind.in_([OrgKind.LABEL, OrgKind.ASSOCIATION]),
                Organisation.membership_status == "active",
            )
            .order_by(Organisation.id)
            .limit(200)
        )
    )
    chosen = rng.sample(org_ids, min(12, len(org_ids)))
    for n, org_id in enumerate(chosen):
        signatory = services_campaigns.invite(letter, org_id).signatory
        if n % 3 == 0:
            services_campaigns.record_answer(signatory, "agreed")
        elif n % 5 == 1:
            services_campaigns.record_answer(signatory, "declined", "Board decided not to sign")
        elif n % 3 == 1:
            services_campaigns.record_answer(signatory, "agreed", "Happy to support")
    return 1, len(chosen)


def seed_policy_demo(seed: int = 1, today: date | None = None) -> PolicyDemoSummary:
    """Write the policy demo data through the services; the caller commits."""
    if db.session.scalar(select(Priority.id).limit(1)) is not None:
        raise PolicyDemoError("priorities already exist: policy demo data goes into an empty CRM")
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = today or date.today()
    summary = PolicyDemoSummary()
    owner_id = db.session.scalar(
        select(User.id).where(User.role == Role.OFFICER).order_by(User.id).limit(1)
    ) or db.session.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1))

    priorities = {}
    for position, (slug, title, summary_text, status) in enumerate(PRIORITIES, 1):
        priorities[slug] = services.create_priority(
            {
                "slug": slug,
                "title": title,
                "summary": summary_text,
                "status": status,
                "position": position * 10,
                "owner_id": owner_id if position <= 8 else None,
            }
        )
    summary.priorities = len(priorities)
    for slug, title, reference, stage, text, asks, dates in DOSSIERS:
        dossier = services.create_dossier(
            {
                "priority_id": priorities[slug].id,
                "title": title,
                "reference": reference,
                "stage": stage,
                "summary": text,
                "asks": asks,
            }
        )
        for label, kind, days, done in dates:
            services.add_dossier_date(
                dossier,
                {
                    "label": label,
                    "kind": kind,
                    "due_on": today + timedelta(days=days),
                    "done": done,
                },
            )
            summary.dates += 1
        summary.dossiers += 1
    summary.stakeholders = _stakeholders(rng)

    campaigns = [
        (
            "Fair Digital Deals Declaration",
            "fair-digital-deals",
            "declaration",
            "active",
            "artist-fairness",
            date(2014, 7, 16),
            FDD_GOALS,
            "Several hundred labels signed at launch, about two thirds of them European; the "
            "commitments were re-affirmed in 2018.",
        ),
        (
            "Music Declares Emergency",
            "music-declares-emergency",
            "declaration",
            "active",
            "climate",
            date(2019, 7, 1),
            MDE_GOALS,
            "National chapters in several countries and thousands of signatures across the music "
            "world.",
        ),
        (
            "Close the value gap",
            "close-the-value-gap",
            "lobbying",
            "active",
            "value-gap",
            today - timedelta(days=400),
            "Meet the MEPs and Commission officials who shape platform liability; make the case "
            "that services which optimise and monetise music must license it.",
            None,
        ),
    ]
    for title, slug, kind, status, priority, starts, goals, results in campaigns:
        services_campaigns.create_campaign(
            {
                "priority_id": priorities[priority].id,
                "title": title,
                "slug": slug,
                "kind": kind,
                "status": status,
                "owner_id": owner_id,
                "starts_on": starts,
                "goals": goals,
                "results": results,
            }
        )
    letters, invited = _joint_letter(priorities["vat-on-music"].id, owner_id, today, rng)
    summary.campaigns = len(campaigns) + letters
    summary.signatories = invited

    for happened_on, title, body, priority in MILESTONES:
        services.create_milestone(
            {
                "happened_on": happened_on,
                "title": title,
                "body": body,
                "priority_id": priorities[priority].id,
                "published": True,
            }
        )
    summary.milestones = len(MILESTONES)
    return summary
