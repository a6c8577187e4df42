"""The message as the worker writes it: headers encoded and folded as RFC 5322/2047 ask, bodies
as they are when they fit SMTP's line limit and quoted-printable when not, nothing injected."""

from email import message_from_bytes
from email.policy import default

import pytest

from crm.mailings.headers import (
    build_message,
    bulk_headers,
    delivery_ref,
    list_id,
    read_delivery_ref,
    sender_header,
)

LINKS = {
    "unsubscribe_url": "https://crm.example/u/" + "t" * 150,
    "unsubscribe_mailto": "mailto:unsubscribe@crm.example?subject=unsubscribe%20" + "t" * 150,
}


def _build(**overrides):
    values = {
        "sender": sender_header("Indie Music Europe, Press", "press@indiemusic.example"),
        "to": "reader@example.org",
        "subject": "Nouvelles de l'été — numéro 4, avec un sujet assez long pour être plié",
        "message_id": "<abc@indiemusic.example>",
        "text": "Chère lectrice,\n\n.une ligne qui commence par un point\nfin  \n",
        "html": "<p>Chère lectrice</p>",
        "headers": bulk_headers(LINKS, list_id=list_id("press_releases", "Press releases", "x.eu")),
        **overrides,
    }
    raw = build_message(**values)
    return raw, message_from_bytes(raw, policy=default)


def test_headers_and_both_parts_read_back_exactly():
    raw, message = _build()
    assert message["From"] == '"Indie Music Europe, Press" <press@indiemusic.example>'
    assert message["Subject"] == (
        "Nouvelles de l'été — numéro 4, avec un sujet assez long pour être plié"
    )
    assert message["List-Id"] == "Press releases <press-releases.x.eu>"
    assert (
        message["List-Unsubscribe"]
        == f"<{LINKS['unsubscribe_url']}>, <{LINKS['unsubscribe_mailto']}>"
    )
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == "Chère lectrice,\n\n.une ligne qui commence par un point\nfin  \n"
    assert message.get_body(("html",)).get_content().strip() == "<p>Chère lectrice</p>"
    assert raw.isascii()  # without 8BITMIME, everything is 7-bit
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_bodies_go_as_they_are_when_the_server_takes_8bit():
    raw, message = _build(eight_bit=True)
    assert b"Content-Transfer-Encoding: 8bit" in raw and "Chère".encode() in raw
    long_line = "x" * 1200
    raw, message = _build(text=long_line, eight_bit=True)
    assert b"quoted-printable" in raw
    assert message.get_body(("plain",)).get_content().strip() == long_line


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hello\r\nBcc: victim@example.org"},
        {"headers": {"X-Note": "a\nb"}},
        {"headers": {"Bad Name": "x"}},
        {"to": "jürgen@example.org"},
    ],
)
def test_what_cannot_be_sent_safely_is_refused(overrides):
    with pytest.raises(ValueError):
        _build(**overrides)


def test_a_delivery_reference_cannot_be_forged_or_moved():
    ref = delivery_ref(42, "secret")
    assert read_delivery_ref(ref, "secret") == 42
    assert read_delivery_ref(ref, "other secret") is None
    assert read_delivery_ref(ref.replace("42.", "43."), "secret") is None
    for junk in (None, "", "42", "x.y", "²2.abc", "42.é"):
        assert read_delivery_ref(junk, "secret") is None


INJECTION = (
    '\r\n--=_crm-alternative\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n'
    '<a href="https://phish.example">Log in</a>\r\n--=_crm-alternative--\r\n'
)


def _parts(message):
    return [(p.get_content_type(), p.get_content()) for p in message.walk() if not p.is_multipart()]


@pytest.mark.parametrize("eight_bit", [False, True])
def test_a_body_cannot_close_our_part_and_open_its_own(eight_bit):
    raw, message = _build(
        text="Dear Nordlicht" + INJECTION, html="<p>Dear Nordlicht" + INJECTION, eight_bit=eight_bit
    )
    [(plain, text), (html, markup)] = _parts(message)
    assert (plain, html) == ("text/plain", "text/html")
    assert text.startswith("Dear Nordlicht") and "phish.example" in text  # as text, in our part
    assert markup.startswith("<p>Dear Nordlicht")


def test_each_message_has_a_boundary_of_its_own():
    boundaries = {_build()[1].get_boundary() for _ in range(5)}
    assert len(boundaries) == 5 and all(b.startswith("=_crm-") for b in boundaries)
