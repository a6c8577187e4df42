"""The outbox worker: claims due deliveries in batches and sends them over one SMTP connection.

On PostgreSQL any number of workers claim with FOR UPDATE SKIP LOCKED; on SQLite run one.
A delivery is marked sent in its own commit right after the server accepts it, so a crash loses
nothing and can resend at most the message that was on the wire.
"""

import logging
import os
import smtplib
import socket
import time
from datetime import timedelta

from flask import current_app
from flask_mail import BadHeaderError, Message
from sqlalchemy import and_, case, or_, select, update

from crm.db import utcnow
from crm.extensions import db, mail
from crm.mailings.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2**attempts, 3600))


def claim_batch(worker: str, size: int) -> list[int]:
    """Mark up to `size` due deliveries as ours and return exactly the ids we got.

    A claim whose lease expired (its worker died mid-batch) counts as due again, and taking it
    back counts an attempt, so a message that kills its worker ends up failed, not looping.
    """
    now = utcnow()
    lease_expired = now - timedelta(seconds=current_app.config["MAIL_CLAIM_LEASE"])
    due = or_(
        and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.next_attempt_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < lease_expired),
    )
    candidates = select(Delivery.id).where(due).order_by(Delivery.priority, Delivery.id).limit(size)
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    reclaimed = case(
        (Delivery.status == DeliveryStatus.SENDING, Delivery.attempts + 1), else_=Delivery.attempts
    )
    # UPDATE ... RETURNING: the ids are the rows this statement changed, not the ones it read.
    ids = list(
        db.session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(candidates.scalar_subquery()), due)
            .values(
                status=DeliveryStatus.SENDING, claimed_at=now, claimed_by=worker, attempts=reclaimed
            )
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    exhausted = _fail_exhausted(ids) if ids else set()
    return [i for i in ids if i not in exhausted]


def _fail_exhausted(ids: list[int]) -> set[int]:
    """Reclaimed deliveries that have used up their attempts are failed instead of sent."""
    rows = db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.attempts >= MAX_ATTEMPTS)
        .values(status=DeliveryStatus.FAILED, last_error="gave up after repeated worker failures")
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    failed = set(rows.scalars())
    db.session.commit()
    return failed


def _still_ours(delivery_id: int, worker: str) -> bool:
    """Renew our claim right before sending; False if another worker has taken it over."""
    result = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == worker,
            Delivery.status == DeliveryStatus.SENDING,
        )
        .values(claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def build_message(delivery: Delivery) -> Message:
    message = Message(
        subject=delivery.subject,
        recipients=[delivery.to_email],
        body=delivery.text_body,
        html=delivery.html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=dict(delivery.headers or {}),
    )
    message.msgId = delivery.message_id
    return message


def _mark(delivery_id: int, **values) -> None:
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _retry_or_fail(delivery: Delivery, error: str) -> None:
    attempts = delivery.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _mark(delivery.id, status=DeliveryStatus.FAILED, attempts=attempts, last_error=error[:500])
    else:
        _mark(
            delivery.id,
            status=DeliveryStatus.QUEUED,
            attempts=attempts,
            last_error=error[:500],
            next_attempt_at=utcnow() + _backoff(attempts),
            claimed_at=None,
            claimed_by=None,
        )


def _release(ids: list[int], worker: str) -> None:
    """Give unsent claims back without counting an attempt (the connection failed, not they)."""
    if ids:
        db.session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.claimed_by == worker,
                Delivery.status == DeliveryStatus.SENDING,
            )
            .values(status=DeliveryStatus.QUEUED, claimed_at=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def send_batch(ids: list[int], worker: str) -> tuple[int, int]:
    """Send claimed deliveries over one connection. Returns (sent, not sent)."""
    sent = 0
    deliveries = db.session.scalars(
        select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.priority, Delivery.id)
    ).all()
    remaining = [d.id for d in deliveries]
    try:
        with mail.connect() as connection:
            for delivery in deliveries:
                remaining.remove(delivery.id)
                if not _still_ours(delivery.id, worker):
                    continue
                if _send_one(connection, delivery):
                    sent += 1
    except (smtplib.SMTPException, OSError) as error:
        log.warning("SMTP connection failed: %s", error)
        _release(remaining, worker)
    return sent, len(ids) - sent


def _send_one(connection, delivery: Delivery) -> bool:
    """Send one delivery and record the outcome. Raises only when the connection is gone."""
    try:
        connection.send(build_message(delivery))
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        _handle_reply(delivery, code, text)
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
        _handle_reply(delivery, error.smtp_code, error.smtp_error)
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        _retry_or_fail(delivery, f"connection lost: {error}")
        raise
    except (BadHeaderError, UnicodeError, ValueError) as error:
        # The message itself cannot be sent (a line break in a header, an address SMTP cannot
        # carry): retrying would fail the same way.
        _mark(
            delivery.id,
            status=DeliveryStatus.FAILED,
            attempts=delivery.attempts + 1,
            last_error=f"cannot be sent: {error!r}"[:500],
        )
    except smtplib.SMTPException as error:
        _retry_or_fail(delivery, f"SMTP error: {error}")
    else:
        _mark(
            delivery.id,
            status=DeliveryStatus.SENT,
            sent_at=utcnow(),
            attempts=delivery.attempts + 1,
            last_error=None,
        )
        return True
    return False


def _handle_reply(delivery: Delivery, code: int, text) -> None:
    message = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if 400 <= code < 500:
        _retry_or_fail(delivery, message)
    else:
        _mark(
            delivery.id,
            status=DeliveryStatus.FAILED,
            attempts=delivery.attempts + 1,
            last_error=message[:500],
        )


def run(
    drain: bool = False,
    batch_size: int | None = None,
    poll_interval: float = 2.0,
    stop=lambda: False,
) -> int:
    """Send until nothing is due (`drain`) or until `stop()` says so. Returns messages sent."""
    worker = worker_name()
    batch_size = batch_size or current_app.config["MAIL_BATCH_SIZE"]
    total = 0
    while not stop():
        ids = claim_batch(worker, batch_size)
        if not ids:
            if drain:
                return total
            time.sleep(poll_interval)
            continue
        sent, unsent = send_batch(ids, worker)
        total += sent
        if unsent and sent == 0:
            if drain:
                return total
            time.sleep(poll_interval)  # the server is down: do not spin
    return total
