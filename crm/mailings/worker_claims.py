"""The outbox's state changes around sending: claiming due deliveries, taking back dead
workers' claims, moving mailings from scheduled to sending to sent, and pausing a mailing that
fails too often. Each is one conditional statement, so any number of workers can race on it.

Leases are measured by one clock, the database server's on PostgreSQL (`lease_clock()`): a
worker whose own clock runs behind cannot make its claims look old to the others.

Locks: a claim locks deliveries, then (start_mailings) mailings. Whoever locks a mailing first
and then its deliveries (unscheduling, cancelling) would deadlock with it, so start_mailings
skips a mailing that is locked: starting is cosmetic, finish_mailings accepts a scheduled one.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, or_, select, text, update

from crm.audit.services import record
from crm.db import utcnow
from crm.extensions import db
from crm.mailings.models import Delivery, DeliveryStatus, Mailing, MailingStatus

MAX_ATTEMPTS = 8
SENDABLE = (MailingStatus.SCHEDULED, MailingStatus.SENDING)
UNFINISHED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


def lease_clock():
    """Now, for claimed_at and lease comparisons: the database server's clock on PostgreSQL
    (one clock for every worker on every machine); this process's on SQLite (one worker)."""
    return func.now() if db.engine.dialect.name == "postgresql" else utcnow()


def database_now() -> datetime:
    """The value of lease_clock() as a datetime."""
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(select(func.now()))
    return utcnow()


def _lease_expired():
    return lease_clock() - timedelta(seconds=current_app.config["MAIL_CLAIM_LEASE"])


def reclaim_expired(now: datetime | None = None, commit: bool = True) -> None:
    """Put deliveries whose worker vanished back in the queue, counting the lost attempt, so a
    message that kills its worker ends up failed instead of looping. Those of a cancelled
    mailing are cancelled, those of a paused one queued without counting (the worker was not
    sending them when it died, or would have been told to stop). `now` is unused: the lease
    runs on lease_clock()."""
    mailing_status = (
        select(Mailing.status).where(Mailing.id == Delivery.mailing_id).scalar_subquery()
    )
    cancelled = mailing_status == MailingStatus.CANCELLED
    paused = mailing_status == MailingStatus.PAUSED
    exhausted = Delivery.attempts + 1 >= MAX_ATTEMPTS
    db.session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < _lease_expired())
        .values(
            status=case(
                (cancelled, DeliveryStatus.CANCELLED),
                (paused, DeliveryStatus.QUEUED),
                (exhausted, DeliveryStatus.FAILED),
                else_=DeliveryStatus.QUEUED,
            ),
            last_error=case(
                (cancelled, "mailing cancelled"),
                (paused, Delivery.last_error),
                (exhausted, "gave up after repeated worker failures"),
                else_=Delivery.last_error,
            ),
            claimed_at=None,
            claimed_by=None,
            attempts=case((or_(cancelled, paused), Delivery.attempts), else_=Delivery.attempts + 1),
        )
        .execution_options(synchronize_session=False)
    )
    if commit:
        db.session.commit()


def relaxed_commit() -> None:
    """On PostgreSQL, let this transaction commit without waiting for the disk, as the sent
    marks do (see worker_marks.py): a claim lost in a database crash only returns its rows to
    the queue."""
    if db.engine.dialect.name == "postgresql" and not current_app.config["MAIL_SYNCHRONOUS_MARKS"]:
        db.session.execute(text("SET LOCAL synchronous_commit TO off"))


def _due(now: datetime):
    sendable = select(Mailing.id).where(
        Mailing.status.in_(SENDABLE),
        or_(Mailing.scheduled_at.is_(None), Mailing.scheduled_at <= now),
    )
    return and_(
        Delivery.status == DeliveryStatus.QUEUED,
        Delivery.next_attempt_at <= now,
        or_(Delivery.mailing_id.is_(None), Delivery.mailing_id.in_(sendable)),
    )


def any_due(now: datetime) -> bool:
    """Whether a claim now would find anything."""
    found = db.session.scalar(select(exists().where(_due(now))))
    db.session.commit()
    return bool(found)


def claim_batch(worker: str, size: int, now: datetime | None = None) -> list[int]:
    """Mark up to `size` due deliveries as ours and return exactly the ids we got.

    Due: queued, its time come, and either transactional or of a mailing that is scheduled or
    sending (never a draft, paused or cancelled one). Transactional mail first; within a
    priority by due time, which is the order of the due index, so the scan stops at `size`.
    """
    now = now or utcnow()
    relaxed_commit()
    reclaim_expired(commit=False)
    due = _due(now)
    candidates = (
        select(Delivery.id)
        .where(due)
        .order_by(Delivery.priority, Delivery.next_attempt_at, Delivery.id)
        .limit(size)
    )
    if db.engine.dialect.name == "postgresql":
        # A CTE, not `id IN (subquery)`: PostgreSQL may rescan an IN subquery once per row, and
        # each rescan skips the rows this statement has just locked and takes the next ones, so
        # LIMIT 2 claimed 3. A CTE with FOR UPDATE runs exactly once.
        # The rows it returns are locked, and still due (FOR UPDATE checks them again), so the
        # UPDATE only looks them up by key: any condition on status there let the planner, short
        # of statistics on a freshly queued mailing, scan every due row once per picked row.
        picked = candidates.with_for_update(skip_locked=True, of=Delivery).cte("picked")
        chosen = Delivery.id == picked.c.id
    else:
        chosen = and_(Delivery.id.in_(candidates.scalar_subquery()), due)
    # UPDATE ... RETURNING: the ids are the rows this statement changed, not the ones it read.
    rows = db.session.execute(
        update(Delivery)
        .where(chosen)
        .values(status=DeliveryStatus.SENDING, claimed_at=lease_clock(), claimed_by=worker)
        .returning(Delivery.id, Delivery.mailing_id)
        .execution_options(synchronize_session=False)
    ).all()
    start_mailings({mailing_id for _, mailing_id in rows if mailing_id is not None}, commit=False)
    db.session.commit()  # one commit for the whole claim
    return [delivery_id for delivery_id, _ in rows]


