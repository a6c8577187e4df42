"""Forged bounces: anyone can write to the bounce mailbox, so only a report quoting what only we
can compute (the signed X-CRM-Delivery header, or the Message-ID keyed by SECRET_KEY) acts on a
delivery. One that names our recipient any other way is recorded, unverified, and changes
nothing: no suppression, no bounce mark, no soft-bounce count, no automatic pause."""

import hashlib

import pytest

from crm.extensions import db
from crm.mailings.audience_models import Suppression
from crm.mailings.bounce_processing import process_message
from crm.mailings.headers import delivery_ref
from crm.mailings.models import Delivery, Mailing
from crm.mailings.outbox import make_message_id
from tests.test_bounces import events, sample, sent
from tests.test_mail_worker import make_mailing

VICTIM = "reader@example.org"


@pytest.fixture
def victim(app, monkeypatch):
    """A real recipient of a mailing that is still sending and would pause at one bounce."""
    monkeypatch.setitem(app.config, "MAIL_PAUSE_MIN_SAMPLE", 1)
    monkeypatch.setitem(app.config, "MAIL_PAUSE_FAILURE_RATE", 0.0)
    mailing = make_mailing(0, status="sending")
    return sent(VICTIM, make_message_id(f"mailing:{mailing.id}:{VICTIM}"), mailing=mailing)


def text_bounce(report_id: str, quoted: str = "") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\n"
        "To: bounces@indiemusic.example\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: <{report_id}@relay.example.net>\n\n"
        f"<{VICTIM}>: host mx.example.org said: 550 5.1.1 User unknown\n\n{quoted}"
    ).encode()


def assert_nothing_changed(delivery):
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Suppression)) == 0
    assert db.session.get(Delivery, delivery.id).bounce is None
    assert db.session.get(Mailing, delivery.mailing_id).status == "sending"
    assert all(e.delivery_id is None and e.mailing_id is None for e in events())


def test_a_forged_plain_text_bounce_naming_a_real_recipient_changes_nothing(victim):
    outcome = process_message(text_bounce("forged-1"))
    db.session.commit()
    assert outcome.detail == f"{VICTIM} (unverified)"
    [event] = events()
    assert (event.kind, event.email_key) == ("hard", VICTIM)  # kept, for a person to see
    assert_nothing_changed(victim)


def test_a_forged_bounce_quoting_a_message_id_anyone_could_compute_changes_nothing(victim):
    # What the Message-ID used to be: a plain digest of the mailing and the address.
    key = f"mailing:{victim.mailing_id}:{VICTIM}"
    guessed = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@indiemusic.example>"
    assert guessed != victim.message_id
    process_message(text_bounce("forged-2", f"Message-ID: {guessed}\nTo: {VICTIM}\n"))
    db.session.commit()
    assert_nothing_changed(victim)


def test_forged_soft_bounces_do_not_add_up_to_a_suppression(victim):
    for i in range(4):
        raw = text_bounce(f"forged-soft-{i}").replace(b"550 5.1.1", b"452 4.2.2 Mailbox full")
        process_message(raw)
        db.session.commit()
    assert [e.kind for e in events()] == ["soft"] * 4
    assert_nothing_changed(victim)


def test_a_bounce_quoting_our_message_id_is_trusted(victim):
    process_message(text_bounce("real-1", f"Message-ID: {victim.message_id}\nTo: {VICTIM}\n"))
    db.session.commit()
    [event] = events()
    assert event.delivery_id == victim.id
    assert db.session.get(Delivery, victim.id).bounce == "hard"
    assert db.session.get(Mailing, victim.mailing_id).status == "paused"


def test_a_bounce_quoting_our_signed_reference_is_trusted(app, victim):
    ref = delivery_ref(victim.id, app.config["SECRET_KEY"])
    raw = sample("gmail_hard.eml").replace(b"42.caadad40c15ba7a7d533", ref.encode())
    raw = raw.replace(b"ada.lovelace@gmail.com", VICTIM.encode())
    process_message(raw)
    db.session.commit()
    assert events()[0].delivery_id == victim.id
    assert db.session.get(Delivery, victim.id).bounce == "hard"


def test_message_ids_are_keyed_by_the_secret(app, monkeypatch):
    first = make_message_id("mailing:1:reader@example.org")
    assert first == make_message_id("mailing:1:reader@example.org")  # deterministic
    assert first != make_message_id("mailing:2:reader@example.org")
    monkeypatch.setitem(app.config, "SECRET_KEY", "another secret")
    assert make_message_id("mailing:1:reader@example.org") != first
