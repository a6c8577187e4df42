"""Send rates, checked on an injected clock (no test waits in wall time): per second for each
worker, per hour across all workers."""

from datetime import timedelta

import pytest

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import worker
from crm.mailings.models import Delivery
from crm.mailings.outbox import queue_email

pytestmark = pytest.mark.smtp


class FakeClock:
    """Time stands still until the worker sleeps; each sleep is recorded and jumps ahead."""

    def __init__(self):
        self.start = utcnow() + timedelta(seconds=5)  # what the test queues next is due
        self.offset = 0.0
        self.sleeps = []

    def now(self):
        return self.start + timedelta(seconds=self.offset)

    def monotonic(self):
        return self.offset

    def sleep(self, seconds, stop=lambda: False):
        self.sleeps.append(round(seconds, 6))
        self.offset += seconds


def _queue(n, prefix="t"):
    for i in range(n):
        queue_email(f"{prefix}{i}@example.org", "Hi", "x", kind="test", key=f"{prefix}:{i}")
    db.session.commit()


def test_per_second_rate_spaces_the_messages(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_SECOND", 10)
    _queue(5)
    clock = FakeClock()
    assert worker.run(drain=True, clock=clock) == 5
    assert clock.sleeps == [0.1] * 4
    assert len(smtp_server.messages) == 5


def test_no_rate_means_no_waiting(smtp_server):
    _queue(3)
    clock = FakeClock()
    assert worker.run(drain=True, clock=clock) == 3
    assert clock.sleeps == []


def test_the_send_rate_carries_over_from_one_batch_to_the_next(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_SECOND", 2)
    _queue(4)
    clock = FakeClock()
    assert worker.run(drain=True, batch_size=2, clock=clock) == 4
    assert clock.sleeps == [0.5] * 3


def test_hourly_rate_is_shared_and_waits_for_the_window(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_HOUR", 3)
    clock = FakeClock()
    # Another worker sent one ten minutes ago: two remain for this hour.
    earlier = queue_email("early@example.org", "Hi", "x", kind="test", key="early")
    earlier.status, earlier.sent_at = "sent", clock.now() - timedelta(minutes=10)
    _queue(5)
    assert worker.run(drain=True, clock=clock) == 5
    # 2 sent, wait 50 min for the early one to leave the hour, 1 sent, 10 min, the last 2.
    assert clock.sleeps == [3000.0, 600.0]
    sent_at = sorted(db.session.scalars(db.select(Delivery.sent_at)))
    for moment in sent_at:
        window = [t for t in sent_at if moment <= t < moment + timedelta(hours=1)]
        assert len(window) <= 3
    assert len(smtp_server.messages) == 5


def test_messages_in_flight_count_against_the_hour(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_HOUR", 2)
    _queue(3)
    clock = FakeClock()
    assert len(worker.claim_batch("other-worker", 1, now=clock.now())) == 1  # in flight there
    # One slot left: one message, then an hour's wait for it to leave the window, then the
    # last one. The other worker's claim is still in flight (its lease runs on the database's
    # clock, which the fake clock does not move) and still counts.
    assert worker.run(drain=True, clock=clock) == 2
    assert clock.sleeps == [3600.0]
    assert sorted(db.session.scalars(db.select(Delivery.status))) == ["sending", "sent", "sent"]
