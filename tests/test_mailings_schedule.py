"""Preflight and scheduling: every check fails on its own, scheduling writes exactly one
delivery per distinct recipient in bulk INSERTs of bounded size, and twice writes nothing more."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, union_all

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import attachments, mailing_states, services
from crm.mailings.audience_models import Suppression
from crm.mailings.models import (
    Delivery,
    DeliveryStatus,
    Mailing,
    MailingAttachment,
    MailingKind,
    Priority,
)
from crm.mailings.outbox import make_message_id
from crm.mailings.preflight import preflight
from tests.test_mailings_compose import (
    PDF_BYTES,
    draft,
    fresh,
    people,
    reachable_draft,
    static_audience,
)


def _failed(mailing, **kwargs):
    return {c.key for c in preflight(mailing, **kwargs) if not c.ok}


def _deliveries(mailing_id):
    db.session.expire_all()
    return db.session.scalars(
        select(Delivery).where(Delivery.mailing_id == mailing_id).order_by(Delivery.id)
    ).all()


# --- preflight -------------------------------------------------------------------------------


def test_a_ready_mailing_passes_every_check():
    mailing = reachable_draft()
    checks = preflight(mailing, send_at=utcnow())
    assert all(c.ok for c in checks), [c.message for c in checks if not c.ok]
    assert {c.key for c in checks} >= {"audience", "subject", "from", "unsubscribe", "test"}
    assert "3 recipients" in next(c.message for c in checks if c.key == "audience")


def test_each_preflight_failure_on_its_own():
    assert _failed(draft(None)) == {"audience"}
    # An audience nobody in which consented to the purpose (newsletter is opt-in).
    assert _failed(draft(static_audience(people(2)))) == {"audience"}
    assert _failed(reachable_draft(subject="")) == {"subject"}
    assert _failed(reachable_draft(from_email="")) == {"from"}
    assert _failed(reachable_draft(body="No footer here {{ preferences_url }}")) == {"unsubscribe"}
    assert _failed(reachable_draft(subject="Hi {{ frist_name }}")) == {"merge_fields"}
    assert _failed(reachable_draft(tested=False)) == {"test"}
    past = utcnow() - timedelta(hours=1)
    assert _failed(reachable_draft(), send_at=past) == {"send_at"}
    # A few minutes late is the form having been open a while: still "now".
    assert _failed(reachable_draft(), send_at=utcnow() - timedelta(minutes=2)) == set()
    release = reachable_draft(kind=MailingKind.PRESS_RELEASE, embargo_until=past)
    assert _failed(release) == {"embargo"}


def test_an_embargo_before_the_send_time_fails(app):
    """The release is public from its embargo: lifting it before the press gets the mail would
    let the public read it first."""
    send_at = utcnow() + timedelta(hours=2)
    early = reachable_draft(
        kind=MailingKind.PRESS_RELEASE, embargo_until=send_at - timedelta(minutes=30)
    )
    assert _failed(early, send_at=send_at) == {"embargo"}
    message = next(c.message for c in preflight(early, send_at=send_at) if c.key == "embargo")
    assert "lifts before the send time" in message and "before the press receives it" in message
    with app.test_request_context(), pytest.raises(mailing_states.PreflightFailed, match="lifts"):
        mailing_states.schedule(early, send_at)
    db.session.rollback()
    assert fresh(Mailing, early.id).status == "draft" and _deliveries(early.id) == []
    # Sent now, or at the embargo itself or before it: fine.
    assert _failed(early) == set()
    assert _failed(early, send_at=utcnow()) == set()
    assert _failed(early, send_at=early.embargo_until) == set()


def test_a_press_release_attachment_that_is_not_a_pdf_fails(app):
    release = reachable_draft(kind=MailingKind.PRESS_RELEASE)
    directory = attachments.upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "aaaa.pdf").write_bytes(PDF_BYTES)
    (directory / "bbbb.pdf").write_bytes(b"<html>not a pdf</html>")
    release.attachments.append(
        MailingAttachment(stored_name="aaaa.pdf", original_name="a.pdf", title="A", size=1)
    )
    db.session.flush()
    assert _failed(release) == set()
    release.attachments.append(
        MailingAttachment(stored_name="bbbb.pdf", original_name="b.pdf", title="B", size=1)
    )
    db.session.flush()
    assert _failed(release) == {"attachments"}
    assert "b.pdf" in next(c.message for c in preflight(release) if c.key == "attachments")


def test_the_mailing_page_shows_each_check(client, login_as):
    login_as("officer")
    mailing = reachable_draft(tested=False, body="no link")
    page = client.get(f"/mailings/{mailing.id}").get_data(as_text=True)
    assert "Send a test after the last change." in page
    assert "Put the unsubscribe link" in page
    assert "3 recipients" in page
    assert f'action="/mailings/{mailing.id}/schedule"' not in page  # officers do not send


# --- schedule --------------------------------------------------------------------------------


def test_schedule_writes_one_delivery_per_recipient(app):
    org_people = people(3, "newsletter")
    unconsented = people(1)  # newsletter is opt-in: left out
    suppressed = people(1, "newsletter")[0]
    db.session.add(
        Suppression(email_hash="x" * 64, email_key=suppressed.email_key, reason="hard_bounce")
    )
    mailing = draft(static_audience(org_people + unconsented + [suppressed]))
    at = utcnow() + timedelta(days=1)
    with app.test_request_context():
        count = mailing_states.schedule(mailing, at)
    db.session.commit()
    assert count == 3
    rows = _deliveries(mailing.id)
    assert sorted(d.recipient_key for d in rows) == sorted(p.email_key for p in org_people)
    first = rows[0]
    person = next(p for p in org_people if p.email_key == first.recipient_key)
    assert first.kind == "mailing" and first.priority == Priority.BULK
    assert first.status == DeliveryStatus.QUEUED and first.text_body is None
    assert first.subject == "Hello {{ first_name | friend }}"  # unrendered, for lists
    assert first.person_id == person.id and first.to_email == person.email
    assert first.merge == {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "organisation": person.organisation.name,
        "country": "FR",
    }
    with app.test_request_context():
        assert first.message_id == make_message_id(f"mailing:{mailing.id}:{first.recipient_key}")
    assert first.next_attempt_at == at
    mailing = fresh(Mailing, mailing.id)
    assert (mailing.status, mailing.recipient_count) == ("scheduled", 3)
    assert mailing.scheduled_at == at and mailing.queued_at is not None
    assert mailing.slug is None  # only press releases are published


def test_schedule_collapses_duplicates_the_audience_might_give(app, monkeypatch):
    from crm.mailings import audiences

    real = audiences.recipients

    def doubled(audience, purpose):
        stmt = real(audience, purpose).order_by(None)
        return union_all(stmt, stmt)

    monkeypatch.setattr(audiences, "recipients", doubled)
    mailing = reachable_draft(4)
    with app.test_request_context():
        assert mailing_states.schedule(mailing) == 4
    db.session.commit()
    assert len(_deliveries(mailing.id)) == 4
    # In chunks of three, the repeats arrive in another chunk than their first copy.
    monkeypatch.setattr(mailing_states, "INSERT_CHUNK", 3)
    chunked = reachable_draft(4)
    with app.test_request_context():
        assert mailing_states.schedule(chunked) == 4
    db.session.commit()
    assert len({d.recipient_key for d in _deliveries(chunked.id)}) == 4


def test_scheduling_twice_writes_nothing_more(app, client, login_as):
    login_as("comms")
    mailing = reachable_draft(3)
    first = client.post(f"/mailings/{mailing.id}/schedule", data={"when": "now"})
    second = client.post(f"/mailings/{mailing.id}/schedule", data={"when": "now"})
    assert first.status_code == second.status_code == 302
    assert len(_deliveries(mailing.id)) == 3
    page = client.get(f"/mailings/{mailing.id}").get_data(as_text=True)
    assert "Nothing was done: the mailing is scheduled now" in page
    # The service itself refuses too, even with a stale object that still says "draft".
    stale = fresh(Mailing, mailing.id)
    stale.status = "draft"
    with app.test_request_context(), pytest.raises(services.StateChanged):
        mailing_states.schedule(stale)
    db.session.rollback()
    assert len(_deliveries(mailing.id)) == 3


def test_two_clicks_at_the_same_moment_queue_once(app):
    mailing_id = reachable_draft(5).id
    results, barrier = [], threading.Barrier(2)

    def click():
        with app.app_context(), app.test_request_context():
            mailing = db.session.get(Mailing, mailing_id)
            barrier.wait()
            try:
                results.append(mailing_states.schedule(mailing))
                db.session.commit()
            except services.MailingError as error:
                db.session.rollback()
                results.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, results)) == ["5", "StateChanged"]
    assert len(_deliveries(mailing_id)) == 5


def test_schedule_refuses_when_a_check_fails_and_changes_nothing(app, client, login_as):
    login_as("admin")
    mailing = reachable_draft(tested=False)
    response = client.post(f"/mailings/{mailing.id}/schedule", data={"when": "now"})
    assert response.status_code == 302
    assert fresh(Mailing, mailing.id).status == "draft"
    assert _deliveries(mailing.id) == []
    page = client.get(f"/mailings/{mailing.id}").get_data(as_text=True)
    assert "Not scheduled: Send a test after the last change." in page


def test_schedule_at_a_local_time_is_stored_in_utc(client, login_as):
    login_as("comms")
    mailing = reachable_draft()
    response = client.post(
        f"/mailings/{mailing.id}/schedule",
        data={"when": "later", "send_at": "2099-07-01T10:00", "timezone": "Europe/Brussels"},
    )
    assert response.status_code == 302
    expected = datetime(2099, 7, 1, 8, 0, tzinfo=UTC)  # summer time: UTC+2
    assert fresh(Mailing, mailing.id).scheduled_at == expected
    assert {d.next_attempt_at for d in _deliveries(mailing.id)} == {expected}


def test_schedule_later_needs_a_time_and_not_one_in_the_past(client, login_as):
    login_as("comms")
    mailing = reachable_draft()
    page = client.post(f"/mailings/{mailing.id}/schedule", data={"when": "later"})
    assert page.status_code == 200
    assert "Give the date and time to send at." in page.get_data(as_text=True)
    client.post(
        f"/mailings/{mailing.id}/schedule",
        data={"when": "later", "send_at": "2001-01-01T10:00", "timezone": "UTC"},
    )
    assert fresh(Mailing, mailing.id).status == "draft"


def test_a_press_release_gets_a_unique_slug_and_its_publication_time(app):
    embargo = utcnow() + timedelta(days=2)
    first = reachable_draft(kind=MailingKind.PRESS_RELEASE, subject="Fair digital deals now")
    second = reachable_draft(
        kind=MailingKind.PRESS_RELEASE, subject="Fair digital deals now", embargo_until=embargo
    )
    with app.test_request_context():
        mailing_states.schedule(first)
        mailing_states.schedule(second)
    db.session.commit()
    first, second = fresh(Mailing, first.id), fresh(Mailing, second.id)
    assert first.slug == "fair-digital-deals-now" and second.slug == "fair-digital-deals-now-2"
    assert first.published_at == first.scheduled_at
    assert second.published_at == embargo
