"""The worker sending mailings: each copy rendered at send time with its recipient's values and
links, the bulk headers parsed back from what a real SMTP server received, mailings moved from
scheduled to sending to sent, and nothing sent for a paused, cancelled or draft mailing."""

from datetime import timedelta

import pytest

from crm.audit.models import AuditEvent
from crm.db import utcnow
from crm.extensions import db
from crm.mailings import worker
from crm.mailings.headers import read_delivery_ref
from crm.mailings.models import Delivery, Mailing, Priority
from crm.mailings.outbox import make_message_id, queue_email
from crm.mailings.tokens import read_unsubscribe_token

pytestmark = pytest.mark.smtp

BODY = (
    "Dear {{ first_name | colleague }},\n\n"
    "News for **{{ organisation }}** in {{ country }}.\n\n"
    ".a line that starts with a dot\n\n"
    "[Unsubscribe]({{ unsubscribe_url }}) · [Preferences]({{ preferences_url }})\n"
)


def make_mailing(n=1, *, status="scheduled", purpose="newsletter", body=BODY, **fields):
    """A mailing with `n` queued deliveries, written directly (not through the scheduler)."""
    now = utcnow()
    mailing = Mailing(
        kind="newsletter",
        purpose=purpose,
        subject=fields.pop("subject", "News for {{ first_name }}"),
        from_name=fields.pop("from_name", "Indie Music Europe"),
        from_email=fields.pop("from_email", "news@indiemusic.example"),
        reply_to=fields.pop("reply_to", "office@indiemusic.example"),
        body=body,
        status=status,
        scheduled_at=now - timedelta(seconds=1),
        **fields,
    )
    db.session.add(mailing)
    db.session.flush()
    for i in range(n):
        key = f"reader{i}@example.org"
        db.session.add(
            Delivery(
                kind="mailing",
                priority=Priority.BULK,
                to_email=key,
                recipient_key=key,
                subject=mailing.subject,
                mailing_id=mailing.id,
                merge={"first_name": f"Ada{i}", "organisation": "Nordlicht", "country": "DE"},
                message_id=make_message_id(f"mailing:{mailing.id}:{key}"),
                next_attempt_at=now - timedelta(seconds=1),
            )
        )
    db.session.commit()
    return mailing


def statuses(mailing_id=None):
    db.session.expire_all()
    query = db.select(Delivery.status).order_by(Delivery.id)
    if mailing_id is not None:
        query = query.where(Delivery.mailing_id == mailing_id)
    return list(db.session.scalars(query))


def mailing_status(mailing_id):
    db.session.expire_all()
    return db.session.get(Mailing, mailing_id).status


@pytest.fixture
def https_links(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://crm.indiemusic.example")


def test_a_copy_carries_its_recipients_values_links_and_bulk_headers(app, smtp_server, https_links):
    mailing = make_mailing(1, subject="Nouvelles de l'été pour {{ first_name }}")
    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    delivery = db.session.scalar(db.select(Delivery))
    assert message["Message-ID"] == delivery.message_id
    assert message["From"] == "Indie Music Europe <news@indiemusic.example>"
    assert message["Reply-To"] == "office@indiemusic.example"
    assert message["To"] == "reader0@example.org"
    assert message["Subject"] == "Nouvelles de l'été pour Ada0"
    https, mailto = (part.strip().strip("<>") for part in message["List-Unsubscribe"].split(","))
    assert https.startswith("https://crm.indiemusic.example/u/")
    assert mailto.startswith("mailto:unsubscribe@indiemusic.example?subject=unsubscribe%20")
    token = https.rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == {
        "e": "reader0@example.org",
        "p": "newsletter",
        "m": mailing.id,
    }
    assert mailto.endswith(token)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Precedence"] == "bulk"
    assert message["List-Id"] == "Newsletter <newsletter.indiemusic.example>"
    assert message["Auto-Submitted"] is None  # people wrote it (RFC 3834)
    assert read_delivery_ref(message["X-CRM-Delivery"], app.config["SECRET_KEY"]) == delivery.id
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Dear Ada0," in text and "News for **Nordlicht** in DE." in text
    assert "\n.a line that starts with a dot" in text.replace("\r\n", "\n")
    assert "<strong>Nordlicht</strong>" in html and https in html and https in text
    assert "{{" not in text + html
    assert mailing_status(mailing.id) == "sent"
    assert db.session.get(Mailing, mailing.id).finished_at is not None


def test_the_message_id_is_the_deliverys_and_stays_the_same_when_resent(smtp_server):
    make_mailing(2)
    expected = set(db.session.scalars(db.select(Delivery.message_id)))
    worker.run(drain=True)
    assert {m["Message-ID"] for m in smtp_server.messages} == expected
    assert expected == {
        make_message_id(f"mailing:{m}:{k}")
        for m, k in db.session.execute(db.select(Delivery.mailing_id, Delivery.recipient_key))
    }


def test_transactional_mail_says_auto_generated_and_carries_no_list_headers(app, smtp_server):
    queue_email("reset@example.org", "Reset", "Your link", kind="reset", key="reset:1")
    db.session.commit()
    worker.run(drain=True)
    [message] = smtp_server.messages
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None and message["Precedence"] is None
    assert read_delivery_ref(message["X-CRM-Delivery"], app.config["SECRET_KEY"]) is not None


def test_first_claim_moves_the_mailing_to_sending_and_the_last_send_to_sent(smtp_server):
    mailing = make_mailing(3)
    ids = worker.claim_batch("w1", 2)
    assert mailing_status(mailing.id) == "sending"
    worker.send_batch(ids, "w1")
    assert mailing_status(mailing.id) == "sending"  # one recipient still queued
    worker.run(drain=True)
    assert mailing_status(mailing.id) == "sent"
    actions = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.entity_type == "mailing")
    ).all()
    assert actions.count("send") == 1 and actions.count("finish") == 1


