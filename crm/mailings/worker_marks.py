"""The per-message writes of a batch, on a connection of their own in autocommit mode: each
outcome is one small UPDATE that is committed by the time it returns.

The sent mark is durable by default (MAIL_SYNCHRONOUS_MARKS): its commit waits for the disk
flush (180 to 600 us measured here, more than the SMTP exchange itself), but the worker does not
wait for it: the mark is sent, the next message's envelope goes out meanwhile, and the answer is
read before that message's final dot (sent_later, confirm). With MAIL_SYNCHRONOUS_MARKS off the
commit is only in the server's memory when it returns: a worker killed at any point still loses
nothing, but a crash of the database server itself could forget the last fraction of a second
of marks, and those few messages would be sent again.
"""

import logging
import select as select_module
from datetime import UTC, datetime, timedelta

from flask import current_app
from psycopg import pq
from sqlalchemy import case, select, update

from crm.extensions import db
from crm.mailings.audience_models import Suppression
from crm.mailings.models import Delivery, DeliveryStatus, Mailing
from crm.mailings.worker_claims import MAX_ATTEMPTS, lease_clock

log = logging.getLogger("crm.mailings.worker")
_SENDING = DeliveryStatus.SENDING
# Claims given back after an unexpected error wait this long: a batch that keeps failing is
# tried again a few times, not in a tight loop, and then fails.
ERROR_RETRY = timedelta(seconds=60)
# A delivery cancelled while its message was on the wire was still sent.
_SENT = (
    "UPDATE delivery SET status = 'sent', sent_at = {0}, attempts = attempts + 1,"
    " last_error = NULL WHERE id = {1} AND claimed_by = {2} AND status IN ('sending', 'cancelled')"
)


