"""Communications staff compose, preview, test-send and send a press release and read it in the
development mailbox; a visitor leaves the list with one click from that mail. A real browser
(Debian's Chromium through Playwright) with axe on every page visited."""

import os
import re
import smtplib
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

if not os.path.exists("/usr/bin/chromium"):
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium to run the browser tests",
        allow_module_level=True,
    )

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from crm.extensions import db  # noqa: E402
from crm.mailings import audience_services, consent, worker  # noqa: E402
from crm.mailings.audience_models import Suppression  # noqa: E402
from crm.mailings.models import Delivery, Mailing  # noqa: E402
from crm.mailings.sink import start_sink  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import PASSWORD, _free_port  # noqa: E402
from tests.e2e.conftest import sign_in  # noqa: E402


@pytest.fixture
def dev_sink(tmp_path, monkeypatch):
    """The development SMTP sink `make run` starts, writing to a mailbox folder of this test."""
    folder = tmp_path / "mailbox"
    port = _free_port()
    controller = start_sink(str(folder), port=port)
    monkeypatch.setattr(smtplib.SMTP, "_crm_allowed", True, raising=False)
    try:
        yield folder, port
    finally:
        controller.stop()


@pytest.fixture
def live_app(make_app, dev_sink):
    folder, port = dev_sink
    return make_app(
        WTF_CSRF_ENABLED=True, DEV_MAILBOX=True, DEV_MAILBOX_DIR=str(folder), MAIL_PORT=port
    )


def _press_list():
    """A static press list of two journalists who accept press releases."""
    audience = audience_services.create_audience({"name": "Press list — test", "kind": "static"})
    people = []
    for first, email in (("Marta", "marta@press.example"), ("Jules", "jules@news.example")):
        person = factories.person(None, email=email, first_name=first)
        db.session.flush()
        consent.record_consent(
            person,
            "press_releases",
            True,
            basis="consent",
            source="press sign-up form",
            wording_version="press-2026-1",
        )
        people.append(person)
    audience_services.add_people(audience, [p.id for p in people])
    db.session.commit()
    return audience, people


def _drain(live_app) -> int:
    with live_app.app_context():
        return worker.run(drain=True)


def _messages(folder: Path) -> list:
    return [
        message_from_bytes(p.read_bytes(), policy=default) for p in sorted(folder.glob("*.eml"))
    ]


def test_comms_sends_a_press_release_and_a_reader_unsubscribes(
    live_app, live_server, chromium, axe, dev_sink
):
    folder, _port = dev_sink
    comms = factories.user("comms")
    audience, (marta, _jules) = _press_list()
    page = chromium.new_page()
    sign_in(page, live_server, comms.email, PASSWORD)

    page.goto(f"{live_server}/mailings")
    axe.check(page, "mailings list")
    page.get_by_role("link", name="New press release").click()
    axe.check(page, "new mailing form")
    page.get_by_label("Subject").fill("Independents welcome the vote on reduced VAT for music")
    page.get_by_label("From name").fill("Indie Music Europe press office")
    page.get_by_label("Audience").select_option(value=str(audience.id))
    body = page.get_by_label("Body (Markdown with merge fields)")
    body.fill(
        "Dear {{ first_name | colleague }},\n\nToday's vote lets member states apply a reduced "
        "VAT rate to recorded music.\n\n[Unsubscribe]({{ unsubscribe_url }})"
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Independents welcome the vote on reduced VAT for music"
    )
    axe.check(page, "mailing page")
    mailing = db.session.scalar(select(Mailing))

    page.goto(f"{live_server}/mailings/{mailing.id}/preview?person_id={marta.id}")
    expect(page.get_by_text("Dear Marta").first).to_be_visible()
    axe.check(page, "preview")

    page.goto(f"{live_server}/mailings/{mailing.id}")
    page.get_by_label(re.compile("Send a test to")).fill("desk@indiemusic.example")
    page.get_by_role("button", name="Send test").click()
    assert _drain(live_app) == 1
    page.goto(f"{live_server}/dev/mailbox")
    axe.check(page, "dev mailbox")
    page.get_by_role("link", name=re.compile(r"\[TEST\] Independents welcome")).click()
    expect(page.get_by_text("desk@indiemusic.example").first).to_be_visible()
    axe.check(page, "dev mailbox message")

    page.goto(f"{live_server}/mailings/{mailing.id}")
    page.get_by_label("Send now").check()
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text(re.compile("scheduled", re.I)).first).to_be_visible()
    assert _drain(live_app) == 2
    db.session.expire_all()
    assert db.session.get(Mailing, mailing.id).status == "sent"
    page.goto(f"{live_server}/mailings/{mailing.id}/report")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe.check(page, "mailing report")
    page.goto(f"{live_server}/mailings/audiences")
    axe.check(page, "audiences")
    page.goto(f"{live_server}/mailings/audiences/{audience.id}")
    expect(page.get_by_text("marta@press.example").first).to_be_visible()
    axe.check(page, "audience page")

    sent = [m for m in _messages(folder) if m["To"] == marta.email]
    assert len(sent) == 1
    message = sent[0]
    assert "List-Unsubscribe=One-Click" in message["List-Unsubscribe-Post"]
    unsubscribe_url = re.search(r"<(https?://[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert unsubscribe_url.startswith(live_server)
    assert "Dear Marta" in message.get_body(preferencelist=("plain",)).get_content()

    page.goto(f"{live_server}/press")
    expect(
        page.get_by_text("Independents welcome the vote on reduced VAT for music")
    ).to_be_visible()
    axe.check(page, "public press page")
    page.get_by_role("link", name="Independents welcome the vote on reduced VAT for music").click()
    axe.check(page, "press release page")

    # The reader, not logged in: the link from the mail, one click on the button.
    reader = chromium.new_page()
    reader.goto(unsubscribe_url)
    expect(reader.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    axe.check(reader, "unsubscribe page")
    db.session.expire_all()
    assert db.session.scalar(select(Suppression)) is None  # opening the page changes nothing
    reader.get_by_role("button", name="Unsubscribe").click()
    expect(reader.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    axe.check(reader, "unsubscribed page")
    reader.get_by_role("link", name="Manage your preferences").click()
    axe.check(reader, "preference centre")
    db.session.expire_all()
    entry = db.session.scalar(select(Suppression))
    assert entry.email_key == marta.email and entry.reason == "unsubscribed"
    assert entry.mailing_id == mailing.id
    assert db.session.scalar(select(Delivery).where(Delivery.to_email == marta.email)) is not None
    axe.assert_clean()
