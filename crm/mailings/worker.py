"""The outbox worker: claims due deliveries in batches and sends each batch over one SMTP
connection (worker_batch.py), honouring the send rates.

On PostgreSQL any number of workers claim with FOR UPDATE SKIP LOCKED; on SQLite run one.
A delivery is marked sent in its own commit after the server accepts it (committed before the
next message can be accepted), and that mark is conditional on our claim, so a delivery marked
sent is never sent again and a crash can resend at most the message that was on the wire.

Rates: MAIL_RATE_PER_SECOND paces each worker (a token bucket of one message); before each claim
the deliveries sent in the last hour (and those in flight) are counted against
MAIL_RATE_PER_HOUR, shared by all workers, and no more than what remains is claimed. That count
runs once per batch and only when the hourly limit is set, where batches are seconds apart; on
PostgreSQL the count and the claim hold a transaction-level advisory lock, so two workers
cannot both spend the same remainder.

Staying up: an SMTP server that cannot be reached (or drops the connection before taking a
message) is tried again after a doubling back-off, counting no attempt; any other error of a
batch is logged, its claims given back, and the worker backs off and goes on (with --drain it
exits with the error instead). Mailings are checked for being finished every FINISH_SECONDS,
not only when the queue runs dry, so one whose last deliveries were cancelled elsewhere does
not stay "sending" while the worker is busy with others.
"""

import logging
import os
import socket
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from crm.db import utcnow
from crm.extensions import db
from crm.mailings.models import Delivery, DeliveryStatus
from crm.mailings.smtp import smtp_timeout
from crm.mailings.worker_batch import Batch, send_batch
from crm.mailings.worker_claims import MAX_ATTEMPTS, any_due, claim_batch, finish_mailings

__all__ = ["MAX_ATTEMPTS", "Clock", "SendRate", "claim_batch", "run", "send_batch", "worker_name"]
log = logging.getLogger("crm.mailings.worker")
HOUR = timedelta(hours=1)
FINISH_SECONDS = 5.0
BACKOFF_MAX = 300.0  # seconds: the longest wait for a server (or database) to come back
# pg_advisory_xact_lock key of the hourly budget ("crm-mail" in ASCII).
BUDGET_LOCK = 0x63726D2D6D61696C


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Clock:
    """The worker's only source of time; tests pass one that records sleeps and jumps ahead."""

    def now(self) -> datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, stop=lambda: False) -> None:
        """Sleep, waking early when `stop()` turns true (a SIGTERM must not wait an hour)."""
        end = time.monotonic() + seconds
        while not stop():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.2))


class SendRate:
    """At most `per_second` messages a second from this worker, evenly spaced."""

    def __init__(self, per_second: float, clock: Clock):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self.next_at: float | None = None

    def wait(self, stop=lambda: False) -> bool:
        """Wait for the next slot; False if told to stop meanwhile."""
        if not self.interval:
            return True
        now = self.clock.monotonic()
        if self.next_at is not None and now < self.next_at:
            self.clock.sleep(self.next_at - now, stop)
            if stop():
                return False
            now = max(now, self.clock.monotonic())
        start = now if self.next_at is None else max(now, self.next_at)
        self.next_at = start + self.interval
        return True


def hourly_budget(now: datetime) -> tuple[int | None, float]:
    """(messages all workers may still send this hour or None for no limit, seconds until the
    oldest message in the window leaves it). With a limit on PostgreSQL, this takes the budget's
    advisory lock and leaves the transaction open: the caller claims in it and commits."""
    limit = current_app.config["MAIL_RATE_PER_HOUR"]
    if not limit:
        return None, 0.0
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(BUDGET_LOCK)))
    since = now - HOUR
    used, oldest = db.session.execute(
        select(func.count(), func.min(Delivery.sent_at)).where(
            or_(
                Delivery.status == DeliveryStatus.SENDING,
                (Delivery.status == DeliveryStatus.SENT) & (Delivery.sent_at > since),
            )
        )
    ).one()
    wait = (oldest + HOUR - now).total_seconds() if oldest is not None else 1.0
    return max(0, limit - used), max(wait, 1.0)


def backoff_seconds(failures: int, poll_interval: float) -> float:
    """How long to wait after `failures` failures in a row: doubling from the poll interval
    (at least a second) up to BACKOFF_MAX."""
    return min(max(poll_interval, 1.0) * 2 ** (failures - 1), BACKOFF_MAX)


def check_lease() -> None:
    """Refuse a lease too short to renew and send in; warn when the SMTP timeout is lowered
    to fit the lease (a send waits on up to four replies and must end well within it)."""
    lease = current_app.config["MAIL_CLAIM_LEASE"]
    if lease < 1:
        raise RuntimeError(f"MAIL_CLAIM_LEASE must be at least 1 second (it is {lease})")
    timeout = smtp_timeout(lease)  # at most a tenth of the lease
    if timeout < 5:
        log.warning("MAIL_CLAIM_LEASE=%s s: the SMTP timeout is only %.1f s", lease, timeout)


def run(
    drain: bool = False,
    batch_size: int | None = None,
    poll_interval: float = 2.0,
    stop=lambda: False,
    clock: Clock | None = None,
    name: str | None = None,
) -> int:
    """Send until nothing is due (`drain`) or until `stop()` says so. Returns messages sent.
    With `drain` an unexpected error is raised (after the claims were given back) and an
    unreachable SMTP server ends the run; without it both are waited out."""
    check_lease()
    worker = name or worker_name()
    clock = clock or Clock()
    batch_size = batch_size or current_app.config["MAIL_BATCH_SIZE"]
    rate = SendRate(current_app.config["MAIL_RATE_PER_SECOND"], clock)
    plans: dict = {}  # compiled mailings, reused from batch to batch
    total = down = errors = 0
    finished_at = clock.monotonic() - FINISH_SECONDS
    while not stop():
        try:
            if clock.monotonic() - finished_at >= FINISH_SECONDS:
                finish_mailings(now=clock.now())
                finished_at = clock.monotonic()
            budget, wait = hourly_budget(clock.now())
            if budget == 0:
                db.session.commit()  # lets go of the budget's lock
                if drain and not any_due(clock.now()):
                    return total
                clock.sleep(wait, stop)  # the hour's allowance is spent: wait, even when draining
                continue
            ids = claim_batch(worker, min(batch_size, budget or batch_size), now=clock.now())
            if not ids:
                finish_mailings(now=clock.now())  # e.g. resumed with nothing left to send
                finished_at = clock.monotonic()
                if drain:
                    return total
                clock.sleep(poll_interval, stop)
                continue
            batch = Batch(worker, clock, rate, stop, plans)
            total += batch.send(ids)[0]
        except Exception:
            log.exception("worker %s: the batch failed", worker)
            db.session.rollback()
            if drain:
                raise
            errors += 1
            clock.sleep(backoff_seconds(errors, poll_interval), stop)
            continue
        errors = 0
        if batch.server_down:
            if drain:
                return total
            down += 1
            clock.sleep(backoff_seconds(down, poll_interval), stop)
        else:
            down = 0
    return total
