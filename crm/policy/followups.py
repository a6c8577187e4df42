"""Follow-ups: which are overdue, due this week or later. `today` is always passed in, so the
rules are tested with fixed dates and the clock is read only by the views."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.policy.models import Action

OVERDUE, THIS_WEEK, LATER = "overdue", "this_week", "later"


def end_of_week(today: date) -> date:
    """The Sunday of today's week (weeks run Monday to Sunday)."""
    return today + timedelta(days=6 - today.weekday())


def due_group(due_on: date, today: date) -> str:
    """Overdue before today; this week up to and including Sunday; later after that."""
    if due_on < today:
        return OVERDUE
    if due_on <= end_of_week(today):
        return THIS_WEEK
    return LATER


@dataclass
class FollowUps:
    overdue: list[Action] = field(default_factory=list)
    this_week: list[Action] = field(default_factory=list)
    later: list[Action] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.this_week) + len(self.later)


def _open_for(user_id: int):
    return select(Action).where(
        Action.followup_assignee_id == user_id,
        Action.followup_done_at.is_(None),
        Action.followup_due_on.is_not(None),
    )


def open_followups(user_id: int, today: date) -> FollowUps:
    """The user's open follow-ups grouped by due date, soonest (most overdue) first."""
    stmt = (
        _open_for(user_id)
        .options(joinedload(Action.priority), joinedload(Action.campaign))
        .order_by(Action.followup_due_on, Action.id)
    )
    groups = FollowUps()
    for action in db.session.scalars(stmt):
        getattr(groups, due_group(action.followup_due_on, today)).append(action)
    return groups


def overdue_count(user_id: int, today: date) -> int:
    """How many of the user's open follow-ups are past their due date."""
    return db.session.scalar(
        select(func.count()).select_from(
            _open_for(user_id).where(Action.followup_due_on < today).subquery()
        )
    )
