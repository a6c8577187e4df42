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


def test_a_slow_worker_whose_lease_expired_does_not_send_twice(app, smtp_server):
    _queue(2)
    first = worker.claim_batch("slow-worker", 10)
    assert len(first) == 2
    db.session.execute(
        db.update(Delivery).values(
            claimed_at=utcnow() - timedelta(seconds=app.config["MAIL_CLAIM_LEASE"] + 1)
        )
    )
    db.session.commit()
    second = worker.claim_batch("fast-worker", 10)
    assert sorted(second) == sorted(first)
    # The slow worker wakes up and tries its old batch: every row is someone else's now.
    assert worker.send_batch(first, "slow-worker") == (0, 2)
    assert worker.send_batch(second, "fast-worker") == (2, 0)
    assert len(smtp_server.messages) == 2


def test_claims_return_only_rows_this_worker_got():
    _queue(3)
    a = worker.claim_batch("a", 10)
    b = worker.claim_batch("b", 10)
    assert len(a) == 3 and b == []


def test_an_unsendable_address_fails_alone_and_the_rest_go_out(smtp_server):
    queue_email("jürgen@exämple.org", "Hello", "x", kind="test", key="bad")
    _queue(2)
    assert worker.run(drain=True) == 2
    bad = db.session.scalar(db.select(Delivery).where(Delivery.to_email.startswith("j")))
    db.session.refresh(bad)
    assert bad.status == "failed" and "cannot be sent" in bad.last_error
    assert len(smtp_server.messages) == 2


def test_a_message_that_keeps_killing_its_worker_is_eventually_failed(app):
    _queue(1)
    for _ in range(worker.MAX_ATTEMPTS + 1):  # the first claim is not a retry
        db.session.execute(
            db.update(Delivery).values(
                claimed_at=utcnow() - timedelta(seconds=app.config["MAIL_CLAIM_LEASE"] + 1)
            )
        )
        db.session.commit()
        worker.claim_batch("doomed", 10)  # claimed, then the worker "dies"
    assert _statuses() == ["failed"]


def test_a_claim_takes_no_more_than_asked():
    # PostgreSQL once rescanned `id IN (subquery LIMIT n FOR UPDATE SKIP LOCKED)` per row and
    # claimed more than n; the claim now runs its pick once.
    _queue(5)
    assert len(worker.claim_batch("w", 2)) == 2
    assert _statuses().count("sending") == 2
    assert len(worker.claim_batch("w", 10)) == 3


def test_sent_marks_are_durable_by_default(app, make_app):
    """MAIL_SYNCHRONOUS_MARKS defaults to on: a sent mark survives a database server crash."""
    from crm.mailings.worker_marks import Marks

    assert app.config["MAIL_SYNCHRONOUS_MARKS"] is True
    if db.engine.dialect.name != "postgresql":
        return
    marks = Marks("w")
    try:
        setting = marks.conn.exec_driver_sql("SHOW synchronous_commit").scalar()
    finally:
        marks.close()
    assert setting == "on"
    fast = make_app(MAIL_SYNCHRONOUS_MARKS=False)
    with fast.app_context():
        marks = Marks("w")
        try:
            assert marks.conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        finally:
            marks.close()
