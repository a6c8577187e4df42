"""Sending one claimed batch over one SMTP connection.

Per message: render (worker_message.py; the mailing was compiled once for the batch), build the
MIME, send, and one autocommit UPDATE conditional on our claim. What would otherwise cost a
query per message is done at checkpoints, at the start and then every CHECK_SECONDS or
CHECK_MESSAGES: one UPDATE renews the leases of the unsent rest, one SELECT reads the mailings'
statuses (a paused mailing's claims are released, a cancelled one's cancelled, without counting
an attempt) and one finds recipients suppressed since scheduling (cancelled). A lost lease is
found at the next checkpoint, and no message is sent on a lease renewed more than a quarter of
its length ago (smtp.smtp_timeout keeps a send within another half).

Outcomes: a 4xx reply is retried later and a 5xx fails that recipient; a lost connection (or a
421) counts no attempt: the message is given back with the rest, and the worker reconnects
after a back-off (worker.py). An unexpected error while building one message retries that
message later; one anywhere else ends the batch and gives its claims back counting an
attempt, so a batch that always fails ends failed instead of looping.
"""

import hashlib
import logging
import smtplib
from contextlib import ExitStack, suppress
from datetime import timedelta

from flask import current_app, has_request_context
from sqlalchemy import Row, select

from crm.extensions import db
from crm.mailings.models import Delivery, DeliveryStatus, Mailing, MailingStatus
from crm.mailings.smtp import Connection
from crm.mailings.worker_claims import (
    MAX_ATTEMPTS,
    SENDABLE,
    database_now,
    finish_mailings,
    pause_failing,
)
from crm.mailings.worker_marks import Marks
from crm.mailings.worker_message import Composer

log = logging.getLogger("crm.mailings.worker")
CHECK_SECONDS = 1.0
CHECK_MESSAGES = 100
RENEW_SHARE = 0.25  # of the lease: renew before a send once this much of it has passed


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2**attempts, 3600))


class ConnectionLost(Exception):
    """The SMTP server went away (or said 421, it is closing): not the message's fault."""


# What a batch reads of each delivery: plain rows, not ORM objects (a hundred a batch).
_COLUMNS = (
    Delivery.id,
    Delivery.mailing_id,
    Delivery.recipient_key,
    Delivery.to_email,
    Delivery.merge,
    Delivery.message_id,
    Delivery.attempts,
    Delivery.headers,
    Delivery.subject,
    Delivery.text_body,
    Delivery.html_body,
    Delivery.claimed_at,
)


