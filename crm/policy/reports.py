"""Reports on the action log: meetings with EU officials (for the transparency register),
actions per priority per month, and one campaign's figures. Read-only; `today` is passed in."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import extract, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.members.models import Person
from crm.policy.models import (
    Action,
    ActionParticipant,
    Campaign,
    Dossier,
    Priority,
    StakeholderProfile,
)
from crm.policy.vocab import ACTION_KINDS, EU_OFFICIAL_KINDS, STAKEHOLDER_KINDS

MEETING_KINDS = ("meeting", "call")
EU_MEETINGS_HEADER = ["date", "kind", "officials", "institutions", "subject", "title"]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


# --- (a) meetings with EU officials ----------------------------------------------------------


def _officials():
    """Action ids with at least one participant who is an EU official."""
    return (
        select(ActionParticipant.action_id)
        .join(StakeholderProfile, StakeholderProfile.person_id == ActionParticipant.person_id)
        .where(StakeholderProfile.kind.in_(EU_OFFICIAL_KINDS))
    )


def eu_meetings_select(date_from: date, date_to: date):
    """Meetings and calls in the period (both days included) with an EU official."""
    return (
        select(Action)
        .where(
            Action.kind.in_(MEETING_KINDS),
            Action.occurred_on >= date_from,
            Action.occurred_on <= date_to,
            Action.id.in_(_officials()),
        )
        .options(
            joinedload(Action.priority), joinedload(Action.campaign), joinedload(Action.dossier)
        )
        .order_by(Action.occurred_on, Action.id)
    )


def subject_of(action: Action) -> str:
    parts = []
    if action.priority:
        parts.append(action.priority.title)
    if action.campaign:
        parts.append(action.campaign.title)
    if action.dossier:
        reference = f" ({action.dossier.reference})" if action.dossier.reference else ""
        parts.append(action.dossier.title + reference)
    return " / ".join(parts)


def _officials_of(action_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(name, institution) of the EU officials who took part in each action."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(action_ids), 500):
        rows = db.session.execute(
            select(
                ActionParticipant.action_id,
                Person.first_name,
                Person.last_name,
                StakeholderProfile.institution,
                StakeholderProfile.kind,
            )
            .join(Person, Person.id == ActionParticipant.person_id)
            .join(StakeholderProfile, StakeholderProfile.person_id == Person.id)
            .where(
                ActionParticipant.action_id.in_(action_ids[start : start + 500]),
                StakeholderProfile.kind.in_(EU_OFFICIAL_KINDS),
            )
            .order_by(ActionParticipant.action_id, Person.last_name, Person.first_name)
        )
        for row in rows:
            institution = row.institution or STAKEHOLDER_KINDS.get(row.kind, row.kind)
            found[row.action_id].append((f"{row.first_name} {row.last_name}", institution))
    return found


def eu_meetings(date_from: date, date_to: date) -> list[list[str]]:
    """The transparency-register rows: date, kind, officials, institutions, subject, title."""
    actions = db.session.scalars(eu_meetings_select(date_from, date_to)).unique().all()
    officials = _officials_of([a.id for a in actions])
    rows = []
    for action in actions:
        people = officials.get(action.id, [])
        institutions = list(dict.fromkeys(inst for _, inst in people))
        rows.append(
            [
                action.occurred_on.isoformat(),
                ACTION_KINDS.get(action.kind, action.kind),
                "; ".join(name for name, _ in people),
                "; ".join(institutions),
                subject_of(action),
                action.title,
            ]
        )
    return rows


# --- (b) actions per priority per month ------------------------------------------------------


@dataclass
class MonthlyTable:
    """Counts per series (a priority, or an action kind) per month."""

    months: list[date]
    series: list[tuple[str, list[int]]] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [month_label(m) for m in self.months]

    @property
    def month_totals(self) -> list[int]:
        return [sum(counts[i] for _, counts in self.series) for i in range(len(self.months))]

    @property
    def total(self) -> int:
        return sum(self.month_totals)


def _year_month(column):
    return extract("year", column), extract("month", column)


def actions_per_priority(today: date, months: int = 12) -> MonthlyTable:
    """Actions per priority per month over the last `months` months, this one included. An
    action counts for its priority, or else for its campaign's or dossier's priority."""
    first = add_months(month_start(today), -(months - 1))
    month_list = [add_months(first, i) for i in range(months)]
    index = {(m.year, m.month): i for i, m in enumerate(month_list)}
    priority = func.coalesce(Action.priority_id, Campaign.priority_id, Dossier.priority_id)
    year, month = _year_month(Action.occurred_on)
    rows = db.session.execute(
        select(priority, year, month, func.count(Action.id))
        .outerjoin(Campaign, Campaign.id == Action.campaign_id)
        .outerjoin(Dossier, Dossier.id == Action.dossier_id)
        .where(Action.occurred_on >= first, Action.occurred_on < add_months(first, months))
        .group_by(priority, year, month)
    )
    counts: dict[int | None, list[int]] = defaultdict(lambda: [0] * months)
    for priority_id, y, m, n in rows:
        counts[priority_id][index[int(y), int(m)]] += n
    table = MonthlyTable(month_list)
    priorities = db.session.execute(
        select(Priority.id, Priority.title).order_by(Priority.position, Priority.title)
    )
    for pid, title in priorities:
        if pid in counts:
            table.series.append((title, counts[pid]))
    if None in counts:
        table.series.append(("No priority", counts[None]))
    return table


# --- (c) one campaign ------------------------------------------------------------------------


@dataclass
class CampaignReport:
    campaign: Campaign
    by_kind: MonthlyTable
    actions: int
    people: int
    organisations: int
    staff: int
    followups_open: int
    followups_overdue: int
    followups_done: int
    latest: list[Action]


def campaign_report(campaign: Campaign, today: date) -> CampaignReport:
    """A campaign's actions by kind and month, who took part, and its follow-ups."""
    year, month = _year_month(Action.occurred_on)
    rows = db.session.execute(
        select(Action.kind, year, month, func.count(Action.id))
        .where(Action.campaign_id == campaign.id)
        .group_by(Action.kind, year, month)
    ).all()
    month_list = sorted({date(int(y), int(m), 1) for _, y, m, _ in rows})
    index = {(m.year, m.month): i for i, m in enumerate(month_list)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(month_list))
    for kind, y, m, n in rows:
        counts[kind][index[int(y), int(m)]] += n
    by_kind = MonthlyTable(month_list)
    for kind, label in ACTION_KINDS.items():
        if kind in counts:
            by_kind.series.append((label, counts[kind]))
    in_campaign = select(Action.id).where(Action.campaign_id == campaign.id)
    people, organisations, staff = db.session.execute(
        select(
            func.count(func.distinct(ActionParticipant.person_id)),
            func.count(func.distinct(ActionParticipant.organisation_id)),
            func.count(func.distinct(ActionParticipant.user_id)),
        ).where(ActionParticipant.action_id.in_(in_campaign))
    ).one()
    has_followup = Action.followup_due_on.is_not(None)
    open_, overdue, done = db.session.execute(
        select(
            func.count(Action.id).filter(has_followup, Action.followup_done_at.is_(None)),
            func.count(Action.id).filter(
                has_followup, Action.followup_done_at.is_(None), Action.followup_due_on < today
            ),
            func.count(Action.id).filter(has_followup, Action.followup_done_at.is_not(None)),
        ).where(Action.campaign_id == campaign.id)
    ).one()
    latest = db.session.scalars(
        select(Action)
        .where(Action.campaign_id == campaign.id)
        .order_by(Action.occurred_on.desc(), Action.id.desc())
        .limit(10)
    ).all()
    return CampaignReport(
        campaign=campaign,
        by_kind=by_kind,
        actions=by_kind.total,
        people=people,
        organisations=organisations,
        staff=staff,
        followups_open=open_,
        followups_overdue=overdue,
        followups_done=done,
        latest=list(latest),
    )


# --- the dashboard's "This week" -------------------------------------------------------------


@dataclass
class Week:
    by_kind: list[tuple[str, int]]
    latest: list[Action]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_kind)


def team_week(today: date, latest: int = 10) -> Week:
    """The team's actions of the last 7 days (today included): counts by kind and the latest."""
    since = today - timedelta(days=6)
    in_week = (Action.occurred_on >= since, Action.occurred_on <= today)
    counts = dict(
        db.session.execute(
            select(Action.kind, func.count(Action.id)).where(*in_week).group_by(Action.kind)
        ).all()
    )
    rows = db.session.scalars(
        select(Action)
        .where(*in_week)
        .options(joinedload(Action.logged_by))
        .order_by(Action.occurred_on.desc(), Action.id.desc())
        .limit(latest)
    ).all()
    by_kind = [(label, counts[kind]) for kind, label in ACTION_KINDS.items() if counts.get(kind)]
    return Week(by_kind=by_kind, latest=list(rows))
