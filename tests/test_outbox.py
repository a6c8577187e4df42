"""The outbox worker: sends each delivery once, retries 4xx, fails 5xx, survives a dead server."""

from datetime import timedelta

import pytest

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import worker
from crm.mailings.models import Delivery, Priority
from crm.mailings.outbox import queue_email

pytestmark = pytest.mark.smtp


def _queue(n=1, priority=Priority.TRANSACTIONAL, prefix="t"):
    for i in range(n):
        queue_email(
            f"{prefix}{i}@example.org",
            f"Subject {prefix}{i}",
            "Body text",
            kind="test",
            key=f"{prefix}:{i}",
            priority=priority,
        )
    db.session.commit()


def _statuses():
    db.session.expire_all()
    return sorted(db.session.scalars(db.select(Delivery.status)))


def test_each_delivery_is_sent_once_with_its_message_id(smtp_server):
    _queue(3)
    assert worker.run(drain=True) == 3
    assert worker.run(drain=True) == 0
    assert _statuses() == ["sent"] * 3
    ids = {m["Message-ID"] for m in smtp_server.messages}
    expected = set(db.session.scalars(db.select(Delivery.message_id)))
    assert ids == expected and len(smtp_server.messages) == 3


def test_same_key_cannot_be_queued_twice():
    from sqlalchemy.exc import IntegrityError

    _queue(1)
    queue_email("t0@example.org", "again", "x", kind="test", key="t:0")
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_transactional_mail_leaves_before_bulk(smtp_server):
    _queue(3, priority=Priority.BULK, prefix="bulk")
    _queue(1, priority=Priority.TRANSACTIONAL, prefix="reset")
    worker.run(drain=True)
    assert smtp_server.messages[0]["To"] == "reset0@example.org"


def test_temporary_failure_is_retried_later(smtp_server):
    _queue(1)
    smtp_server.reply = "451 4.7.1 try again later"
    assert worker.run(drain=True) == 0
    delivery = db.session.scalar(db.select(Delivery))
    db.session.refresh(delivery)
    assert delivery.status == "queued" and delivery.attempts == 1
    assert delivery.next_attempt_at > utcnow() and "451" in delivery.last_error
    smtp_server.reply = None
    delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert worker.run(drain=True) == 1
    assert _statuses() == ["sent"]


def test_permanent_failure_marks_the_recipient_failed(smtp_server):
    _queue(2)
    smtp_server.reply = "550 5.1.1 no such user"
    worker.run(drain=True)
    assert _statuses() == ["failed", "failed"]
    assert smtp_server.messages == []


def test_server_down_loses_nothing(app, smtp_server):
    _queue(2)
    app.extensions["mail"].port = 1  # nothing listens there
    try:
        assert worker.run(drain=True) == 0
    finally:
        app.extensions["mail"].port = app.config["MAIL_PORT"]
    assert _statuses() == ["queued", "queued"]
    assert worker.run(drain=True) == 2
    assert len(smtp_server.messages) == 2


def test_claim_of_a_dead_worker_is_taken_back_after_the_lease(app, smtp_server):
    _queue(1)
    assert worker.claim_batch("dead-worker", 10)
    assert worker.run(drain=True) == 0  # still leased to the dead worker
    delivery = db.session.scalar(db.select(Delivery))
    delivery.claimed_at = utcnow() - timedelta(seconds=app.config["MAIL_CLAIM_LEASE"] + 1)
    db.session.commit()
    assert worker.run(drain=True) == 1
    assert len(smtp_server.messages) == 1
