"""Whatever arrives in the bounce mailbox: raw 8-bit headers, addresses longer than an address
can be, mangled reports. The parser raises nothing but ValueError, the endpoint answers 400 for
what it cannot read (never 500), and the mailbox readers keep a message they cannot get and go
on with the next."""

import contextlib
import imaplib
import poplib
import random

import pytest

from crm.extensions import db
from crm.mailings.audience_models import BounceEvent
from crm.mailings.bounce_sources import read_imap, read_pop3
from crm.mailings.bounces import BounceParseError, parse
from tests.test_bounces import DSN, events, sample
from tests.test_bounces_sources import TOKEN, FakeIMAP, FakePOP3, _post

EIGHT_BIT_DSN = (
    sample("postfix_hard.eml")
    .replace(b"Subject: Undelivered Mail", "Subject: Unzustellbar für Käthe:".encode("latin-1"))
    .replace(b"(Mail Delivery System)", "(Système de messagerie)".encode())
    .replace(
        b"Final-Recipient: rfc822; k.muller@example.de",
        "Final-Recipient: rfc822; k.muller@example.de (Käthe Müller)".encode(),
    )
)
EIGHT_BIT_TEXT = (
    "From: Système de messagerie <MAILER-DAEMON@relay.example.fr>\n"
    "To: bounces@indiemusic.example\n"
    "Subject: Non remis : Nouvelles de l'été\n"
    "Return-Path: <>\n"
    "Message-ID: <8bit-text@relay.example.fr>\n\n"
    "Votre message n'a pas pu être remis à <m.dupont@example.fr> :\n"
    "550 5.1.1 utilisateur inconnu\n"
).encode()
OVERLONG = "x" * 260 + "@example.org"


@pytest.fixture
def api(make_app):
    return make_app(BOUNCE_API_TOKEN=TOKEN).test_client()


def test_raw_8bit_headers_are_read_as_text():
    report = parse(EIGHT_BIT_DSN)
    assert [(r.email, r.kind) for r in report.recipients] == [("k.muller@example.de", "hard")]
    report = parse(EIGHT_BIT_TEXT)
    assert [(r.email, r.kind) for r in report.recipients] == [("m.dupont@example.fr", "hard")]


def test_the_endpoint_takes_raw_8bit_reports(api):
    for raw in (EIGHT_BIT_DSN, EIGHT_BIT_TEXT):
        assert _post(api, raw).status_code == 202
    assert sorted(e.email_key for e in events()) == ["k.muller@example.de", "m.dupont@example.fr"]


def test_an_address_longer_than_an_address_can_be_is_not_read(api):
    dsn = sample("postfix_hard.eml").replace(b"k.muller@example.de", OVERLONG.encode())
    with pytest.raises(BounceParseError):
        parse(dsn)
    text = EIGHT_BIT_TEXT.replace(b"m.dupont@example.fr", OVERLONG.encode())
    for raw in (dsn, text):
        assert _post(api, raw).status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(BounceEvent)) == 0


def test_nuls_are_not_stored(api):
    """PostgreSQL refuses NUL in text: one in a header or the text must not make a 500."""
    raw = EIGHT_BIT_TEXT.replace(b"<8bit-text@", b"<nul\x00byte@")
    raw = raw.replace(b"utilisateur inconnu", b"utilisateur\x00inconnu")
    report = parse(raw)
    assert "\x00" not in report.report_id + report.recipients[0].diagnostic
    assert _post(api, raw).status_code == 202
    [event] = events()
    assert "\x00" not in event.diagnostic + event.report_id


def _mangled(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.4:
            data[at] = rng.randrange(256)
        elif choice < 0.7:
            data[at:at] = rng.choice([b"\r\n", b";", b"=?utf-8?q?=FF?=", b"\xc3", b"\x00", b":"])
        else:
            del data[at : at + rng.randint(1, 200)]
    return bytes(data)


def test_mangled_reports_raise_nothing_but_value_error():
    rng = random.Random(20261121)
    originals = [path.read_bytes() for path in sorted(DSN.iterdir())]
    for _ in range(600):
        raw = _mangled(rng, rng.choice(originals))
        with contextlib.suppress(ValueError):  # anything else fails the test
            parse(raw, "unsubscribe@indiemusic.example")


def test_the_endpoint_never_answers_500(api):
    rng = random.Random(7)
    originals = [path.read_bytes() for path in sorted(DSN.iterdir())]
    for _ in range(60):
        response = _post(api, _mangled(rng, rng.choice(originals)))
        assert response.status_code in (202, 400), response.get_data(as_text=True)


def test_pop3_keeps_a_message_the_server_refuses_and_goes_on(monkeypatch):
    class Refusing(FakePOP3):
        def retr(self, number):
            if number == 1:
                raise poplib.error_proto(b"-ERR message 1 is locked")
            return super().retr(number)

    monkeypatch.setattr(
        FakePOP3, "messages", [sample("postfix_hard.eml"), sample("autoreply.eml")], raising=False
    )
    monkeypatch.setattr(FakePOP3, "instances", [])
    monkeypatch.setattr(poplib, "POP3_SSL", Refusing)
    summary = read_pop3("pop.example.org", "bounces", "secret")
    [server] = FakePOP3.instances
    assert summary.kept == [("message 1", "POP3 error: -ERR message 1 is locked")]
    assert summary.outcomes["ignored"] == 1 and server.deleted == {2}


def test_imap_keeps_a_message_the_server_refuses_and_goes_on(monkeypatch):
    class Refusing(FakeIMAP):
        def uid(self, command, *args):
            if command == "FETCH" and args[0] == b"7":
                raise imaplib.IMAP4.error("FETCH command error: BAD [b'broken']")
            return super().uid(command, *args)

    messages = {b"7": sample("postfix_hard.eml"), b"8": sample("autoreply.eml")}
    monkeypatch.setattr(FakeIMAP, "messages", messages, raising=False)
    monkeypatch.setattr(FakeIMAP, "instances", [])
    monkeypatch.setattr(imaplib, "IMAP4_SSL", Refusing)
    summary = read_imap("imap.example.org", "bounces", "secret")
    [server] = FakeIMAP.instances
    assert [name for name, _ in summary.kept] == ["UID 7"]
    assert server.flags == {b"7": set(), b"8": {"\\Seen"}}