class Batch:
    def __init__(self, worker: str, clock, rate=None, stop=None, plans: dict | None = None):
        self.worker, self.clock, self.rate = worker, clock, rate
        self.stop = stop or (lambda: False)
        self.config = current_app.config
        self.composer = Composer(self.config, plans)
        self.pending: dict = {}
        self.touched: set[int] = set()
        self.failing: set[int] = set()  # mailings with failures in this batch
        self.failed_since_check = False
        self.checked_at = self.renewed_at = clock.monotonic()
        self.since_check = 0
        self.marks: Marks | None = None
        self.sent = 0
        # The SMTP server could not be reached or went away: worker.run backs off.
        self.connection_lost = False

    @property
    def server_down(self) -> bool:
        """The server was unreachable or dropped us before taking a single message (one that
        takes some and then closes, as servers do after so many, is only reconnected to)."""
        return self.connection_lost and self.sent == 0

    # --- the batch -------------------------------------------------------------------------

    def send(self, ids: list[int]) -> tuple[int, int]:
        self.marks = Marks(self.worker)
        try:
            self._load(ids)
            self._checkpoint(renew=self.clock.monotonic() - self.renewed_at > 1)
            self._send_all()
        except BaseException as error:
            self._abandon(error)
            raise
        self.marks.release(list(self.pending))  # stopped or disconnected: not their fault
        self.marks.close()
        db.session.commit()  # end the read transaction; the caller sees fresh rows
        finish_mailings(self.touched, now=self.clock.now())
        if self.failing and pause_failing(self.failing):
            db.session.commit()
        return self.sent, len(ids) - self.sent

    def _abandon(self, error: BaseException) -> None:
        """Give the unsent claims back after an error, counting an attempt when the error was
        unexpected. Best effort: with the database gone the claims come back when their lease
        runs out (counting an attempt too)."""
        counted = None if not isinstance(error, Exception) else f"worker error: {error!r}"
        try:
            self.marks.release(list(self.pending), counted, now=self.clock.now())
            self.marks.close()
        except Exception:  # noqa: BLE001 (the original error is what is raised)
            log.warning("claims not given back; they return when their lease runs out")
            with suppress(Exception):
                self.marks.conn.invalidate()
        try:
            db.session.commit()
        except Exception:  # noqa: BLE001
            db.session.rollback()

    def _load(self, ids: list[int]) -> None:
        """Our claims among `ids` (another worker may have taken some back), in sending order,
        and the plan of each of their mailings."""
        rows = db.session.execute(
            select(*_COLUMNS)
            .where(
                Delivery.id.in_(ids),
                Delivery.claimed_by == self.worker,
                Delivery.status == DeliveryStatus.SENDING,
            )
            .order_by(Delivery.priority, Delivery.next_attempt_at, Delivery.id)
        ).all()
        self.pending = {row.id: row for row in rows}
        if rows:  # the lease runs from the oldest claim, on the database's clock
            oldest = min(row.claimed_at for row in rows)
            age = (database_now() - oldest).total_seconds()
            self.renewed_at = self.clock.monotonic() - max(age, 0.0)
        self.touched = {row.mailing_id for row in rows if row.mailing_id is not None}
        mailings = db.session.scalars(select(Mailing).where(Mailing.id.in_(self.touched))).all()
        self.composer.prepare(mailings, self.clock.now())

    def _send_all(self) -> None:
        with ExitStack() as stack:
            if self.touched and not has_request_context():
                # Links are built with url_for, which needs a request to build against.
                stack.enter_context(current_app.test_request_context("/"))
            try:
                connection = stack.enter_context(Connection())
            except (smtplib.SMTPException, OSError) as error:
                log.warning("SMTP connection failed: %s", error)
                self.connection_lost = True
                return
            for delivery_id in list(self.pending):
                if self.stop():
                    break
                if delivery_id not in self.pending:
                    continue  # released, cancelled or lost at a checkpoint
                if self.rate is not None and not self.rate.wait(self.stop):
                    break
                if self._checkpoint_due():
                    self._checkpoint()
                delivery = self.pending.pop(delivery_id, None)
                if delivery is None:
                    continue
                self.since_check += 1
                try:
                    if self._send_one(connection, delivery):
                        self.sent += 1
                except ConnectionLost as error:
                    log.warning("SMTP connection lost: %s", error)
                    self.pending[delivery.id] = delivery  # given back with the rest, uncounted
                    self.connection_lost = True
                    break

    # --- checkpoints -----------------------------------------------------------------------

    def _checkpoint_due(self) -> bool:
        now = self.clock.monotonic()
        return (
            now - self.checked_at >= CHECK_SECONDS
            or self.since_check >= CHECK_MESSAGES
            or now - self.renewed_at >= self.config["MAIL_CLAIM_LEASE"] * RENEW_SHARE
        )

    def _checkpoint(self, renew: bool = True) -> None:
        """Leases, mailing statuses and suppressions of the unsent rest, in three statements."""
        self.checked_at, self.since_check = self.clock.monotonic(), 0
        if renew and self.pending:
            kept = set(self.marks.renew(list(self.pending)))
            self.renewed_at = self.checked_at
            for lost in set(self.pending) - kept:
                log.warning("delivery %s was taken over by another worker", lost)
                del self.pending[lost]
        if self.failed_since_check and pause_failing(self.failing):
            db.session.commit()  # the mailing check below then releases its claims
        self.failed_since_check = False
        self._check_mailings()
        self._check_suppressions()

    def _by_mailing(self) -> dict[int, list[int]]:
        grouped: dict[int, list[int]] = {}
        for d in self.pending.values():
            if d.mailing_id is not None:
                grouped.setdefault(d.mailing_id, []).append(d.id)
        return grouped

    def _check_mailings(self) -> None:
        grouped = self._by_mailing()
        for mailing_id, status in self.marks.mailing_statuses(grouped).items():
            if status in SENDABLE:
                continue
            ids = grouped[mailing_id]
            if status == MailingStatus.CANCELLED:
                self.marks.cancel(ids, "mailing cancelled")
            else:
                self.marks.release(ids)
            for delivery_id in ids:
                del self.pending[delivery_id]

    def _check_suppressions(self) -> None:
        keys = {}
        for d in self.pending.values():
            if d.mailing_id is not None:
                key = d.recipient_key or d.to_email.strip().lower()
                keys[key] = hashlib.sha256(key.encode()).hexdigest()
        found = self.marks.suppressed(keys)
        if not found:
            return
        for d in list(self.pending.values()):
            key = d.recipient_key or d.to_email.strip().lower()
            if d.mailing_id is not None and key in found:
                self.marks.cancel([d.id], f"suppressed: {found[key]}")
                del self.pending[d.id]

    # --- one message -----------------------------------------------------------------------

    def _send_one(self, connection: Connection, delivery: Row) -> bool:
        """Send one delivery and record the outcome. Raises ConnectionLost when the server is
        gone (nothing recorded), and any unexpected error of the send itself (after counting
        an attempt): the connection is then in an unknown state."""
        try:
            envelope, recipient, data = self.composer.message(delivery, connection.eight_bit)
        except (UnicodeError, ValueError, KeyError) as error:
            # The message itself cannot be sent (a line break in a header, an address SMTP
            # cannot carry): retrying would fail the same way.
            self._fail(delivery, f"cannot be sent: {error}")
            return False
        except Exception as error:  # noqa: BLE001 (a bug in one copy must not stop the rest)
            log.exception("delivery %s could not be built", delivery.id)
            self._retry_or_fail(delivery, f"could not be built: {error!r}")
            return False
        try:
            # The previous message's sent mark is confirmed before this one can be accepted.
            connection.send(envelope, recipient, data, before_content=self.marks.confirm)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            self._reply(delivery, code, text)
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            self._reply(delivery, error.smtp_code, error.smtp_error)
        except smtplib.SMTPServerDisconnected as error:
            raise ConnectionLost(str(error) or "disconnected") from error
        except (UnicodeError, ValueError) as error:
            self._fail(delivery, f"cannot be sent: {error}")
        except smtplib.SMTPException as error:
            self._retry_or_fail(delivery, f"SMTP error: {error}")
        except OSError as error:  # after SMTPException, which is one
            raise ConnectionLost(str(error) or error.__class__.__name__) from error
        except Exception as error:
            log.exception("delivery %s: unexpected error while sending", delivery.id)
            self._retry_or_fail(delivery, f"unexpected error: {error!r}")
            raise
        else:
            self.marks.sent_later(delivery.id, self.clock.now())
            return True
        return False

    def _reply(self, delivery: Row, code: int, text) -> None:
        message = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        if code == 421:  # the server is closing the connection: a server problem
            raise ConnectionLost(message)
        if 400 <= code < 500:
            self._retry_or_fail(delivery, message)
        else:
            self._fail(delivery, message)

    def _fail(self, delivery: Row, error: str) -> None:
        self.marks.failed(delivery.id, delivery.attempts + 1, error)
        if delivery.mailing_id is not None:
            self.failing.add(delivery.mailing_id)
            self.failed_since_check = True

    def _retry_or_fail(self, delivery: Row, error: str) -> None:
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            self._fail(delivery, error)
        else:
            self.marks.retry(delivery.id, attempts, error, self.clock.now() + _backoff(attempts))


def send_batch(ids: list[int], worker: str, *, clock=None, rate=None, stop=None, plans=None):
    """Send claimed deliveries over one connection. Returns (sent, not sent)."""
    from crm.mailings.worker import Clock

    return Batch(worker, clock or Clock(), rate, stop, plans).send(ids)
