"""A visitor signs a declaration in a real browser (Debian's Chromium, driven by Playwright),
confirms from the emailed link and sees the count go up; axe checks each public page."""

import os
import re
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests",
        allow_module_level=True,
    )

from playwright.sync_api import expect  # noqa: E402

from crm.declarations.models import (  # noqa: E402
    Signature,
)
from crm.extensions import db  # noqa: E402
from crm.mailings import worker  # noqa: E402
from tests.test_declarations_staff import make_declaration, make_signature  # noqa: E402


def _declaration():
    """An open declaration with two confirmed signatures already (one listed publicly)."""
    declaration = make_declaration(
        "fair-play-online",
        title="Fair Play Online Declaration",
        body="We commit to **clear royalty statements** for every artist.",
        signer_kinds="both",
        list_publicly=True,
    )
    for n, listed in enumerate((True, False)):
        make_signature(
            declaration,
            f"earlier{n}@signers.example",
            first_name="Earlier",
            last_name=f"Signer{n}",
            country="FR",
            list_publicly=listed,
        )
    db.session.commit()
    return declaration


def _count(page) -> int:
    return int(page.locator(".declaration-count strong").first.inner_text().strip())


def test_visitor_signs_confirms_and_is_counted(live_server, chromium, axe, smtp_server, app):
    declaration = _declaration()
    page = chromium.new_page()

    page.goto(f"{live_server}/declarations/{declaration.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fair Play Online Declaration")
    before = _count(page)
    assert before == 2
    axe.check(page, "declaration page")

    page.get_by_role("textbox", name="First name", exact=True).fill("Nadia")
    page.get_by_role("textbox", name="Last name", exact=True).fill("Visser")
    page.get_by_role("textbox", name="Email", exact=True).fill("Nadia.Visser@Indie-Label.example")
    page.get_by_label("as an individual").check()
    page.get_by_role("textbox", name="Organisation", exact=True).fill("Indie Label")
    page.get_by_role("combobox", name="Country", exact=True).select_option(label="Netherlands")
    page.get_by_label("List my name publicly among the signatories").check()
    time.sleep(1.2)  # a person takes longer than the form's least fill time
    page.get_by_role("button", name="Sign").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()

    with app.app_context():
        sent = worker.run(drain=True)
    assert sent == 1
    (message,) = smtp_server.messages
    assert message["To"] == "Nadia.Visser@Indie-Label.example"
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/confirm/\S+", body).group(0)
    assert link.startswith(live_server)

    page.goto(link)
    button = page.get_by_role("button", name="Confirm my signature")
    expect(button).to_be_visible()
    axe.check(page, "confirmation page")
    button.click()
    expect(page.get_by_text("your signature is confirmed")).to_be_visible()
    assert _count(page) == before + 1

    page.goto(f"{live_server}/declarations/{declaration.slug}")
    assert _count(page) == before + 1

    page.goto(f"{live_server}/declarations/{declaration.slug}/signatories")
    expect(page.get_by_text("Nadia Visser")).to_be_visible()
    expect(page.get_by_text("Earlier Signer0")).to_be_visible()
    assert page.get_by_text("Earlier Signer1").count() == 0  # did not agree to be listed
    axe.check(page, "signatories page")

    db.session.expire_all()
    signature = db.session.scalar(
        db.select(Signature).where(Signature.email_key == "nadia.visser@indie-label.example")
    )
    assert signature.status == "confirmed"
    axe.assert_clean()


def test_embedded_form_too_quick_then_signed(live_app, live_server, chromium, smtp_server, app):
    """The embed posts to its own endpoint (no CSRF token, a short-lived stamp instead); a
    submission faster than the least fill time is shown again with a message, not dropped."""
    # Stamps count whole seconds: a margin well above the time the browser takes to fill.
    live_app.config["SIGNATURE_MIN_FILL_SECONDS"] = 3
    declaration = _declaration()
    page = chromium.new_page()
    page.goto(f"{live_server}/declarations/{declaration.slug}/embed")
    page.get_by_role("textbox", name="First name", exact=True).fill("Jonas")
    page.get_by_role("textbox", name="Last name", exact=True).fill("Berg")
    page.get_by_role("textbox", name="Email", exact=True).fill("jonas@embed.example")
    page.get_by_role("button", name="Sign").click()  # at once, like browser autofill
    expect(page.get_by_text("That was quick")).to_be_visible()
    expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_value(
        "jonas@embed.example"
    )
    time.sleep(3.2)
    page.get_by_role("button", name="Sign").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()
    db.session.expire_all()
    signature = db.session.scalar(
        db.select(Signature).where(Signature.email_key == "jonas@embed.example")
    )
    assert signature is not None and signature.status == "unconfirmed"
