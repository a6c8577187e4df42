"""The worker staying up and honest: an unexpected error in one copy, a batch or the database
does not kill it or strand its claims; --drain is not fooled by a batch that sent nothing; a
restarting SMTP server costs no attempts; mailings are finished on a timer; a dead worker's
claims follow their mailing's status; leases are renewed before a send and measured on one
clock; addresses go out in the form SMTP carries."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import OperationalError

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import consent, worker, worker_batch
from crm.mailings.audience_models import Suppression
from crm.mailings.models import Delivery, Mailing
from crm.mailings.outbox import queue_email
from crm.mailings.rendering import CompiledMailing
from crm.mailings.smtp import Connection
from crm.mailings.worker_marks import Marks
from tests.test_mail_worker import mailing_status, make_mailing, statuses
from tests.test_mail_worker_control import refuse
from tests.test_mail_worker_rates import FakeClock

pytestmark = pytest.mark.smtp


def rows():
    db.session.expire_all()
    return db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()


def stop_after_sleeps(clock, n):
    return lambda: len(clock.sleeps) >= n


# --- unexpected errors (6) ---------------------------------------------------------------------


def test_a_copy_that_cannot_be_built_is_retried_and_the_rest_goes_out(smtp_server, monkeypatch):
    mailing = make_mailing(3)
    real = CompiledMailing.render

    def render(self, merge, links):
        if merge["first_name"] == "Ada1":
            raise RuntimeError("a bug in one copy")
        return real(self, merge, links)

    monkeypatch.setattr(CompiledMailing, "render", render)
    assert worker.run(drain=True) == 2
    broken = rows()[1]
    assert (broken.status, broken.attempts, broken.claimed_by) == ("queued", 1, None)
    assert "RuntimeError('a bug in one copy')" in broken.last_error
    assert broken.next_attempt_at > utcnow()
    assert mailing_status(mailing.id) == "sending"


def test_a_database_blip_is_waited_out_and_the_worker_goes_on(app, smtp_server, monkeypatch):
    queue_email("t@example.org", "Hi", "x", kind="test", key="t")
    db.session.commit()
    real, calls = worker.claim_batch, []

    def flaky_claim(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "claim_batch", flaky_claim)
    clock = FakeClock()
    sent = worker.run(clock=clock, stop=lambda: len(smtp_server.messages) == 1, poll_interval=2)
    assert sent == 1 and clock.sleeps == [2.0]  # backed off once, then went on


def test_with_drain_an_unexpected_error_ends_the_run(smtp_server, monkeypatch):
    queue_email("t@example.org", "Hi", "x", kind="test", key="t")
    db.session.commit()

    def broken_claim(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("database is down"))

    monkeypatch.setattr(worker, "claim_batch", broken_claim)
    with pytest.raises(OperationalError):
        worker.run(drain=True)


def test_a_batch_that_always_fails_counts_attempts_and_ends_failed(smtp_server, monkeypatch):
    queue_email("t@example.org", "Hi", "x", kind="test", key="t")
    db.session.commit()

    def explode(self, renew=True):
        raise RuntimeError("poison")

    monkeypatch.setattr(worker_batch.Batch, "_checkpoint", explode)
    for attempt in range(1, worker.MAX_ATTEMPTS + 1):
        ids = worker.claim_batch("w", 10)
        assert len(ids) == 1
        with pytest.raises(RuntimeError):
            worker.send_batch(ids, "w")
        [row] = rows()
        assert row.attempts == attempt and row.claimed_by is None
        assert "poison" in row.last_error and row.next_attempt_at > utcnow()
        db.session.execute(update(Delivery).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert rows()[0].status == "failed"
    assert smtp_server.messages == []


# --- --drain (7) -------------------------------------------------------------------------------


@pytest.mark.parametrize("reply", ["451 4.7.1 greylisted", "550 5.1.1 no such user"])
def test_drain_goes_on_after_a_batch_that_only_got_refusals(app, smtp_server, reply):
    mailing = make_mailing(4)
    refuse(smtp_server, {"reader0": reply, "reader1": reply})
    assert worker.run(drain=True, batch_size=2) == 2
    assert statuses(mailing.id)[2:] == ["sent", "sent"]


def test_drain_goes_on_after_a_batch_whose_recipients_were_all_skipped(smtp_server):
    mailing = make_mailing(4)
    for email in ("reader0@example.org", "reader1@example.org"):  # suppressed after scheduling
        db.session.execute(
            insert(Suppression).values(
                email_hash=consent.email_hash(email), email_key=email, reason="unsubscribed"
            )
        )
    db.session.commit()
    assert worker.run(drain=True, batch_size=2) == 2
    assert statuses(mailing.id) == ["cancelled", "cancelled", "sent", "sent"]


# --- a server that keeps going away (10) -------------------------------------------------------


def test_a_restarting_server_costs_no_attempts_and_is_retried_with_back_off(smtp_server):
    make_mailing(2)

    async def drop(srv, session, envelope):
        srv.transport.close()
        return "421 closing"

    smtp_server.handle_DATA = drop
    clock = FakeClock()
    assert worker.run(clock=clock, stop=stop_after_sleeps(clock, 10)) == 0
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 300.0, 300.0]
    assert [(r.status, r.attempts, r.claimed_by) for r in rows()] == [("queued", 0, None)] * 2


def test_drain_stops_when_the_server_is_down(app, smtp_server):
    make_mailing(2)
    app.extensions["mail"].port = 1
    try:
        assert worker.run(drain=True) == 0
    finally:
        app.extensions["mail"].port = app.config["MAIL_PORT"]
    assert [(r.status, r.attempts) for r in rows()] == [("queued", 0)] * 2


# --- finishing and dead workers (8) ------------------------------------------------------------


def test_a_busy_worker_still_finishes_mailings_on_a_timer(smtp_server):
    done = make_mailing(1, status="sending")
    for i in range(3):  # transactional mail: claimed first, one per batch
        queue_email(f"t{i}@example.org", "Hi", "x", kind="test", key=f"t{i}")
    db.session.commit()
    clock, cancelled = FakeClock(), []

    def stop():  # time passes; stop before the queue ever runs dry
        clock.offset += 10
        if len(smtp_server.messages) == 1 and not cancelled:  # the last copy, cancelled elsewhere
            cancelled.append(True)
            with db.engine.begin() as conn:
                conn.execute(
                    update(Delivery)
                    .where(Delivery.mailing_id == done.id)
                    .values(status="cancelled")
                )
        return len(smtp_server.messages) >= 3

    worker.run(batch_size=1, clock=clock, stop=stop)
    assert cancelled and mailing_status(done.id) == "sent"


@pytest.mark.parametrize(
    "mailing_state, status, attempts",
    [
        ("cancelled", "cancelled", 0),
        ("paused", "queued", 0),  # given back uncounted, for when it is resumed
        ("sending", "sending", 1),  # taken back counting the lost attempt, and claimed again
    ],
)
def test_a_dead_workers_claims_follow_their_mailing(app, mailing_state, status, attempts):
    mailing = make_mailing(1)
    assert worker.claim_batch("dead", 10)
    db.session.execute(
        update(Delivery).values(
            claimed_at=utcnow() - timedelta(seconds=app.config["MAIL_CLAIM_LEASE"] + 1)
        )
    )
    db.session.execute(update(Mailing).values(status=mailing_state))
    db.session.commit()
    worker.claim_batch("alive", 10)
    [row] = rows()
    assert (row.status, row.attempts) == (status, attempts)
    assert mailing_status(mailing.id) == mailing_state


# --- leases (9) --------------------------------------------------------------------------------


def test_the_lease_is_renewed_before_a_send_once_a_quarter_of_it_has_passed(
    app, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_CLAIM_LEASE", 100)
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_SECOND", 1 / 30)  # 30 s apart: > 100 / 4
    monkeypatch.setattr(worker_batch, "CHECK_SECONDS", 10**6)
    monkeypatch.setattr(worker_batch, "CHECK_MESSAGES", 10**6)
    renewals = []
    real = Marks.renew

    def spy(self, ids, now=None):
        renewals.append(len(smtp_server.messages))
        return real(self, ids, now)

    monkeypatch.setattr(Marks, "renew", spy)
    for i in range(3):
        queue_email(f"t{i}@example.org", "Hi", "x", kind="test", key=f"t{i}")
    db.session.commit()
    assert worker.run(drain=True, clock=FakeClock()) == 3
    assert renewals == [1, 2]  # before the second and the third message


def test_a_send_fits_in_the_lease(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_CLAIM_LEASE", 100)
    with Connection() as connection:
        assert 2 * 4 * connection.smtp.timeout < 100
    monkeypatch.setitem(app.config, "MAIL_CLAIM_LEASE", 3600)
    with Connection() as connection:
        assert connection.smtp.timeout == 60


def test_a_worker_whose_clock_runs_behind_cannot_shorten_its_lease(app):
    queue_email("t@example.org", "Hi", "x", kind="test", key="t")
    db.session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    behind = utcnow() - timedelta(hours=1)
    assert len(worker.claim_batch("slow-clock", 10, now=behind)) == 1
    assert worker.claim_batch("right-clock", 10) == []  # the claim is fresh by the server's clock
    [row] = rows()
    assert row.claimed_by == "slow-clock" and row.attempts == 0


# --- addresses SMTP can carry (11) -------------------------------------------------------------


def test_an_international_domain_goes_out_as_punycode(smtp_server):
    envelopes = []

    async def handle_rcpt(srv, session, envelope, address, options):
        envelopes.append(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handle_RCPT = handle_rcpt
    queue_email("Reader@Exämple.org", "Hi", "x", kind="test", key="idn")
    db.session.commit()
    assert worker.run(drain=True) == 1
    assert envelopes == ["Reader@xn--exmple-cua.org"]
    assert smtp_server.messages[0]["To"] == "Reader@xn--exmple-cua.org"


def test_a_local_part_smtp_cannot_carry_fails_at_once_with_a_clear_error(smtp_server):
    queue_email("jürgen@example.org", "Hi", "x", kind="test", key="utf8")
    db.session.commit()
    assert worker.run(drain=True) == 0
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "local part" in row.last_error and "SMTPUTF8" in row.last_error
