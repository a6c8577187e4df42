"""Schedule, unschedule, pause, resume and cancel a mailing.

Every transition is one conditional UPDATE on the mailing's status (WHERE status IN the states
it may leave), checked by its row count: of two members of staff clicking at once, or a click
racing the worker, exactly one wins and the other is told the state changed. Scheduling writes
the whole outbox (one Delivery per recipient) in the transaction that flips the status, so a
double click can never queue anyone twice; the unique (mailing, recipient) pair is the last line.

Lock order: the worker's claim locks deliveries, then updates their mailing. Unschedule and
cancel do the same (deliveries first, the mailing row after), so on PostgreSQL neither can hold
what the other waits for; their delivery statements carry the mailing's status as a condition,
and the conditional mailing UPDATE that follows decides, a lost race rolling the whole back.
"""

from datetime import datetime

from sqlalchemy import delete, exists, func, insert, select, text, update

from crm.audit.services import current_actor, record
from crm.db import conflict_raises, utcnow
from crm.extensions import db
from crm.mailings.models import (
    Delivery,
    DeliveryStatus,
    Mailing,
    MailingKind,
    MailingStatus,
    Priority,
)
from crm.mailings.outbox import make_message_id
from crm.mailings.preflight import failures, preflight
from crm.mailings.services import MailingError, StateChanged
from crm.policy.services import unique_slug

S = MailingStatus
UNFINISHED = (S.DRAFT, S.SCHEDULED, S.SENDING, S.PAUSED)
UNSCHEDULABLE = (S.SCHEDULED, S.PAUSED)
# Outbox rows per INSERT: a 60,000-recipient audience never sits in memory as one list.
INSERT_CHUNK = 5_000


class PreflightFailed(MailingError):
    """Scheduling refused: the checks that failed, for the page to list."""

    def __init__(self, failed):
        super().__init__("Not scheduled: " + " ".join(check.message for check in failed))
        self.failed = failed


def _transition(mailing: Mailing, sources, target: str, **values) -> str:
    """Move the mailing from one of `sources` to `target`; returns the state it left."""
    before = mailing.status
    result = db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.status.in_(sources))
        .values(status=target, updated_by_id=current_actor()[0], **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(mailing)
    if result.rowcount != 1:
        raise StateChanged(
            f"Nothing was done: the mailing is {mailing.status} now (it changed meanwhile)."
        )
    return before


def _status_in(mailing_id: int, sources):
    """The mailing is (still) in one of `sources`: a condition for its delivery statements."""
    return exists().where(Mailing.id == mailing_id, Mailing.status.in_(sources))


def delivery_row(mailing: Mailing, row, send_at: datetime, now: datetime) -> dict:
    """The outbox row of one recipient (a row of audiences.recipients()), as the worker will
    render it."""
    return {
        "created_at": now,
        "kind": "mailing",
        "priority": Priority.BULK,
        "to_email": row.email,
        "recipient_key": row.email_key,
        "subject": mailing.subject,
        "text_body": None,
        "html_body": None,
        "headers": None,
        "mailing_id": mailing.id,
        "person_id": row.person_id,
        "merge": {
            "first_name": row.first_name,
            "last_name": row.last_name,
            "organisation": row.organisation,
            "country": row.country,
        },
        "message_id": make_message_id(f"mailing:{mailing.id}:{row.email_key}"),
        "status": DeliveryStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": send_at,
    }


def _queue_recipients(mailing: Mailing, send_at: datetime, now: datetime) -> int:
    """One outbox row per distinct address of the audience, streamed from the audience query
    and inserted INSERT_CHUNK rows at a time (one executemany each). Returns how many."""
    from crm.mailings.audience_models import Audience
    from crm.mailings.audiences import recipients

    audience = db.session.get(Audience, mailing.audience_id)
    stmt = recipients(audience, mailing.purpose)
    if db.engine.dialect.name == "postgresql":
        # A server-side cursor is planned for its first rows (cursor_tuple_fraction 0.1): for
        # the audience query that plan took four minutes for 60,000 rows, the plain one under a
        # second. All rows are wanted: plan for all of them (this transaction only).
        db.session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    # yield_per streams (a server-side cursor on PostgreSQL): the rows arrive a chunk at a time.
    result = db.session.execute(stmt, execution_options={"yield_per": INSERT_CHUNK})
    seen: set[str] = set()
    total = 0
    with conflict_raises(StateChanged("This mailing's recipients were already queued.")):
        for part in result.partitions():
            rows = []
            for row in part:
                key = row.email_key
                # The audience query is distinct per address already; a repeat must not fail
                # the insert, even one in a later chunk.
                if not key or key in seen:
                    continue
                seen.add(key)
                rows.append(delivery_row(mailing, row, send_at, now))
            if rows:
                db.session.execute(insert(Delivery), rows)
                total += len(rows)
    return total


def _publish(mailing: Mailing, send_at: datetime) -> None:
    """A press release gets its public address and publication time when it is scheduled."""
    slug = unique_slug(Mailing, None, mailing.subject, exclude_id=mailing.id)
    published_at = mailing.embargo_until or send_at
    for candidate in (slug, f"{slug}-{mailing.id}"):
        try:
            with conflict_raises(MailingError("slug taken")):
                db.session.execute(
                    update(Mailing)
                    .where(Mailing.id == mailing.id)
                    .values(slug=candidate, published_at=published_at)
                    .execution_options(synchronize_session=False)
                )
            return
        except MailingError:
            continue  # another release took it in the same instant
    raise MailingError("Could not give the press release a web address; try again.")


def schedule(mailing: Mailing, send_at: datetime | None = None, *, now: datetime | None = None):
    """Queue the mailing for every recipient, to leave at `send_at` (None: now). Returns the
    number of deliveries written. PreflightFailed or StateChanged leave the caller to roll back.
    """
    now = now or utcnow()
    when = max(send_at or now, now)
    # First the flip (it locks the row): a second click waits here, then finds no draft.
    _transition(mailing, (S.DRAFT,), S.SCHEDULED, scheduled_at=when, queued_at=now)
    failed = failures(preflight(mailing, send_at=send_at or now, now=now))
    if failed:
        raise PreflightFailed(failed)
    count = _queue_recipients(mailing, when, now)
    if not count:
        raise MailingError("No one in the audience may receive this mailing.", "audience_id")
    db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id)
        .values(recipient_count=count, status_reason=None)
        .execution_options(synchronize_session=False)
    )
    if mailing.kind == MailingKind.PRESS_RELEASE:
        _publish(mailing, when)
    db.session.refresh(mailing)
    record(
        "schedule",
        "mailing",
        mailing.id,
        f"Scheduled mailing {mailing.id} for {count:,} recipients at {when:%Y-%m-%d %H:%M} UTC",
        before={"status": S.DRAFT},
        after={"status": S.SCHEDULED, "scheduled_at": when.isoformat(), "recipients": count},
    )
    return count


