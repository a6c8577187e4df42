"""Unschedule, pause, resume and cancel: each a conditional UPDATE on the status, so a click
that lost a race (to another member of staff or the worker) changes nothing and says so."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crm.audit.models import AuditEvent
from crm.db import utcnow
from crm.extensions import db
from crm.mailings import mailing_states, services
from crm.mailings.models import Delivery, DeliveryStatus, Mailing, MailingKind
from tests.test_mailings_compose import fresh, reachable_draft


@pytest.fixture
def scheduled(app):
    """A mailing scheduled for tomorrow with four queued deliveries."""

    def make(n=4, at=None, **fields):
        mailing = reachable_draft(n, **fields)
        with app.test_request_context():
            mailing_states.schedule(mailing, at or utcnow() + timedelta(days=1))
        db.session.commit()
        return fresh(Mailing, mailing.id)

    return make


def _statuses(mailing_id):
    db.session.expire_all()
    return sorted(
        db.session.scalars(select(Delivery.status).where(Delivery.mailing_id == mailing_id))
    )


def _set_status(mailing_id, status):
    """What another session (staff or the worker) did meanwhile."""
    db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing_id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _mark_first(mailing_id, status, **values):
    first = db.session.scalar(
        select(Delivery.id).where(Delivery.mailing_id == mailing_id).order_by(Delivery.id)
    )
    db.session.execute(update(Delivery).where(Delivery.id == first).values(status=status, **values))
    db.session.commit()


def test_pause_then_resume_before_anything_left_returns_to_scheduled(scheduled):
    mailing = scheduled()
    mailing_states.pause(mailing)
    db.session.commit()
    mailing = fresh(Mailing, mailing.id)
    assert mailing.status == "paused" and mailing.status_reason.startswith("Paused by")
    assert mailing_states.resume(mailing) == "scheduled"
    db.session.commit()
    assert fresh(Mailing, mailing.id).status == "scheduled"
    assert fresh(Mailing, mailing.id).status_reason is None


def test_resume_after_sending_started_or_time_reached_is_sending(scheduled):
    started = scheduled()
    _set_status(started.id, "sending")
    _mark_first(started.id, DeliveryStatus.SENT, sent_at=utcnow())
    mailing_states.pause(fresh(Mailing, started.id))
    db.session.commit()
    assert mailing_states.resume(fresh(Mailing, started.id)) == "sending"
    db.session.commit()
    due = scheduled(at=utcnow())
    mailing_states.pause(due)
    assert mailing_states.resume(fresh(Mailing, due.id)) == "sending"  # its time has come


def test_cancel_cancels_queued_deliveries_and_leaves_in_flight_ones(scheduled):
    mailing = scheduled()
    _set_status(mailing.id, "sending")
    _mark_first(mailing.id, DeliveryStatus.SENDING, claimed_at=utcnow(), claimed_by="w1")
    assert mailing_states.cancel(fresh(Mailing, mailing.id)) == 3
    db.session.commit()
    assert _statuses(mailing.id) == ["cancelled"] * 3 + ["sending"]
    mailing = fresh(Mailing, mailing.id)
    assert mailing.status == "cancelled" and mailing.finished_at is not None
    with pytest.raises(services.StateChanged):
        mailing_states.cancel(mailing)


def test_unschedule_deletes_queued_deliveries_and_unpublishes(scheduled):
    mailing = scheduled(kind=MailingKind.PRESS_RELEASE)
    assert mailing.slug and mailing.published_at
    assert mailing_states.unschedule(mailing) == 4
    db.session.commit()
    mailing = fresh(Mailing, mailing.id)
    assert mailing.status == "draft" and _statuses(mailing.id) == []
    assert (mailing.slug, mailing.published_at, mailing.recipient_count) == (None, None, 0)
    assert mailing.test_sent_at is not None  # the text did not change: its test still counts


def test_unschedule_is_refused_once_something_was_sent(scheduled):
    mailing = scheduled()
    _mark_first(mailing.id, DeliveryStatus.SENT, sent_at=utcnow())
    with pytest.raises(services.StateChanged, match="Sending has started"):
        mailing_states.unschedule(fresh(Mailing, mailing.id))
    db.session.rollback()
    assert fresh(Mailing, mailing.id).status == "scheduled"
    assert len(_statuses(mailing.id)) == 4


def test_transitions_from_a_stale_page_change_nothing(scheduled):
    mailing = scheduled()
    changes = (
        (mailing_states.pause, "scheduled", "cancelled"),
        (mailing_states.resume, "paused", "cancelled"),
        (mailing_states.unschedule, "scheduled", "cancelled"),
        (mailing_states.cancel, "sending", "sent"),  # the worker finished it meanwhile
    )
    for change, shown, finished in changes:
        _set_status(mailing.id, shown)
        stale = fresh(Mailing, mailing.id)  # the page this click came from
        # Another member of staff (or the worker) finishes it from their own connection.
        with db.engine.begin() as other:
            other.execute(update(Mailing).where(Mailing.id == mailing.id).values(status=finished))
        assert stale.status == shown
        with pytest.raises(services.StateChanged, match=f"{finished} now"):
            change(stale)
        db.session.rollback()
        assert fresh(Mailing, mailing.id).status == finished
    assert _statuses(mailing.id) == ["queued"] * 4  # no losing click touched the deliveries


def test_transitions_are_audited(scheduled):
    mailing = scheduled()
    mailing_states.pause(mailing)
    mailing_states.resume(mailing)
    mailing_states.cancel(mailing)
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "mailing", AuditEvent.entity_id == mailing.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "schedule", "pause", "resume", "cancel"]


def test_buttons_post_and_a_lost_race_is_flashed(client, login_as, scheduled):
    login_as("comms")
    mailing = scheduled()
    assert client.post(f"/mailings/{mailing.id}/pause").status_code == 302
    assert fresh(Mailing, mailing.id).status == "paused"
    client.post(f"/mailings/{mailing.id}/pause")  # a second tab, a second click
    page = client.get(f"/mailings/{mailing.id}").get_data(as_text=True)
    assert "Nothing was done: the mailing is paused now" in page
    assert client.post(f"/mailings/{mailing.id}/resume").status_code == 302
    assert client.post(f"/mailings/{mailing.id}/cancel").status_code == 302
    assert fresh(Mailing, mailing.id).status == "cancelled"
    assert client.get(f"/mailings/{mailing.id}/cancel").status_code == 405  # never on GET


def test_officers_cannot_change_states_and_members_see_no_mailings(
    app, client, login_as, scheduled
):
    mailing = scheduled()
    login_as("officer")
    for action in ("pause", "resume", "cancel", "unschedule", "schedule", "test"):
        assert client.post(f"/mailings/{mailing.id}/{action}").status_code == 403, action
    assert client.get(f"/mailings/{mailing.id}").status_code == 200
    for role in ("member", "association"):
        other = app.test_client()
        from tests import factories

        user = factories.user(role)
        db.session.commit()
        other.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert other.get("/mailings").status_code == 403
        assert other.get(f"/mailings/{mailing.id}/report").status_code == 403
        assert other.get(f"/mailings/{mailing.id}/preview").status_code == 403
    assert fresh(Mailing, mailing.id).status == "scheduled"


def test_a_draft_can_be_discarded_and_then_no_longer_edited(client, login_as):
    login_as("comms")
    mailing = reachable_draft()
    assert client.post(f"/mailings/{mailing.id}/cancel").status_code == 302
    assert fresh(Mailing, mailing.id).status == "cancelled"
    response = client.get(f"/mailings/{mailing.id}/edit")
    assert response.status_code == 302  # back to its page: only drafts are edited
    assert _statuses(mailing.id) == []


def test_a_cancel_or_unschedule_that_lost_to_the_worker_is_flashed(client, login_as, scheduled):
    login_as("comms")
    mailing = scheduled()
    _set_status(mailing.id, "sending")  # the worker claimed its first delivery meanwhile
    _mark_first(mailing.id, DeliveryStatus.SENT, sent_at=utcnow())
    assert client.post(f"/mailings/{mailing.id}/unschedule").status_code == 302
    page = client.get(f"/mailings/{mailing.id}").get_data(as_text=True)
    assert "Nothing was done: the mailing is sending now (it changed meanwhile)." in page
    assert _statuses(mailing.id) == ["queued"] * 3 + ["sent"]
    _set_status(mailing.id, "sent")  # and finished it: a cancel comes too late
    assert client.post(f"/mailings/{mailing.id}/cancel").status_code == 302
    page = client.get(f"/mailings/{mailing.id}").get_data(as_text=True)
    assert "Nothing was done: the mailing is sent now (it changed meanwhile)." in page
    assert fresh(Mailing, mailing.id).status == "sent"
    assert _statuses(mailing.id) == ["queued"] * 3 + ["sent"]
