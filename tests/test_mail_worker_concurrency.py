"""Several workers on one outbox (PostgreSQL), and stopping a worker with SIGTERM."""

import os
import signal
import threading
from collections import Counter

import pytest

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.mailings import worker
from crm.mailings.models import Delivery, Mailing
from crm.mailings.outbox import queue_email
from tests.test_mail_worker import mailing_status, make_mailing, statuses
from tests.test_mail_worker_control import on_message

pytestmark = pytest.mark.smtp


def test_two_workers_never_send_the_same_delivery(app, smtp_server):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL (FOR UPDATE SKIP LOCKED); SQLite runs one")
    mailing = make_mailing(240)
    for i in range(60):
        queue_email(f"t{i}@example.org", "Hello", "x", kind="test", key=f"t:{i}")
    db.session.commit()
    sent, errors = {}, []

    def work(name):
        try:
            with app.app_context():
                sent[name] = worker.run(drain=True, batch_size=7, name=name)
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    counts = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert len(counts) == 300 and set(counts.values()) == {1}
    assert sum(sent.values()) == 300 and all(sent.values()), sent  # every worker took part
    assert set(statuses()) == {"sent"}
    assert mailing_status(mailing.id) == "sent"
    finished = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.action == "finish", AuditEvent.entity_id == mailing.id
        )
    ).all()
    assert len(finished) == 1


def test_sigterm_finishes_the_message_and_releases_the_rest(app, runner, smtp_server):
    mailing = make_mailing(5)
    on_message(smtp_server, 2, lambda: os.kill(os.getpid(), signal.SIGTERM))
    before = signal.getsignal(signal.SIGTERM)
    result = runner.invoke(args=["crm", "worker", "--poll-interval", "0.1"])
    assert result.exit_code == 0, result.output
    assert "sent 2 messages (stopped by a signal)" in result.output
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back
    assert statuses(mailing.id) == ["sent", "sent", "queued", "queued", "queued"]
    released = db.session.scalars(db.select(Delivery).where(Delivery.status == "queued")).all()
    assert all(d.claimed_by is None and d.attempts == 0 for d in released)


def test_worker_command_drains_with_its_options(runner, smtp_server):
    make_mailing(3)
    result = runner.invoke(
        args=["crm", "worker", "--drain", "--batch-size", "2", "--poll-interval", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "sent 3 messages" in result.output
    assert len(smtp_server.messages) == 3


def _postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row and advisory locks need PostgreSQL")


def _in_thread(app, target):
    """Run `target` in an app context of its own; returns (thread, results, errors)."""
    results, errors = [], []

    def work():
        try:
            with app.app_context():
                results.append(target())
        except Exception as error:  # noqa: BLE001 (reported by the assertions)
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    return thread, results, errors


def test_a_first_claim_does_not_wait_for_a_mailing_locked_by_unscheduling(app):
    """Unscheduling or cancelling locks the mailing, then its deliveries; a first claim locks
    deliveries, then would start the mailing. The claim skips a locked mailing instead of
    waiting for it, so the two cannot deadlock."""
    _postgres_only()
    mailing = make_mailing(2)
    with db.engine.connect() as other:
        other.execute(db.text("SET lock_timeout = '10s'"))
        other.execute(db.select(Mailing.id).where(Mailing.id == mailing.id).with_for_update())
        thread, claimed, errors = _in_thread(app, lambda: worker.claim_batch("w", 10))
        thread.join(timeout=5)
        finished_in_time = not thread.is_alive()
        if finished_in_time:  # the other side goes on to the deliveries, as cancel() does
            other.execute(
                db.update(Delivery)
                .where(Delivery.mailing_id == mailing.id, Delivery.status == "queued")
                .values(status="cancelled")
            )
        other.rollback()
        thread.join(timeout=30)
    assert finished_in_time and errors == [] and len(claimed[0]) == 2
    assert mailing_status(mailing.id) == "scheduled"  # not started: finish accepts that
    assert worker.finish_mailings(None) == []  # two in flight still
    db.session.execute(db.update(Delivery).values(status="sent"))
    db.session.commit()
    assert worker.finish_mailings(None) == [mailing.id]


def test_the_hourly_budget_is_counted_and_claimed_under_one_lock(app, smtp_server, monkeypatch):
    _postgres_only()
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_HOUR", 10)
    queue_email("t@example.org", "Hello", "x", kind="test", key="t")
    db.session.commit()
    with db.engine.connect() as other:  # another worker between its count and its claim
        other.execute(db.select(db.func.pg_advisory_xact_lock(worker.BUDGET_LOCK)))
        thread, sent, errors = _in_thread(app, lambda: worker.run(drain=True))
        thread.join(timeout=1)
        waited = thread.is_alive()
        other.rollback()
    thread.join(timeout=30)
    assert waited and errors == [] and sent == [1]