@pytest.mark.parametrize("status", ["draft", "paused", "cancelled"])
def test_nothing_is_claimed_for_a_mailing_that_is_not_scheduled_or_sending(smtp_server, status):
    mailing = make_mailing(2, status=status)
    queue_email("t@example.org", "Hello", "x", kind="test", key="t")
    db.session.commit()
    assert worker.run(drain=True) == 1
    assert [m["To"] for m in smtp_server.messages] == ["t@example.org"]
    assert statuses(mailing.id) == ["queued", "queued"]
    assert mailing_status(mailing.id) == status


def test_a_mailing_scheduled_for_later_waits(smtp_server):
    mailing = make_mailing(1)
    mailing.scheduled_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert worker.run(drain=True) == 0
    assert statuses(mailing.id) == ["queued"]


def test_transactional_mail_leaves_before_a_mailing(smtp_server):
    make_mailing(3)
    queue_email("reset@example.org", "Reset", "x", kind="reset", key="reset:2")
    db.session.commit()
    worker.run(drain=True)
    assert smtp_server.messages[0]["To"] == "reset@example.org"
    assert len(smtp_server.messages) == 4


def test_a_mailing_is_sent_only_when_nothing_is_queued_or_in_flight(app, smtp_server):
    mailing = make_mailing(2)
    [first, second] = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()
    # Another worker holds the second one (fresh lease): it is in flight.
    second.status, second.claimed_by, second.claimed_at = "sending", "other", utcnow()
    db.session.commit()
    assert worker.run(drain=True) == 1
    assert mailing_status(mailing.id) == "sending"
    # The other worker finishes; the next idle pass of any worker closes the mailing, once.
    db.session.execute(db.update(Delivery).where(Delivery.id == second.id).values(status="sent"))
    db.session.commit()
    assert worker.run(drain=True) == 0
    assert mailing_status(mailing.id) == "sent"
    assert worker.finish_mailings({mailing.id}) == []
    finished = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.action == "finish", AuditEvent.entity_id == mailing.id
        )
    ).all()
    assert len(finished) == 1


def test_a_cancelled_delivery_does_not_keep_the_mailing_open(smtp_server):
    mailing = make_mailing(2)
    db.session.execute(
        db.update(Delivery)
        .where(Delivery.to_email == "reader1@example.org")
        .values(status="cancelled")
    )
    db.session.commit()
    worker.run(drain=True)
    assert statuses(mailing.id) == ["sent", "cancelled"]
    assert mailing_status(mailing.id) == "sent"


def test_a_header_that_cannot_be_sent_fails_that_copy_alone(smtp_server):
    make_mailing(1)
    queue_email("ok@example.org", "Fine", "x", kind="test", key="ok")
    queue_email("bad@example.org", "Fine", "x", kind="test", key="bad", headers={"X-Bad": "a\nb"})
    db.session.commit()
    assert worker.run(drain=True) == 2
    bad = db.session.scalar(db.select(Delivery).where(Delivery.to_email == "bad@example.org"))
    assert bad.status == "failed" and "cannot be sent" in bad.last_error


def test_a_recipients_values_cannot_inject_a_part(smtp_server):
    """An organisation name with CRLF, a boundary and a part of its own: the copy parsed back
    has exactly our two parts, and the name reads as one line of text in them."""
    make_mailing(1)
    delivery = db.session.scalar(db.select(Delivery))
    delivery.merge = {
        "first_name": "Ada",
        "organisation": "Nordlicht\r\n--=_crm-alternative\r\nContent-Type: text/html\r\n\r\n"
        '<a href="https://phish.example">Log in</a>\r\n--=_crm-alternative--\r\n',
        "country": "DE\u2028Bcc",
    }
    db.session.commit()
    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    parts = [p for p in message.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, html = (p.get_content() for p in parts)
    assert "News for **Nordlicht --=_crm-alternative Content-Type: text/html <a href=" in text
    assert "<strong>Nordlicht --=_crm-alternative Content-Type: text/html &lt;a href=" in html
    assert "in DE Bcc." in text
    assert '<a href="https://phish.example">' not in html
