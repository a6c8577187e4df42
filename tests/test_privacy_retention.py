"""`crm retention`: each kind of stale personal data goes after its configured age, and
--dry-run only counts."""

import os
import time

from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.declarations.models import Signature
from crm.extensions import db
from crm.mailings.audience_models import BounceEvent
from crm.mailings.models import Delivery
from crm.mailings.reports import mailing_report
from crm.members.importing.uploads import upload_folder
from tests.test_declarations_staff import make_declaration, make_signature
from tests.test_privacy_support import days_ago, delivery, mailing


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _run(runner, *extra):
    result = runner.invoke(args=["crm", "retention", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_unconfirmed_signatures_older_than_the_setting_are_deleted(runner, app):
    declaration = make_declaration("retention")
    old = make_signature(declaration, "old@example.org", status="unconfirmed")
    old.created_at = days_ago(31)
    young = make_signature(declaration, "young@example.org", status="unconfirmed")
    young.created_at = days_ago(29)
    confirmed = make_signature(declaration, "kept@example.org")
    confirmed.created_at = days_ago(400)
    db.session.commit()
    assert app.config["SIGNATURE_RETENTION_DAYS"] == 30
    assert "unconfirmed signatures: 1 would be deleted" in _run(runner, "--dry-run")
    assert _count(Signature) == 3
    assert "unconfirmed signatures: 1 deleted" in _run(runner)
    assert set(db.session.scalars(select(Signature.email))) == {
        "young@example.org",
        "kept@example.org",
    }


def test_bodies_of_finished_mail_are_blanked_after_the_setting(runner):
    old_sent = delivery("a@example.org", text_body="reset link", html_body="<a>reset</a>")
    old_sent.status, old_sent.sent_at = "sent", days_ago(91)
    recent = delivery("b@example.org", text_body="recent")
    recent.status, recent.sent_at = "sent", days_ago(10)
    old_queued = delivery("c@example.org", text_body="still waiting")
    old_queued.created_at = days_ago(200)
    old_failed = delivery("d@example.org", text_body="bounced")
    old_failed.status, old_failed.created_at = "failed", days_ago(120)
    db.session.commit()
    assert "finished mail: 2 would be blanked" in _run(runner, "--dry-run")
    assert "finished mail: 2 blanked" in _run(runner)
    db.session.expire_all()
    bodies = {d.id: (d.text_body, d.html_body) for d in db.session.scalars(select(Delivery))}
    assert bodies == {
        old_sent.id: (None, None),
        recent.id: ("recent", None),
        old_queued.id: ("still waiting", None),
        old_failed.id: (None, None),
    }
    assert _count(Delivery) == 4  # the rows stay for the statistics


def test_old_bounce_events_are_deleted(runner, make_app):
    news = mailing()
    for days, key in ((400, "old@example.org"), (100, "new@example.org")):
        db.session.add(
            BounceEvent(email_key=key, kind="hard", mailing_id=news.id, received_at=days_ago(days))
        )
    db.session.commit()
    assert "bounce events: 1 deleted" in _run(runner)
    assert list(db.session.scalars(select(BounceEvent.email_key))) == ["new@example.org"]
    short = make_app(BOUNCE_RETENTION_DAYS=30)
    with short.app_context():  # the CLI runs in the context it finds
        assert "bounce events: 1 deleted" in _run(short.test_cli_runner())
    assert _count(BounceEvent) == 0


def test_import_uploads_left_over_a_day_are_deleted(runner, app):
    folder = upload_folder(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / ("s" * 32 + ".csv"), folder / ("f" * 32 + ".csv")
    for path in (stale, fresh):
        path.write_text("name,country\nLabel,DE\n")
    a_day_ago = time.time() - 25 * 3600
    os.utime(stale, (a_day_ago, a_day_ago))
    try:
        assert "import uploads: 1 would be deleted" in _run(runner, "--dry-run")
        assert stale.exists()
        assert "import uploads: 1 deleted" in _run(runner)
        assert not stale.exists() and fresh.exists()
    finally:
        fresh.unlink(missing_ok=True)


def test_a_run_is_audited_and_a_dry_run_changes_nothing(runner):
    declaration = make_declaration("audited")
    old = make_signature(declaration, "old@example.org", status="unconfirmed")
    old.created_at = days_ago(60)
    db.session.commit()
    _run(runner, "--dry-run")
    assert _count(AuditEvent) == 0
    output = _run(runner)
    assert "bounce events: 0 deleted" in output  # every kind is reported
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention"))
    assert event.after["unconfirmed signatures"] == 1 and event.actor == "cli:retention"


def test_finished_mail_loses_its_address_merge_values_and_headers_but_keeps_its_status(runner):
    news = mailing(status="sent")
    old = delivery(
        "Ann@Example.org",
        mailing_=news,
        merge={"first_name": "Ann"},
        headers={"List-Unsubscribe": "<mailto:u@x.org?subject=ann@example.org>"},
        status="sent",
        sent_at=days_ago(91),
    )
    old_failed = delivery("bo@example.org", mailing_=news, status="failed", last_error="550 no")
    old_failed.created_at = days_ago(100)
    recent = delivery("cy@example.org", mailing_=news, merge={"first_name": "Cy"}, status="sent")
    recent.sent_at = days_ago(10)
    queued = delivery("dee@example.org", mailing_=mailing(), merge={"first_name": "Dee"})
    queued.created_at = days_ago(200)
    db.session.commit()
    assert "finished mail: 2 blanked" in _run(runner)
    db.session.expire_all()
    for item in (old, old_failed):
        assert (item.to_email, item.recipient_key, item.merge, item.headers) == (
            "",
            None,
            None,
            None,
        )
    assert (old.status, old_failed.status) == ("sent", "failed")
    assert (recent.to_email, recent.recipient_key) == ("cy@example.org", "cy@example.org")
    assert (queued.to_email, queued.merge) == ("dee@example.org", {"first_name": "Dee"})
    assert "finished mail: 0 blanked" in _run(runner)  # nothing left to blank
    counts = mailing_report(news.id).counts  # the report counts by status, as before
    assert (counts["sent"], counts["failed"]) == (2, 1)


def test_an_unconfirmed_signatures_confirmation_mail_goes_with_it(runner):
    from crm.mailings.outbox import make_message_id

    declaration = make_declaration("confirm-mail")
    old = make_signature(declaration, "old@example.org", status="unconfirmed")
    old.created_at, old.confirmations_sent = days_ago(31), 2
    young = make_signature(declaration, "young@example.org", status="unconfirmed")
    young.confirmations_sent = 1
    mails = {}
    for signature, number in ((old, 1), (old, 2), (young, 1)):
        key = f"signature-confirm:{signature.id}:{number}"
        mails[signature.email, number] = delivery(
            signature.email, kind="signature-confirm", message_id=make_message_id(key)
        ).id
    other = delivery("old@example.org", subject="Password reset", kind="password-reset").id
    db.session.commit()
    output = _run(runner)
    assert "unconfirmed signatures: 1 deleted" in output
    left = set(db.session.scalars(select(Delivery.id)))
    assert mails["old@example.org", 1] not in left and mails["old@example.org", 2] not in left
    assert {mails["young@example.org", 1], other} <= left
