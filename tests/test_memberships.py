"""Membership status from dates, the daily recompute, and association changes that keep history."""

from datetime import date, timedelta

import pytest

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.members import services
from crm.members.models import Membership, Organisation
from crm.members.status import best_status, membership_status
from tests import factories

TODAY = date(2026, 6, 15)
GRACE = 90


@pytest.mark.parametrize(
    ("start", "end", "resigned", "expected"),
    [
        (TODAY + timedelta(days=1), None, None, "pending"),
        (TODAY, None, None, "active"),
        (TODAY - timedelta(days=400), TODAY, None, "active"),
        (TODAY - timedelta(days=400), TODAY - timedelta(days=1), None, "grace"),
        (TODAY - timedelta(days=400), TODAY - timedelta(days=GRACE), None, "grace"),
        (TODAY - timedelta(days=400), TODAY - timedelta(days=GRACE + 1), None, "lapsed"),
        (TODAY - timedelta(days=400), None, TODAY, "resigned"),
        (TODAY - timedelta(days=400), None, TODAY + timedelta(days=1), "active"),
    ],
)
def test_status_follows_from_dates(start, end, resigned, expected):
    assert membership_status(start, end, resigned, TODAY, GRACE) == expected


def test_best_status_of_an_organisation():
    assert best_status([]) == "none"
    assert best_status(["lapsed", "active", "pending"]) == "active"
    assert best_status(["resigned", "grace"]) == "grace"


def test_daily_recompute_moves_statuses_and_audits(runner):
    org = factories.organisation("Ageing Records")
    end = date.today() - timedelta(days=1)
    factories.membership(org, start=date.today() - timedelta(days=300), end=end + timedelta(days=1))
    db.session.commit()
    assert org.membership_status == "active"
    changed = services.recompute_statuses(today=date.today() + timedelta(days=2))
    db.session.commit()
    assert changed == 1
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).membership_status == "grace"
    assert (
        db.session.scalar(db.select(AuditEvent).where(AuditEvent.summary.like("%daily recompute%")))
        is not None
    )
    result = runner.invoke(args=["crm", "recompute-memberships"])
    assert result.exit_code == 0 and "memberships changed status" in result.output


def test_changing_association_without_moving_keeps_memberships_untouched():
    vut = factories.association("VUT")
    other = factories.association("VTMÖ", country="AT")
    org = factories.organisation("Loyal Label", association_id=vut.id)
    membership = factories.membership(org, via=vut)
    db.session.commit()
    change = services.change_association(org, other.id, move_membership=False)
    db.session.commit()
    assert change.closed is None and change.opened is None
    db.session.expire_all()
    kept = db.session.get(Membership, membership.id)
    assert kept.via_association_id == vut.id and kept.status == "active"
    assert db.session.get(Organisation, org.id).association_id == other.id


def test_moving_membership_closes_old_period_and_opens_new_one():
    vut = factories.association("VUT")
    aim = factories.association("AIM", country="GB")
    org = factories.organisation("Moving Label", association_id=vut.id)
    old = factories.membership(
        org, start=date(2020, 1, 1), end=date.today() + timedelta(days=200), via=vut
    )
    db.session.commit()
    change = services.change_association(org, aim.id, move_membership=True)
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(
        db.select(Membership)
        .where(Membership.organisation_id == org.id)
        .order_by(Membership.start_date)
    ).all()
    assert [m.id for m in rows][0] == old.id and len(rows) == 2
    closed, opened = rows
    assert (
        closed.end_date == date.today() - timedelta(days=1) and closed.via_association_id == vut.id
    )
    assert opened.start_date == date.today() and opened.via_association_id == aim.id
    assert opened.end_date == date.today() + timedelta(days=200)
    assert opened.status == "active" and change.opened.id == opened.id
    assert db.session.get(Organisation, org.id).membership_status == "active"


def test_association_change_through_the_form_keeps_memberships(client, login_as):
    login_as("officer")
    vut = factories.association("VUT")
    aim = factories.association("AIM", country="GB")
    org = factories.organisation("Form Label", association_id=vut.id, city="Köln")
    factories.membership(org, via=vut)
    db.session.commit()
    data = {
        "name": "Form Label",
        "kind": "label",
        "country": "DE",
        "city": "Köln",
        "association_id": aim.id,
    }
    response = client.post(f"/organisations/{org.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    memberships = db.session.scalars(
        db.select(Membership).where(Membership.organisation_id == org.id)
    ).all()
    assert len(memberships) == 1 and memberships[0].via_association_id == vut.id
    assert memberships[0].status == "active"


