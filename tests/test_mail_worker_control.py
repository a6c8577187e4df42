"""The worker under control: pause, resume and cancel within a batch, suppression after
scheduling, 4xx retried and 5xx failed per recipient (with and without SMTP pipelining), a lost
lease noticed before the next send, and the automatic pause of a failing mailing."""

import smtplib

import pytest
from sqlalchemy import insert, update

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.mailings import consent, worker, worker_batch
from crm.mailings.audience_models import Suppression
from crm.mailings.models import Delivery, Mailing
from tests.test_mail_worker import mailing_status, make_mailing, statuses

pytestmark = pytest.mark.smtp


def on_message(server, number, action):
    """Run `action` (in the SMTP server's thread) when the server accepts message `number`."""
    original = server.handle_DATA

    async def handle_data(srv, session, envelope):
        reply = await original(srv, session, envelope)
        if len(server.messages) == number:
            action()
        return reply

    server.handle_DATA = handle_data


def refuse(server, replies: dict):
    """Answer RCPT for the given local parts with the given replies."""

    async def handle_rcpt(srv, session, envelope, address, options):
        reply = replies.get(address.split("@")[0])
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    server.handle_RCPT = handle_rcpt


@pytest.fixture(params=["plain", "pipelining"])
def smtp(request, smtp_server, monkeypatch):
    """The loopback server, as is and advertising PIPELINING (then sendmail is never used)."""
    if request.param == "pipelining":

        async def handle_ehlo(srv, session, envelope, hostname, responses):
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

        smtp_server.handle_EHLO = handle_ehlo

        def no_sendmail(*args, **kwargs):
            raise AssertionError("pipelined sending should not call sendmail")

        monkeypatch.setattr(smtplib.SMTP, "sendmail", no_sendmail)
    return smtp_server


@pytest.fixture
def check_every_message(monkeypatch):
    monkeypatch.setattr(worker_batch, "CHECK_MESSAGES", 1)


def _set_status(engine, mailing_id, status):
    with engine.begin() as conn:
        conn.execute(update(Mailing).where(Mailing.id == mailing_id).values(status=status))


def test_pause_stops_within_the_batch_and_resume_sends_the_rest(smtp, check_every_message):
    mailing = make_mailing(6)
    on_message(smtp, 2, lambda engine=db.engine: _set_status(engine, mailing.id, "paused"))
    assert worker.run(drain=True) == 2
    assert statuses(mailing.id) == ["sent", "sent"] + ["queued"] * 4
    released = db.session.scalars(db.select(Delivery).where(Delivery.status == "queued")).all()
    assert all(d.attempts == 0 and d.claimed_by is None for d in released)  # no attempt counted
    assert mailing_status(mailing.id) == "paused"
    _set_status(db.engine, mailing.id, "sending")
    assert worker.run(drain=True) == 4
    assert mailing_status(mailing.id) == "sent"
    assert len({m["Message-ID"] for m in smtp.messages}) == 6 == len(smtp.messages)


def test_a_pause_is_noticed_by_time_as_well(smtp_server, monkeypatch):
    monkeypatch.setattr(worker_batch, "CHECK_SECONDS", 0.0)
    mailing = make_mailing(4)
    on_message(smtp_server, 1, lambda engine=db.engine: _set_status(engine, mailing.id, "paused"))
    assert worker.run(drain=True) == 1


def test_cancel_within_the_batch_cancels_the_rest(smtp_server, check_every_message):
    mailing = make_mailing(4)
    on_message(
        smtp_server, 1, lambda engine=db.engine: _set_status(engine, mailing.id, "cancelled")
    )
    assert worker.run(drain=True) == 1
    assert statuses(mailing.id) == ["sent"] + ["cancelled"] * 3
    assert mailing_status(mailing.id) == "cancelled"
    assert worker.run(drain=True) == 0


def test_an_address_suppressed_before_sending_is_never_claimed(smtp_server):
    mailing = make_mailing(3)
    consent.suppress("reader1@example.org", "unsubscribed", source="test")
    db.session.commit()
    assert worker.run(drain=True) == 2
    assert statuses(mailing.id) == ["sent", "cancelled", "sent"]
    assert mailing_status(mailing.id) == "sent"


def test_an_address_suppressed_while_its_batch_is_sending_is_skipped(
    smtp_server, check_every_message
):
    mailing = make_mailing(3)

    def unsubscribe_reader2(engine=db.engine):
        with engine.begin() as conn:
            conn.execute(
                insert(Suppression).values(
                    email_hash=consent.email_hash("reader2@example.org"),
                    email_key="reader2@example.org",
                    reason="unsubscribed",
                )
            )

    on_message(smtp_server, 1, unsubscribe_reader2)
    assert worker.run(drain=True) == 2
    assert statuses(mailing.id) == ["sent", "sent", "cancelled"]
    skipped = db.session.scalar(db.select(Delivery).where(Delivery.to_email.startswith("reader2")))
    assert skipped.status == "cancelled" and skipped.last_error == "suppressed: unsubscribed"
    assert "reader2@example.org" not in [m["To"] for m in smtp_server.messages]


