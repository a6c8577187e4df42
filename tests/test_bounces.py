"""Bounce parsing on real-world-shaped samples (tests/data/dsn) and what a bounce changes:
one event per report and address however often it is read, the delivery's mark, suppression
of hard bounces and complaints, soft bounces counted, and the mailing's automatic pause."""

from datetime import timedelta
from pathlib import Path

import pytest

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import BounceEvent, Suppression
from crm.mailings.bounce_processing import process_message
from crm.mailings.bounces import BounceParseError, classify, parse
from crm.mailings.models import Delivery, Mailing
from crm.mailings.tokens import unsubscribe_token
from tests.test_mail_worker import make_mailing

DSN = Path(__file__).parent / "data" / "dsn"
UNSUBSCRIBE_ADDRESS = "unsubscribe@indiemusic.example"


def sample(name: str) -> bytes:
    return (DSN / name).read_bytes()


def sent(email: str, message_id: str, *, delivery_id=None, mailing=None, ago=timedelta(hours=1)):
    """A delivery we sent to `email` with `message_id` (in a mailing of its own unless given)."""
    mailing = mailing or make_mailing(0)
    delivery = Delivery(
        id=delivery_id,
        kind="mailing",
        priority=10,
        to_email=email,
        recipient_key=email.lower(),
        subject="News",
        mailing_id=mailing.id,
        message_id=message_id,
        status="sent",
        sent_at=utcnow() - ago,
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery


def events():
    db.session.expire_all()
    return db.session.scalars(db.select(BounceEvent).order_by(BounceEvent.id)).all()


def suppression(email):
    db.session.expire_all()
    return db.session.scalar(db.select(Suppression).where(Suppression.email_key == email))


@pytest.mark.parametrize(
    "name, kind, email, bounce, status, message_id",
    [
        ("postfix_hard.eml", "dsn", "k.muller@example.de", "hard", "5.1.1", "<49a6b28b"),
        ("gmail_hard.eml", "dsn", "ada.lovelace@gmail.com", "hard", "5.1.1", "<d2600a55"),
        ("exchange_hard.eml", "dsn", "j.smith@contoso.com", "hard", "5.1.10", "<84727260"),
        ("postfix_delayed.eml", "dsn", "slow@example.net", "soft", "4.4.1", "<25cc78d5"),
        ("arf_complaint.eml", "complaint", "reader@yahoo.com", "complaint", None, "<75d718fc"),
        ("exim_text_hard.eml", "text", "m.rossi@example.it", "hard", "5.1.1", "<0c5e1f3a"),
        ("qmail_text_soft.eml", "text", "quota@example.fr", "soft", "5.2.2", "<21f81e58"),
    ],
)
def test_samples_are_read_and_classified(name, kind, email, bounce, status, message_id):
    report = parse(sample(name), UNSUBSCRIBE_ADDRESS)
    assert report.kind == kind
    [recipient] = report.recipients
    assert (recipient.email, recipient.kind, recipient.status) == (email, bounce, status)
    assert report.message_id.startswith(message_id)
    assert report.report_id  # the report's own Message-ID


def test_an_auto_reply_is_ignored_even_with_a_status_code_in_its_text():
    report = parse(sample("autoreply.eml"), UNSUBSCRIBE_ADDRESS)
    assert report.kind == "ignored" and report.recipients == []


def test_a_report_without_its_status_part_is_an_error_to_keep():
    with pytest.raises(BounceParseError):
        parse(sample("broken_report.eml"))


@pytest.mark.parametrize("raw", [b"", b"   \n", b"hello there", b"\x00\x01\x02"])
def test_junk_is_not_a_message(raw):
    with pytest.raises(ValueError):
        parse(raw)


@pytest.mark.parametrize(
    "status, action, text, expected",
    [
        ("5.1.1", "failed", "", "hard"),
        ("5.7.1", "failed", "blocked by policy", "hard"),
        ("5.2.2", "failed", "mailbox full", "soft"),  # possibly temporary (RFC 3463)
        ("4.4.1", "failed", "", "soft"),
        ("4.4.1", "delayed", "", "soft"),
        ("2.0.0", "delivered", "", None),
        (None, "relayed", "", None),
        (None, None, "550 5.1.1 user unknown", "hard"),
        (None, None, "550 Requested action not taken: mailbox unavailable", "hard"),
        (None, None, "554 5.7.1 message refused", "soft"),  # not about the address: soft
        (None, None, "421 try again later", "soft"),
        (None, None, "something went wrong", "soft"),  # unknown: soft
    ],
)
def test_classification_is_conservative(status, action, text, expected):
    assert classify(status, action, text) == expected


def test_a_hard_bounce_is_recorded_once_marks_the_delivery_and_suppresses(app):
    delivery = sent("k.muller@example.de", "<49a6b28bf21d79acff1455cfddb76b5e@indiemusic.example>")
    outcome = process_message(sample("postfix_hard.eml"))
    db.session.commit()
    assert (outcome.kind, outcome.recorded) == ("bounce", 1)
    [event] = events()
    assert (event.kind, event.status_code, event.delivery_id) == ("hard", "5.1.1", delivery.id)
    assert event.mailing_id == delivery.mailing_id and "User unknown" in event.diagnostic
    assert db.session.get(Delivery, delivery.id).bounce == "hard"
    entry = suppression("k.muller@example.de")
    assert (entry.reason, entry.source, entry.mailing_id) == (
        "hard_bounce",
        "bounce 5.1.1",
        delivery.mailing_id,
    )
    # The same mailbox read again records nothing twice.
    assert process_message(sample("postfix_hard.eml")).recorded == 0
    db.session.commit()
    assert len(events()) == 1


def test_our_signed_header_finds_the_delivery_whatever_its_message_id(app):
    delivery = sent("ada.lovelace@gmail.com", "<some-other-id@indiemusic.example>", delivery_id=42)
    process_message(sample("gmail_hard.eml"))
    db.session.commit()
    assert events()[0].delivery_id == delivery.id
    assert suppression("ada.lovelace@gmail.com").reason == "hard_bounce"


def test_a_forged_reference_is_not_trusted(app):
    sent("victim@example.org", "<v@indiemusic.example>", delivery_id=42)
    forged = sample("gmail_hard.eml").replace(
        b"42.caadad40c15ba7a7d533", b"42.0000000000000000aaaa"
    )
    forged = forged.replace(b"<d2600a555c070a2e56b660121c4580e5@", b"<unknown@")
    process_message(forged)
    db.session.commit()
    [event] = events()
    assert event.delivery_id is None and event.email_key == "ada.lovelace@gmail.com"
    assert db.session.scalar(db.select(db.func.count()).select_from(Suppression)) == 0


def test_a_complaint_suppresses_and_marks_the_delivery(app):
    delivery = sent("reader@yahoo.com", "<x@indiemusic.example>", delivery_id=43)
    outcome = process_message(sample("arf_complaint.eml"))
    db.session.commit()
    assert outcome.kind == "complaint"
    assert db.session.get(Delivery, delivery.id).bounce == "complaint"
    assert suppression("reader@yahoo.com").reason == "complaint"


def test_a_delay_is_a_soft_bounce_and_suppresses_nothing(app):
    delivery = sent("slow@example.net", "<25cc78d592cd81154fa50364cde6fdec@indiemusic.example>")
    process_message(sample("postfix_delayed.eml"))
    db.session.commit()
    assert [e.kind for e in events()] == ["soft"]
    assert db.session.get(Delivery, delivery.id).bounce == "soft"
    assert suppression("slow@example.net") is None


def _delay_notice(message_id: str, report_id: str) -> bytes:
    raw = sample("postfix_delayed.eml")
    raw = raw.replace(b"<25cc78d592cd81154fa50364cde6fdec@indiemusic.example>", message_id.encode())
    return raw.replace(b"<20261121142011.4Xl9Qs2ZbTz9sXq@", f"<{report_id}@".encode())


def test_soft_bounces_of_three_messages_in_a_month_suppress(app):
    for i in range(3):
        sent("slow@example.net", f"<m{i}@indiemusic.example>")
        process_message(_delay_notice(f"<m{i}@indiemusic.example>", f"r{i}"))
        db.session.commit()
        expected = None if i < 2 else "hard_bounce"
        assert getattr(suppression("slow@example.net"), "reason", None) == expected
    assert suppression("slow@example.net").source == "3 soft bounces in 30 days"


def test_repeated_delay_notices_about_one_message_count_once(app):
    sent("slow@example.net", "<m0@indiemusic.example>")
    for i in range(4):
        process_message(_delay_notice("<m0@indiemusic.example>", f"r{i}"))
        db.session.commit()
    assert len(events()) == 4
    assert suppression("slow@example.net") is None


def test_a_bounce_about_an_address_we_never_mailed_suppresses_nothing(app):
    outcome = process_message(sample("postfix_hard.eml"))
    db.session.commit()
    assert outcome.recorded == 1 and events()[0].delivery_id is None
    assert db.session.scalar(db.select(db.func.count()).select_from(Suppression)) == 0


def test_a_report_without_our_headers_is_recorded_unverified_and_changes_nothing(app):
    delivery = sent("k.muller@example.de", "<not-in-the-report@indiemusic.example>")
    boundary = b"--4Xk2Lr1bQmz9sWp.1763633702/mail.indiemusic.example"
    raw = sample("postfix_hard.eml")
    raw = raw[: raw.index(boundary + b"\nContent-Description: Undelivered")]  # headers cut off
    outcome = process_message(raw + boundary + b"--\n")
    db.session.commit()
    assert outcome.detail == "k.muller@example.de (unverified)"
    [event] = events()
    assert (event.kind, event.email_key) == ("hard", "k.muller@example.de")
    assert event.delivery_id is None and event.mailing_id is None
    assert db.session.get(Delivery, delivery.id).bounce is None
    assert suppression("k.muller@example.de") is None


def test_hard_bounces_pause_a_mailing_that_is_still_sending(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PAUSE_MIN_SAMPLE", 4)
    monkeypatch.setitem(app.config, "MAIL_PAUSE_FAILURE_RATE", 0.25)
    mailing = make_mailing(0, status="sending")
    sent(
        "k.muller@example.de",
        "<49a6b28bf21d79acff1455cfddb76b5e@indiemusic.example>",
        mailing=mailing,
    )
    sent(
        "m.rossi@example.it",
        "<0c5e1f3a9b7d4e2f8a6c1b3d5e7f9a0b@indiemusic.example>",
        mailing=mailing,
    )
    sent("fine1@example.org", "<f1@indiemusic.example>", mailing=mailing)
    sent("fine2@example.org", "<f2@indiemusic.example>", mailing=mailing)
    process_message(sample("postfix_hard.eml"))
    db.session.commit()
    assert db.session.get(Mailing, mailing.id).status == "sending"  # 1 of 4 is the limit
    process_message(sample("exim_text_hard.eml"))
    db.session.commit()
    db.session.expire_all()
    paused = db.session.get(Mailing, mailing.id)
    assert paused.status == "paused" and "2 of 4" in paused.status_reason


def test_a_mailto_unsubscribe_in_the_mailbox_unsubscribes(app):
    token = unsubscribe_token("leaver@example.org", "newsletter", None)
    raw = (
        f"From: Leaver <leaver@example.org>\nTo: {UNSUBSCRIBE_ADDRESS}\n"
        f"Subject: unsubscribe {token}\nMessage-ID: <u1@example.org>\n\n"
    ).encode()
    assert process_message(raw).kind == "unsubscribe"
    db.session.commit()
    entry = suppression("leaver@example.org")
    assert (entry.reason, entry.source) == ("unsubscribed", "mailto")
    # The same subject to another address, or with a token that is not ours, does nothing.
    other = raw.replace(UNSUBSCRIBE_ADDRESS.encode(), b"office@indiemusic.example")
    assert process_message(other).kind == "ignored"
    assert process_message(raw.replace(token.encode(), b"forged")).kind == "ignored"


def test_consent_suppress_is_what_records_the_reason(app):
    """The bounce path goes through consent.suppress (cancelling queued bulk to the address)."""
    make_mailing(1)  # queued to reader0
    sent("reader0@example.org", "<r0@indiemusic.example>")  # an earlier mailing
    raw = _delay_notice("<r0@indiemusic.example>", "hard1").replace(
        b"Action: delayed", b"Action: failed"
    )
    raw = raw.replace(b"Status: 4.4.1", b"Status: 5.1.1").replace(
        b"slow@example.net", b"reader0@example.org"
    )
    process_message(raw)
    db.session.commit()
    assert consent.is_suppressed("reader0@example.org")
    queued = db.session.scalar(
        db.select(Delivery.status).where(
            Delivery.to_email == "reader0@example.org", Delivery.status != "sent"
        )
    )
    assert queued == "cancelled"