def test_membership_form_validates_and_records_history(client, login_as):
    login_as("admin")
    org = factories.organisation("Dated Records")
    db.session.commit()
    bad = client.post(
        f"/organisations/{org.id}/memberships/new",
        data={"route": "direct", "start_date": "2025-05-01", "end_date": "2024-01-01"},
    )
    assert bad.status_code == 200 and b"The end date is before the start date." in bad.data
    missing = client.post(
        f"/organisations/{org.id}/memberships/new",
        data={"route": "association", "start_date": "2025-05-01"},
    )
    assert b"Choose the association the membership comes through." in missing.data
    garbage = client.post(
        f"/organisations/{org.id}/memberships/new",
        data={"route": "direct", "start_date": "31/31/2025"},
    )
    assert garbage.status_code == 200 and b"Not a valid date value" in garbage.data
    ok = client.post(
        f"/organisations/{org.id}/memberships/new",
        data={"route": "direct", "start_date": "2020-01-01", "end_date": "2021-01-01"},
    )
    assert ok.status_code == 302
    membership = db.session.scalar(
        db.select(Membership).where(Membership.organisation_id == org.id)
    )
    assert membership.status == "lapsed"
    renew = client.post(
        f"/memberships/{membership.id}/edit",
        data={
            "route": "direct",
            "start_date": "2020-01-01",
            "end_date": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert renew.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).membership_status == "active"
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "end_date" in page and "2021-01-01" in page  # the audit trail shows before and after


def test_moving_a_membership_in_grace_keeps_its_dates_and_changes_route():
    vut = factories.association("VUT")
    aim = factories.association("AIM", country="GB")
    org = factories.organisation("Late Payer Records", association_id=vut.id)
    ended = date.today() - timedelta(days=10)
    grace = factories.membership(org, start=date(2020, 1, 1), end=ended, via=vut)
    db.session.commit()
    assert grace.status == "grace"
    change = services.change_association(org, aim.id, move_membership=True)
    db.session.commit()
    assert change.moved.id == grace.id and change.opened is None and change.closed is None
    db.session.expire_all()
    [only] = db.session.scalars(db.select(Membership).where(Membership.organisation_id == org.id))
    assert (only.start_date, only.end_date, only.via_association_id) == (
        date(2020, 1, 1),
        ended,
        aim.id,
    )
    assert only.status == "grace"


def test_moving_a_pending_membership_does_not_start_it_early():
    vut = factories.association("VUT")
    aim = factories.association("AIM", country="GB")
    org = factories.organisation("Future Records", association_id=vut.id)
    starts = date.today() + timedelta(days=60)
    pending = factories.membership(org, start=starts, via=vut)
    db.session.commit()
    services.change_association(org, aim.id, move_membership=True)
    db.session.commit()
    db.session.expire_all()
    [only] = db.session.scalars(db.select(Membership).where(Membership.organisation_id == org.id))
    assert only.id == pending.id and only.start_date == starts and only.status == "pending"
    assert only.via_association_id == aim.id


def test_leaving_all_associations_makes_the_membership_direct():
    vut = factories.association("VUT")
    org = factories.organisation("Independent Again", association_id=vut.id)
    factories.membership(org, start=date(2020, 1, 1), via=vut)
    db.session.commit()
    change = services.change_association(org, None, move_membership=True)
    db.session.commit()
    assert change.closed.via_association_id == vut.id
    assert change.opened.route == "direct" and change.opened.via_association_id is None
    assert db.session.get(Organisation, org.id).membership_status == "active"


def test_an_association_cannot_be_placed_inside_another(client, login_as):
    login_as("officer")
    vut = factories.association("VUT")
    org = factories.organisation("Becoming Association", association_id=vut.id)
    db.session.commit()
    response = client.post(
        f"/organisations/{org.id}/edit",
        data={
            "name": "Becoming Association",
            "kind": "association",
            "country": "DE",
            "association_id": vut.id,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Organisation, org.id)
    assert saved.kind == "association" and saved.association_id is None