def unschedule(mailing: Mailing) -> int:
    """Back to draft while nothing has left: its queued deliveries are deleted. Returns how many.

    The deliveries are deleted first (locking them, as a worker's claim does), then the mailing
    flips, then whatever is left is counted: a claim either committed before (its rows are left
    and the whole change is refused) or finds nothing to claim.
    """
    deleted = db.session.execute(
        delete(Delivery)
        .where(
            Delivery.mailing_id == mailing.id,
            Delivery.status == DeliveryStatus.QUEUED,
            _status_in(mailing.id, UNSCHEDULABLE),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    before = _transition(
        mailing,
        UNSCHEDULABLE,
        S.DRAFT,
        scheduled_at=None,
        queued_at=None,
        recipient_count=0,
        slug=None,
        published_at=None,
        status_reason=None,
    )
    left = db.session.scalar(select(func.count()).where(Delivery.mailing_id == mailing.id))
    if left:
        raise StateChanged(
            "Sending has started: it can no longer go back to draft. Pause or cancel it."
        )
    record(
        "unschedule",
        "mailing",
        mailing.id,
        f"Unscheduled mailing {mailing.id} ({deleted:,} queued deliveries removed)",
        before={"status": before},
        after={"status": S.DRAFT},
    )
    return deleted


def pause(mailing: Mailing) -> None:
    """Stop sending (the worker claims nothing more of it); in-flight messages finish."""
    actor = current_actor()[1]
    before = _transition(
        mailing, (S.SCHEDULED, S.SENDING), S.PAUSED, status_reason=f"Paused by {actor}"[:300]
    )
    record(
        "pause",
        "mailing",
        mailing.id,
        f"Paused mailing {mailing.id}",
        before={"status": before},
        after={"status": S.PAUSED},
    )


def resume(mailing: Mailing, *, now: datetime | None = None) -> str:
    """Sending again: "sending", or "scheduled" when nothing has left and its time is ahead."""
    now = now or utcnow()
    started = db.session.scalar(
        select(
            exists().where(
                Delivery.mailing_id == mailing.id, Delivery.status != DeliveryStatus.QUEUED
            )
        )
    )
    ahead = mailing.scheduled_at is not None and mailing.scheduled_at > now
    target = S.SCHEDULED if ahead and not started else S.SENDING
    _transition(mailing, (S.PAUSED,), target, status_reason=None)
    record(
        "resume",
        "mailing",
        mailing.id,
        f"Resumed mailing {mailing.id}",
        before={"status": S.PAUSED},
        after={"status": target},
    )
    return target


def cancel(mailing: Mailing, *, now: datetime | None = None) -> int:
    """Stop for good: queued deliveries are cancelled in one UPDATE (in-flight ones finish).
    Returns how many were cancelled."""
    now = now or utcnow()
    # Deliveries first (see the module's note on lock order); a lost race on the mailing's
    # status below raises, and the caller's rollback restores them.
    cancelled = db.session.execute(
        update(Delivery)
        .where(
            Delivery.mailing_id == mailing.id,
            Delivery.status == DeliveryStatus.QUEUED,
            _status_in(mailing.id, UNFINISHED),
        )
        .values(status=DeliveryStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    ).rowcount
    before = _transition(mailing, UNFINISHED, S.CANCELLED, finished_at=now)
    record(
        "cancel",
        "mailing",
        mailing.id,
        f"Cancelled mailing {mailing.id} ({cancelled:,} queued deliveries cancelled)",
        before={"status": before},
        after={"status": S.CANCELLED},
    )
    return cancelled