class Marks:
    """Outcomes of one worker's claimed deliveries; every write is conditional on our claim."""

    def __init__(self, worker: str):
        self.worker = worker
        self.conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.postgres = db.engine.dialect.name == "postgresql"
        if self.postgres and not current_app.config.get("MAIL_SYNCHRONOUS_MARKS"):
            self.conn.exec_driver_sql("SET synchronous_commit TO off")
        self._ours = (Delivery.claimed_by == self.worker,)
        # The sent mark runs once per message: plain SQL on the driver's cursor, prepared by
        # psycopg after a few runs. Through SQLAlchemy the same UPDATE cost 300 us here, on the
        # cursor 55 us (against some 150 us for the SMTP exchange it follows).
        style = ("%(now)s", "%(id)s", "%(worker)s") if self.postgres else (":now", ":id", ":worker")
        self._sent_sql = _SENT.format(*style)
        self._cursor = self.conn.connection.dbapi_connection.cursor()
        # PostgreSQL: the sent mark can be sent without waiting for its answer (see sent_later).
        self._libpq = self.conn.connection.dbapi_connection.pgconn if self.postgres else None
        self._numbered = _SENT.format("$1", "$2", "$3").encode()
        self._awaited: int | None = None

    def close(self) -> None:
        self.confirm()
        self._cursor.close()
        if self.postgres:
            self.conn.exec_driver_sql("RESET synchronous_commit")
        self.conn.close()

    def _update(self, ids, **values) -> list[int]:
        self.confirm()
        if not ids:
            return []
        return list(
            self.conn.scalars(
                update(Delivery)
                .where(Delivery.id.in_(list(ids)), *self._ours, Delivery.status == _SENDING)
                .values(**values)
                .returning(Delivery.id)
            )
        )

    def sent_later(self, delivery_id: int, now: datetime) -> None:
        """Mark sent, without waiting for the database's answer where it can (PostgreSQL): the
        worker builds and starts the next message meanwhile, and calls confirm() before that
        message's final dot, so the mark is committed before the next message can be accepted
        and a crash still resends at most the message on the wire."""
        if self._libpq is None:
            self.sent(delivery_id, now)
            return
        self.confirm()
        params = [now.isoformat().encode(), str(delivery_id).encode(), self.worker.encode()]
        self._libpq.send_query_params(self._numbered, params)
        while self._libpq.flush():
            select_module.select([], [self._libpq.socket], [])
        self._awaited = delivery_id

    def confirm(self) -> None:
        """Wait for the answer to sent_later(); raise if the database refused the mark."""
        delivery_id, self._awaited = self._awaited, None
        if delivery_id is None:
            return
        libpq, results = self._libpq, []
        while True:
            while libpq.is_busy():
                select_module.select([libpq.socket], [], [])
                libpq.consume_input()
            result = libpq.get_result()
            if result is None:
                break
            results.append(result)
        [result] = results
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise RuntimeError(f"sent mark refused: {result.get_error_message()}")
        if result.command_tuples != 1:
            log.warning("delivery %s was sent after its claim was lost", delivery_id)

    def sent(self, delivery_id: int, now: datetime) -> bool:
        """False when the claim was lost while sending (the message may then go twice)."""
        self.confirm()
        if not self.postgres:  # stored as SQLAlchemy stores UTCDateTime on SQLite
            now = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        self._cursor.execute(self._sent_sql, {"now": now, "id": delivery_id, "worker": self.worker})
        return self._cursor.rowcount == 1

    def failed(self, delivery_id: int, attempts: int, error: str) -> None:
        self._update(
            [delivery_id], status=DeliveryStatus.FAILED, attempts=attempts, last_error=error[:500]
        )

    def retry(self, delivery_id: int, attempts: int, error: str, at: datetime) -> None:
        self._update(
            [delivery_id],
            status=DeliveryStatus.QUEUED,
            attempts=attempts,
            last_error=error[:500],
            next_attempt_at=at,
            claimed_at=None,
            claimed_by=None,
        )

    def renew(self, ids, now: datetime | None = None) -> list[int]:
        """Extend the lease of our unsent claims (on the lease clock; `now` is unused);
        returns the ids still ours."""
        return self._update(ids, claimed_at=lease_clock())

    def release(self, ids, error: str | None = None, now: datetime | None = None) -> list[int]:
        """Give claims back: without counting an attempt (we stopped, or the server went away,
        not they failed), or, after an unexpected `error`, counting one and retrying later, so
        a batch that always fails ends failed instead of looping."""
        if error is None:
            return self._update(ids, status=DeliveryStatus.QUEUED, claimed_at=None, claimed_by=None)
        exhausted = Delivery.attempts + 1 >= MAX_ATTEMPTS
        return self._update(
            ids,
            status=case((exhausted, DeliveryStatus.FAILED), else_=DeliveryStatus.QUEUED),
            attempts=Delivery.attempts + 1,
            last_error=error[:500],
            next_attempt_at=(now or datetime.now(UTC)) + ERROR_RETRY,
            claimed_at=None,
            claimed_by=None,
        )

    def cancel(self, ids, reason: str) -> list[int]:
        return self._update(ids, status=DeliveryStatus.CANCELLED, last_error=reason[:500])

    def mailing_statuses(self, mailing_ids) -> dict[int, str]:
        self.confirm()
        if not mailing_ids:
            return {}
        rows = self.conn.execute(
            select(Mailing.id, Mailing.status).where(Mailing.id.in_(list(mailing_ids)))
        )
        return dict(rows.all())

    def suppressed(self, keys: dict[str, str]) -> dict[str, str]:
        """{email_key: sha256} -> {email_key: reason} for the suppressed ones (an erased
        address is only known by its hash)."""
        self.confirm()
        if not keys:
            return {}
        by_hash = {digest: key for key, digest in keys.items()}
        rows = self.conn.execute(
            select(Suppression.email_key, Suppression.email_hash, Suppression.reason).where(
                Suppression.email_key.in_(list(keys)) | Suppression.email_hash.in_(list(by_hash))
            )
        )
        found = {}
        for key, digest, reason in rows:
            found[key if key in keys else by_hash[digest]] = reason
        return found
