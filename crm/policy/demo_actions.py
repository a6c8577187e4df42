"""Demo action log: made-up actions over the past twelve months, linked to the priorities,
campaigns, dossiers, stakeholders, organisations and staff that exist.

Written with bulk inserts (one statement per table, a few batches), as the members' demo data is,
because the per-action service (one flush and one audit entry per action) is made for people, not
for six hundred rows. Does nothing when there are no priorities yet. The caller commits.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from crm.auth.models import User
from crm.auth.roles import Role
from crm.extensions import db
from crm.members.models import Organisation
from crm.members.vocab import OrgKind
from crm.policy.models import (
    Action,
    ActionParticipant,
    Campaign,
    Dossier,
    Priority,
    StakeholderProfile,
)
from crm.policy.vocab import EU_OFFICIAL_KINDS

KIND_WEIGHTS = {
    "meeting": 30,
    "call": 20,
    "letter": 12,
    "consultation": 5,
    "op_ed": 4,
    "event": 12,
    "press_release": 7,
    "other": 5,
}
TITLES = {
    "meeting": ["Meeting on {s}", "Briefing on {s}", "Bilateral on {s}", "Breakfast meeting: {s}"],
    "call": ["Call about {s}", "Follow-up call on {s}", "Catch-up call: {s}"],
    "letter": ["Letter on {s}", "Position letter: {s}", "Reply to questions on {s}"],
    "consultation": ["Consultation response: {s}", "Written input on {s}"],
    "op_ed": ["Op-ed on {s}", "Opinion piece: {s}"],
    "event": ["Panel on {s}", "Roundtable: {s}", "Members' workshop on {s}"],
    "press_release": ["Press release on {s}", "Statement on {s}"],
    "other": ["Note on {s}", "Internal briefing on {s}"],
}
SUMMARIES = [
    "Presented the independent sector's figures and our asks.",
    "Walked through the amendments we support and why.",
    "Listened to their concerns; agreed to send examples from members.",
    "Shared the member survey results on streaming income.",
    "Discussed the timetable and who else we should meet.",
]
OUTCOMES = [
    "Open to our amendment; wants the data in writing.",
    "Will raise it in the committee.",
    "No commitment yet.",
    "Agreed to co-host a roundtable.",
    None,
    None,
]
FOLLOWUPS = [
    "Send the position paper",
    "Share member case studies",
    "Propose a date for the next meeting",
    "Send the survey data",
    "Thank-you note with our asks",
]
BATCH = 500


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def seed_demo_actions(count: int = 600, seed: int = 1, *, today: date | None = None) -> int:
    """Invent `count` actions over the past 12 months; returns how many were written."""
    today = today or date.today()
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    priorities = db.session.execute(select(Priority.id, Priority.title)).all()
    if not priorities or count <= 0:
        return 0
    campaigns = db.session.execute(select(Campaign.id, Campaign.title, Campaign.priority_id)).all()
    dossiers = db.session.execute(select(Dossier.id, Dossier.title, Dossier.priority_id)).all()
    stakeholders = db.session.execute(
        select(StakeholderProfile.person_id, StakeholderProfile.kind).order_by(
            StakeholderProfile.person_id
        )
    ).all()
    officials = [s.person_id for s in stakeholders if s.kind in EU_OFFICIAL_KINDS]
    others = [s.person_id for s in stakeholders if s.kind not in EU_OFFICIAL_KINDS]
    organisations = db.session.scalars(
        select(Organisation.id)
        .where(Organisation.kind != OrgKind.ASSOCIATION)
        .order_by(Organisation.id)
        .limit(300)
    ).all()
    staff = db.session.scalars(
        select(User.id)
        .where(User.role.in_([Role.ADMIN.value, Role.OFFICER.value]))
        .order_by(User.id)
    ).all()

    rows, participants = [], []
    for _ in range(count):
        kind = _weighted(rng, KIND_WEIGHTS)
        occurred = today - timedelta(days=rng.randrange(365))
        subject = rng.random()
        priority_id = campaign_id = dossier_id = None
        if campaigns and subject < 0.5:
            campaign_id, label, priority_id = rng.choice(campaigns)
        elif dossiers and subject < 0.75:
            dossier_id, label, priority_id = rng.choice(dossiers)
        else:
            priority_id, label = rng.choice(priorities)
        people: list[int] = []
        if kind in ("meeting", "call", "letter") and officials:
            people += rng.sample(officials, min(len(officials), rng.randint(1, 2)))
        if others and rng.random() < 0.3:
            people.append(rng.choice(others))
        orgs: list[int] = []
        if organisations and (kind == "event" or rng.random() < 0.35):
            orgs = rng.sample(organisations, min(len(organisations), rng.randint(1, 3)))
        logger = rng.choice(staff) if staff else None
        followup = staff and rng.random() < 0.25
        due = occurred + timedelta(days=rng.randint(5, 21)) if followup else None
        done = None
        if due and due < today and rng.random() < 0.7:
            done = datetime.combine(min(due, today), time(10), tzinfo=UTC)
        rows.append(
            {
                "kind": kind,
                "occurred_on": occurred,
                "title": rng.choice(TITLES[kind]).format(s=label)[:250],
                "summary": rng.choice(SUMMARIES),
                "outcome": rng.choice(OUTCOMES) if kind in ("meeting", "call") else None,
                "priority_id": priority_id,
                "campaign_id": campaign_id,
                "dossier_id": dossier_id,
                "logged_by_id": logger,
                "shared_with_members": bool(orgs) and rng.random() < 0.4,
                "followup_note": rng.choice(FOLLOWUPS) if followup else None,
                "followup_due_on": due,
                "followup_assignee_id": rng.choice(staff) if followup else None,
                "followup_done_at": done,
            }
        )
        participants.append(
            [{"person_id": p} for p in people]
            + [{"organisation_id": o} for o in orgs]
            + ([{"user_id": logger}] if logger and kind in ("meeting", "call", "event") else [])
        )

    for start in range(0, len(rows), BATCH):
        ids = db.session.scalars(
            insert(Action).returning(Action.id, sort_by_parameter_order=True),
            rows[start : start + BATCH],
        ).all()
        links = [
            {"action_id": action_id, "person_id": None, "organisation_id": None, "user_id": None}
            | link
            for action_id, batch in zip(ids, participants[start : start + BATCH], strict=True)
            for link in batch
        ]
        if links:
            db.session.execute(insert(ActionParticipant), links)
    return len(rows)