def test_transactional_mail_ignores_suppression(smtp_server):
    from crm.mailings.outbox import queue_email

    consent.suppress("reader0@example.org", "unsubscribed", source="test")
    queue_email("reader0@example.org", "Your reset link", "x", kind="reset", key="r")
    db.session.commit()
    assert worker.run(drain=True) == 1


def test_4xx_is_retried_later_and_5xx_fails_that_recipient(smtp, app):
    mailing = make_mailing(3)
    refuse(smtp, {"reader1": "451 4.7.1 greylisted", "reader2": "550 5.1.1 no such user"})
    assert worker.run(drain=True) == 1
    db.session.expire_all()
    rows = {d.to_email: d for d in db.session.scalars(db.select(Delivery))}
    later = rows["reader1@example.org"]
    assert later.status == "queued" and later.attempts == 1 and "451" in later.last_error
    assert rows["reader2@example.org"].status == "failed"
    assert "550" in rows["reader2@example.org"].last_error
    assert mailing_status(mailing.id) == "sending"  # one is still queued
    refuse(smtp, {})
    db.session.execute(update(Delivery).values(next_attempt_at=later.created_at))
    db.session.commit()
    assert worker.run(drain=True) == 1
    assert mailing_status(mailing.id) == "sent"


def test_a_lease_taken_over_is_noticed_before_the_next_send(smtp_server, check_every_message):
    mailing = make_mailing(4)

    def take_over(engine=db.engine):  # the rest of the batch, while reader0's is on the wire
        with engine.begin() as conn:
            conn.execute(
                update(Delivery)
                .where(Delivery.status == "sending", Delivery.to_email != "reader0@example.org")
                .values(claimed_by="another-worker")
            )

    on_message(smtp_server, 1, take_over)
    ids = worker.claim_batch("slow", 10)
    assert worker.send_batch(ids, "slow") == (1, 3)
    assert len(smtp_server.messages) == 1
    assert statuses(mailing.id) == ["sent", "sending", "sending", "sending"]


def test_a_mailing_that_fails_too_often_pauses_itself(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PAUSE_MIN_SAMPLE", 4)
    monkeypatch.setitem(app.config, "MAIL_PAUSE_FAILURE_RATE", 0.25)
    mailing = make_mailing(10)
    refuse(smtp_server, {f"reader{i}": "550 5.1.1 no such user" for i in range(10)})
    worker.run(drain=True, batch_size=4)
    assert statuses(mailing.id).count("failed") == 4
    assert statuses(mailing.id).count("queued") == 6
    db.session.expire_all()
    paused = db.session.get(Mailing, mailing.id)
    assert paused.status == "paused" and "4 of 4" in paused.status_reason
    event = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.action == "pause", AuditEvent.entity_id == mailing.id
        )
    )
    assert event is not None and event.actor == "system"


def test_a_failure_rate_at_the_limit_does_not_pause(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PAUSE_MIN_SAMPLE", 4)
    monkeypatch.setitem(app.config, "MAIL_PAUSE_FAILURE_RATE", 0.25)
    mailing = make_mailing(4)
    refuse(smtp_server, {"reader0": "550 5.1.1 no such user"})
    worker.run(drain=True)
    assert mailing_status(mailing.id) == "sent"


def test_too_few_processed_recipients_do_not_pause(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PAUSE_MIN_SAMPLE", 50)
    mailing = make_mailing(3)
    refuse(smtp_server, {f"reader{i}": "550 5.1.1 no such user" for i in range(3)})
    worker.run(drain=True)
    assert mailing_status(mailing.id) == "sent"  # every recipient was processed


def test_the_automatic_pause_takes_effect_within_the_batch(
    app, smtp_server, monkeypatch, check_every_message
):
    monkeypatch.setitem(app.config, "MAIL_PAUSE_MIN_SAMPLE", 4)
    monkeypatch.setitem(app.config, "MAIL_PAUSE_FAILURE_RATE", 0.25)
    mailing = make_mailing(10)
    refuse(smtp_server, {f"reader{i}": "550 5.1.1 no such user" for i in range(10)})
    worker.run(drain=True)  # one batch of 10
    assert statuses(mailing.id) == ["failed"] * 4 + ["queued"] * 6
    assert mailing_status(mailing.id) == "paused"


def test_a_connection_lost_mid_batch_loses_nothing(smtp_server):
    from crm.db import utcnow

    original, dropped = smtp_server.handle_DATA, []

    async def drop_second_once(srv, session, envelope):
        if len(smtp_server.messages) == 1 and not dropped:
            dropped.append(envelope)
            srv.transport.close()  # the server goes away while the second is on the wire
            return "421 closing"
        return await original(srv, session, envelope)

    smtp_server.handle_DATA = drop_second_once
    mailing = make_mailing(3)
    ids = worker.claim_batch("w", 10)
    assert worker.send_batch(ids, "w") == (1, 2)
    rows = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()
    assert [r.status for r in rows] == ["sent", "queued", "queued"]
    # The server's fault, not the messages': both given back at once, no attempt counted.
    for row in rows[1:]:
        assert (row.attempts, row.claimed_by, row.last_error) == (0, None, None)
        assert row.next_attempt_at <= utcnow()
    assert mailing_status(mailing.id) == "sending"
    assert worker.run(drain=True) == 2
    assert mailing_status(mailing.id) == "sent"
