"""The demo action log: linked to what exists, within the past year, repeatable, and nothing at
all before there are priorities."""

from datetime import date, timedelta

from sqlalchemy import func, select

from crm.extensions import db
from crm.policy.demo_actions import seed_demo_actions
from crm.policy.models import Action, ActionParticipant, Campaign
from tests import factories
from tests import test_policy_actions_support as support

TODAY = date(2026, 6, 10)


def _world():
    prio = support.priority("Value gap")
    support.campaign(prio, "Fair streaming")
    support.dossier(support.priority("VAT"), "VAT directive")
    for _ in range(4):
        support.stakeholder()
    support.stakeholder(kind="journalist")
    for _ in range(5):
        factories.organisation()
    factories.user("officer")
    db.session.flush()


def _signature():
    return db.session.execute(
        select(Action.kind, Action.occurred_on, Action.title, Action.campaign_id).order_by(
            Action.id
        )
    ).all()


def test_nothing_without_priorities():
    factories.organisation()
    assert seed_demo_actions(50, today=TODAY) == 0
    assert db.session.scalar(select(func.count(Action.id))) == 0


def test_demo_actions_are_linked_and_within_the_year():
    _world()
    assert seed_demo_actions(300, seed=3, today=TODAY) == 300
    db.session.commit()
    assert db.session.scalar(select(func.count(Action.id))) == 300
    first, last = db.session.execute(
        select(func.min(Action.occurred_on), func.max(Action.occurred_on))
    ).one()
    assert first > TODAY - timedelta(days=366) and last <= TODAY
    # An action on a campaign carries the campaign's priority.
    mismatched = db.session.scalar(
        select(func.count(Action.id))
        .join(Campaign, Campaign.id == Action.campaign_id)
        .where(Action.priority_id != Campaign.priority_id)
    )
    assert mismatched == 0
    assert db.session.scalar(select(func.count(ActionParticipant.id))) > 300
    assert db.session.scalar(select(func.count(Action.id)).where(Action.kind == "meeting")) > 0
    signature = _signature()
    db.session.execute(ActionParticipant.__table__.delete())
    db.session.execute(Action.__table__.delete())
    seed_demo_actions(300, seed=3, today=TODAY)
    assert _signature() == signature  # the same seed gives the same log
