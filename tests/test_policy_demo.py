"""Policy demo data: counts, invented people on .example domains, a working joint letter, the
CLI line, and that it runs in a couple of seconds."""

import time

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.members import demo as member_demo
from crm.members.models import Person
from crm.policy import vocab
from crm.policy.demo import seed_policy_demo
from crm.policy.models import (
    Campaign,
    Dossier,
    JointLetterSignatory,
    Milestone,
    Priority,
    StakeholderProfile,
)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_policy_demo(client):
    member_demo.seed_demo(120, seed=5)
    started = time.perf_counter()
    summary = seed_policy_demo()
    db.session.commit()
    assert time.perf_counter() - started < 5
    assert _count(Priority) == summary.priorities >= 15
    assert _count(Dossier) == summary.dossiers >= 8
    assert _count(StakeholderProfile) == summary.stakeholders >= 55
    assert _count(Campaign) == summary.campaigns == 4
    assert _count(Milestone) == summary.milestones == 15
    kinds = set(db.session.scalars(select(StakeholderProfile.kind)))
    assert {"mep", "commission", "perm_rep", "ministry", "regulator", "journalist"} <= kinds
    committees = " ".join(
        db.session.scalars(
            select(StakeholderProfile.committees).where(StakeholderProfile.committees.is_not(None))
        )
    )
    assert all(code in committees for code in ("CULT", "JURI", "IMCO", "ITRE"))
    emails = db.session.scalars(
        select(Person.email).join(StakeholderProfile, StakeholderProfile.person_id == Person.id)
    ).all()
    assert all(e.endswith(".example") for e in emails) and len(set(emails)) == len(emails)
    stages = set(db.session.scalars(select(Dossier.stage)))
    assert {"implementation", "council", "consultation"} <= stages <= set(vocab.DOSSIER_STAGES)
    letter = db.session.scalar(select(Campaign).where(Campaign.kind == "joint_letter"))
    statuses = set(
        db.session.scalars(
            select(JointLetterSignatory.status).where(JointLetterSignatory.campaign_id == letter.id)
        )
    )
    assert statuses == {"invited", "agreed", "declined"}
    assert {c.kind for c in db.session.scalars(select(Campaign))} == {
        "declaration",
        "lobbying",
        "joint_letter",
    }
    audited = set(db.session.scalars(select(AuditEvent.entity_type)))
    assert {"priority", "dossier", "stakeholder", "campaign", "milestone"} <= audited
    # The public page shows them.
    assert "Copyright directive adopted" in client.get("/milestones").get_data(as_text=True)


def test_cli_seeds_policy_data_in_the_same_run(runner):
    result = runner.invoke(args=["crm", "seed-demo", "--members", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "policy: 15 priorities" in result.output and "milestones" in result.output
    assert _count(Priority) == 15
