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
from sqlalchemy import and_, or_, select, update

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
    """Mark up to `size` due deliveries as ours; expired claims of dead workers count as due."""
    now = utcnow()
    lease_expired = now - timedelta(seconds=current_app.config["MAIL_CLAIM_LEASE"])
    due = or_(
        and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.next_attempt_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < lease_expired),
    )
    stmt = select(Delivery.id).where(due).order_by(Delivery.priority, Delivery.id).limit(size)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(stmt))
    if ids:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), due)
            .values(status=DeliveryStatus.SENDING, claimed_at=now, claimed_by=worker)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


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


def _release(ids: list[int]) -> None:
    """Give unsent claims back without counting an attempt (the connection failed, not they)."""
    if ids:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.QUEUED, claimed_at=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def send_batch(ids: list[int]) -> tuple[int, int]:
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
                try:
                    connection.send(build_message(delivery))
                except smtplib.SMTPRecipientsRefused as error:
                    code, text = next(iter(error.recipients.values()))
                    _handle_reply(delivery, code, text)
                except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                    _handle_reply(delivery, error.smtp_code, error.smtp_error)
                except BadHeaderError:
                    _mark(
                        delivery.id,
                        status=DeliveryStatus.FAILED,
                        attempts=delivery.attempts + 1,
                        last_error="a header contains a line break",
                    )
                except (smtplib.SMTPServerDisconnected, OSError) as error:
                    _retry_or_fail(delivery, f"connection lost: {error}")
                    raise
                else:
                    _mark(
                        delivery.id,
                        status=DeliveryStatus.SENT,
                        sent_at=utcnow(),
                        attempts=delivery.attempts + 1,
                        last_error=None,
                    )
                    sent += 1
    except (smtplib.SMTPException, OSError) as error:
        log.warning("SMTP connection failed: %s", error)
        _release(remaining)
        return sent, len(ids) - sent
    return sent, len(ids) - sent


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
        sent, unsent = send_batch(ids)
        total += sent
        if unsent and sent == 0:
            if drain:
                return total
            time.sleep(poll_interval)  # the server is down: do not spin
    return total