def start_mailings(mailing_ids: set[int], commit: bool = True) -> None:
    """Scheduled -> sending, once, by whichever worker claims a mailing's first delivery. On
    PostgreSQL a mailing locked by someone else is left as it is (see the module docstring);
    a later claim starts it, or finish_mailings finishes it from scheduled."""
    if not mailing_ids:
        return
    chosen = and_(Mailing.id.in_(mailing_ids), Mailing.status == MailingStatus.SCHEDULED)
    if db.engine.dialect.name == "postgresql":
        free = (
            select(Mailing.id).where(chosen).with_for_update(skip_locked=True).cte("free_mailing")
        )
        chosen = Mailing.id == free.c.id
    started = db.session.scalars(
        update(Mailing)
        .where(chosen)
        .values(status=MailingStatus.SENDING)
        .returning(Mailing.id)
        .execution_options(synchronize_session=False)
    ).all()
    for mailing_id in started:
        record("send", "mailing", mailing_id, "Mailing started sending")
    if commit:
        db.session.commit()


def finish_mailings(mailing_ids: set[int] | None = None, now: datetime | None = None) -> list[int]:
    """Mark sent the mailings (these, or all in progress) none of whose deliveries is queued or
    in flight. One conditional UPDATE: two workers finishing together mark it once."""
    if mailing_ids is not None and not mailing_ids:
        return []
    unfinished = exists().where(Delivery.mailing_id == Mailing.id, Delivery.status.in_(UNFINISHED))
    condition = and_(Mailing.status.in_(SENDABLE), ~unfinished)
    if mailing_ids is not None:
        condition = and_(condition, Mailing.id.in_(mailing_ids))
    finished = db.session.scalars(
        update(Mailing)
        .where(condition)
        .values(status=MailingStatus.SENT, finished_at=now or utcnow())
        .returning(Mailing.id)
        .execution_options(synchronize_session=False)
    ).all()
    for mailing_id in finished:
        record("finish", "mailing", mailing_id, "Mailing sent to every recipient it could reach")
    db.session.commit()
    return list(finished)


def failure_counts(mailing_ids: set[int]) -> dict[int, tuple[int, int]]:
    """mailing id -> (failed + hard-bounced, processed = sent + failed)."""
    sent = Delivery.status == DeliveryStatus.SENT
    failed = Delivery.status == DeliveryStatus.FAILED
    rows = db.session.execute(
        select(
            Delivery.mailing_id,
            func.sum(case((failed, 1), (and_(sent, Delivery.bounce == "hard"), 1), else_=0)),
            func.sum(case((or_(sent, failed), 1), else_=0)),
        )
        .where(Delivery.mailing_id.in_(mailing_ids))
        .group_by(Delivery.mailing_id)
    )
    return {mailing_id: (int(bad or 0), int(done or 0)) for mailing_id, bad, done in rows}


def pause_failing(mailing_ids: set[int]) -> list[int]:
    """Pause the mailings whose failure rate passed MAIL_PAUSE_FAILURE_RATE once at least
    MAIL_PAUSE_MIN_SAMPLE recipients were processed: a bad list or a blocked sender should not
    burn through the whole audience. The caller commits."""
    if not mailing_ids:
        return []
    threshold = current_app.config["MAIL_PAUSE_FAILURE_RATE"]
    sample = current_app.config["MAIL_PAUSE_MIN_SAMPLE"]
    paused = []
    for mailing_id, (bad, done) in sorted(failure_counts(mailing_ids).items()):
        if done < max(sample, 1) or bad / done <= threshold:
            continue
        reason = (
            f"Paused automatically: {bad} of {done} recipients failed or hard-bounced "
            f"({bad / done:.0%}; the limit is {threshold:.0%}). Check the list and the sender, "
            "then resume."
        )
        result = db.session.execute(
            update(Mailing)
            .where(Mailing.id == mailing_id, Mailing.status.in_(SENDABLE))
            .values(status=MailingStatus.PAUSED, status_reason=reason[:300])
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            record(
                "pause",
                "mailing",
                mailing_id,
                reason,
                after={"status": MailingStatus.PAUSED, "failed": bad, "processed": done},
            )
            paused.append(mailing_id)
    return paused
