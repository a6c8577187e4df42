"""Each person's main path in a real browser (Debian's Chromium through Playwright), with axe on
every page the path visits: a policy officer logs a meeting with a follow-up and completes it;
a member signs a declaration and registers a Sales Award."""

import os
import time
from datetime import date, timedelta

import pytest

if not os.path.exists("/usr/bin/chromium"):
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium to run the browser tests",
        allow_module_level=True,
    )

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from crm.awards.levels import seed_award_levels  # noqa: E402
from crm.awards.models import AwardRegistration  # noqa: E402
from crm.declarations.models import (  # noqa: E402
    Signature,
)
from crm.extensions import db  # noqa: E402
from crm.policy.models import Action  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import PASSWORD  # noqa: E402
from tests.e2e.conftest import sign_in  # noqa: E402
from tests.test_declarations_staff import make_declaration  # noqa: E402


def test_officer_logs_a_meeting_with_a_follow_up_and_completes_it(live_server, chromium, axe):
    officer = factories.user("officer")
    mep = factories.person(None, email="mep.office@europarl.example", first_name="Ilse")
    db.session.commit()
    page = chromium.new_page()
    sign_in(page, live_server, officer.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe.check(page, "dashboard (officer)")

    page.get_by_role("link", name="Log action").click()
    axe.check(page, "log action form")
    page.get_by_label("Kind").select_option(label="Meeting")
    page.get_by_label("Date", exact=True).fill(date.today().isoformat())
    page.get_by_label("Title").fill("Meeting on the value gap with an MEP's office")
    page.get_by_label("Participants by email").fill(mep.email)
    page.get_by_label("Summary").fill("Walked through our figures on user-upload platforms.")
    page.get_by_label("Follow-up", exact=True).fill("Send the figures as a two-page note")
    due = date.today() + timedelta(days=3)
    page.get_by_label("Follow-up due on").fill(due.isoformat())
    page.get_by_label("Follow-up assigned to").select_option(value=str(officer.id))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Meeting on the value gap with an MEP's office").first).to_be_visible()
    axe.check(page, "action page")

    action = db.session.scalar(select(Action))
    assert action.kind == "meeting" and action.followup_due_on == due
    assert [p.person_id for p in action.participants] == [mep.id]

    page.get_by_role("link", name="My follow-ups").click()
    expect(page.get_by_text("Send the figures as a two-page note")).to_be_visible()
    axe.check(page, "my follow-ups")
    page.get_by_role("button", name="Done").first.click()
    expect(page.get_by_text("Send the figures as a two-page note")).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(Action, action.id).followup_done_at is not None
    axe.assert_clean()


def _open_declaration():
    declaration = make_declaration(
        "fair-digital-deals",
        title="Fair Digital Deals Declaration",
        body="We commit to **transparent accounting** for every artist we work with.",
        signer_kinds="both",
        list_publicly=True,
    )
    db.session.commit()
    return declaration


def test_member_signs_a_declaration_and_registers_an_award(
    live_app, live_server, chromium, axe, smtp_server, app
):
    from crm.mailings import worker

    live_app.config["SIGNATURE_MIN_FILL_SECONDS"] = 1
    seed_award_levels()
    label = factories.organisation("Northern Lights Records", country="SE")
    member = factories.user("member", organisation=label)
    declaration = _open_declaration()
    page = chromium.new_page()
    sign_in(page, live_server, member.email, PASSWORD)
    axe.check(page, "dashboard (member)")

    page.goto(f"{live_server}/declarations/{declaration.slug}")
    axe.check(page, "declaration page (member)")
    page.get_by_role("textbox", name="First name", exact=True).fill("Sofia")
    page.get_by_role("textbox", name="Last name", exact=True).fill("Lind")
    page.get_by_role("textbox", name="Email", exact=True).fill(member.email)
    page.get_by_label("on behalf of my organisation").check()
    page.get_by_role("textbox", name="Organisation", exact=True).fill(label.name)
    page.get_by_role("combobox", name="Country", exact=True).select_option(label="Sweden")
    time.sleep(1.2)
    page.get_by_role("button", name="Sign").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()
    with app.app_context():
        worker.run(drain=True)
    (message,) = [m for m in smtp_server.messages if m["To"] == member.email]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = next(w for w in body.split() if "/confirm/" in w)
    page.goto(link)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_text("your signature is confirmed")).to_be_visible()
    db.session.expire_all()
    signature = db.session.scalar(select(Signature))
    assert signature.status == "confirmed" and signature.signing_as == "organisation"

    page.goto(f"{live_server}/awards/register")
    axe.check(page, "award registration form")
    page.get_by_label("Artist").fill("Aurora Fields")
    page.get_by_label("Title").fill("Winter Lights")
    page.get_by_label("Release date").fill("2025-10-03")
    rows = page.locator("select[name$='-country']")
    rows.nth(0).select_option(value="SE")
    page.locator("input[name$='-units']").nth(0).fill("14000")
    rows.nth(1).select_option(value="NO")
    page.locator("input[name$='-units']").nth(1).fill("9000")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "statement.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
            }
        ]
    )
    page.get_by_role("checkbox").last.check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Winter Lights").first).to_be_visible()
    axe.check(page, "award registration page")
    db.session.expire_all()
    registration = db.session.scalar(select(AwardRegistration))
    assert registration.organisation_id == label.id
    assert registration.total_units == 23_000 and registration.level.name == "Silver"
    axe.assert_clean()
