"""Follow-ups: overdue, due this week, later and done, with fixed dates; marking one done; the
"My follow-ups" page and the dashboard's "This week"."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.policy import actions as services
from crm.policy.followups import (
    LATER,
    OVERDUE,
    THIS_WEEK,
    due_group,
    end_of_week,
    open_followups,
    overdue_count,
)
from crm.policy.models import Action
from tests import factories
from tests import test_policy_actions_support as support

WEDNESDAY = date(2026, 6, 10)


def test_due_groups_with_fixed_dates():
    assert end_of_week(WEDNESDAY) == date(2026, 6, 14)
    assert due_group(date(2026, 6, 9), WEDNESDAY) == OVERDUE
    assert due_group(date(2025, 1, 1), WEDNESDAY) == OVERDUE
    assert due_group(WEDNESDAY, WEDNESDAY) == THIS_WEEK
    assert due_group(date(2026, 6, 14), WEDNESDAY) == THIS_WEEK  # Sunday closes the week
    assert due_group(date(2026, 6, 15), WEDNESDAY) == LATER
    sunday = date(2026, 6, 14)
    assert due_group(sunday, sunday) == THIS_WEEK
    assert due_group(date(2026, 6, 15), sunday) == LATER


def _followup(user, title, due, done=False, **fields):
    action = support.log(
        title,
        followup_note=f"note {title}",
        followup_due_on=due,
        followup_assignee_id=user.id,
        **fields,
    )
    if done:
        services.complete_followup(action, now=datetime(2026, 6, 1, tzinfo=UTC))
    return action


def test_open_followups_grouped_and_ordered():
    me, colleague = factories.user("officer"), factories.user("admin")
    _followup(me, "later", date(2026, 7, 1))
    _followup(me, "overdue old", date(2026, 5, 1))
    _followup(me, "overdue", date(2026, 6, 9))
    _followup(me, "today", WEDNESDAY)
    _followup(me, "sunday", date(2026, 6, 14))
    _followup(me, "done", date(2026, 6, 2), done=True)
    _followup(colleague, "not mine", date(2026, 6, 1))
    support.log("no follow-up")
    db.session.commit()
    groups = open_followups(me.id, WEDNESDAY)
    assert [a.title for a in groups.overdue] == ["overdue old", "overdue"]
    assert [a.title for a in groups.this_week] == ["today", "sunday"]
    assert [a.title for a in groups.later] == ["later"]
    assert groups.total == 5
    assert overdue_count(me.id, WEDNESDAY) == 2
    assert overdue_count(me.id, date(2026, 4, 1)) == 0
    assert overdue_count(colleague.id, WEDNESDAY) == 1


def test_complete_followup_is_audited_once():
    me = factories.user("officer")
    action = _followup(me, "to do", date(2026, 6, 9))
    when = datetime(2026, 6, 10, 9, 30, tzinfo=UTC)
    assert services.complete_followup(action, now=when) is True
    assert services.complete_followup(action, now=when) is False  # already done
    db.session.commit()
    assert db.session.get(Action, action.id).followup_done_at == when
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "action", AuditEvent.action == "update")
    ).all()
    assert len(events) == 1 and events[0].after["followup_done_at"].startswith("2026-06-10")


def test_my_followups_page_and_mark_done(client, login_as):
    me = login_as("officer")
    overdue = _followup(me, "Chase the rapporteur", date(2020, 1, 1))
    _followup(me, "Far future", date(2099, 1, 1))
    db.session.commit()
    page = client.get("/follow-ups").get_data(as_text=True)
    overdue_section = page.split('id="followups-overdue"')[1].split("</section>")[0]
    assert "Chase the rapporteur" in overdue_section and "badge bg-danger" in overdue_section
    later_section = page.split('id="followups-later"')[1].split("</section>")[0]
    assert "Far future" in later_section
    response = client.post(f"/actions/{overdue.id}/follow-up/done")
    assert response.status_code == 302 and response.headers["Location"].endswith("/follow-ups")
    db.session.expire_all()
    assert db.session.get(Action, overdue.id).followup_done_at is not None
    assert "Chase the rapporteur" not in client.get("/follow-ups").get_data(as_text=True)


def test_dashboard_this_week_for_staff(client, login_as):
    me = login_as("officer")
    today = date.today()
    support.log("Recent meeting", on=today)
    support.log("Recent letter", kind="letter", on=today)
    support.log("Old call", kind="call", on=date(2020, 1, 1))
    _followup(me, "Overdue one", date(2020, 1, 2), on=date(2020, 1, 1))
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    week = page.split('id="this-week"')[1].split("</section>")[0]
    assert "2 actions logged by the team in the last 7 days: 1 meeting, 1 letter" in week
    assert "Recent meeting" in week and "Old call" not in week
    assert "1 of your follow-ups overdue" in week and 'href="/follow-ups"' in week


def test_dashboard_has_no_week_for_associations(client, login_as):
    login_as("association")
    page = client.get("/").get_data(as_text=True)
    assert 'id="this-week"' not in page and "/follow-ups" not in page
