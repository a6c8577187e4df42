"""Composing mailings: drafts, merge fields, preview as a chosen recipient, sanitising, test
sends that really arrive (with List-Unsubscribe), the web version and PDF attachments.

The helpers at the top are shared by the other test_mailings_* modules."""

import itertools
import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from crm.audit.models import AuditEvent
from crm.db import utcnow
from crm.extensions import db
from crm.mailings import services, worker
from crm.mailings.audience_models import Audience, AudienceEntry, Consent
from crm.mailings.models import Delivery, Mailing, MailingAttachment, MailingKind, Priority
from crm.mailings.tokens import web_version_token
from tests import factories

_lists = itertools.count(1)
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


# --- helpers shared by the mailing tests -----------------------------------------------------


def people(n, purpose=None, org=None, **fields):
    """`n` people at one organisation; with `purpose`, each has granted consent to it."""
    org = org or factories.organisation(country="FR")
    made = [factories.person(org, **fields) for _ in range(n)]
    if purpose:
        for person in made:
            db.session.add(
                Consent(
                    person_id=person.id,
                    purpose=purpose,
                    granted=True,
                    basis="consent",
                    granted_at=utcnow(),
                    source="test",
                )
            )
    db.session.flush()
    return made


def static_audience(members, name=None):
    audience = Audience(name=name or f"Test list {next(_lists)}", kind="static", filters={})
    db.session.add(audience)
    db.session.flush()
    db.session.add_all(AudienceEntry(audience_id=audience.id, person_id=p.id) for p in members)
    db.session.flush()
    return audience


def draft(audience=None, *, kind=MailingKind.NEWSLETTER, tested=True, **fields):
    """A draft ready to schedule (a test counted as sent) unless told otherwise."""
    data = {
        "kind": kind,
        "purpose": "",
        "subject": "Hello {{ first_name | friend }}",
        "from_name": "Indie Music Europe",
        "from_email": "press@indiemusic.example",
        "audience_id": audience.id if audience else None,
        "body": "Dear {{ first_name }} at {{ organisation }},\n\nNews.\n\n" + services.FOOTER,
        **fields,
    }
    mailing = services.create_mailing(data)
    if tested:
        mailing.test_sent_at = utcnow()
    db.session.commit()
    return mailing


def reachable_draft(n=3, *, kind=MailingKind.NEWSLETTER, **fields):
    """A tested draft whose audience reaches `n` people who consented to its purpose."""
    purpose = services.DEFAULT_PURPOSES[kind]
    audience = static_audience(people(n, purpose))
    return draft(audience, kind=kind, **fields)


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


# --- drafts ----------------------------------------------------------------------------------


def test_new_mailing_form_starts_with_footer_links_and_default_sender(client, login_as):
    login_as("officer")
    page = client.get("/mailings/new?kind=press_release").get_data(as_text=True)
    for field in ("unsubscribe_url", "preferences_url", "web_version_url"):
        assert "{{ " + field + " }}" in page
    assert "noreply@indiemusic.example" in page
    assert 'selected value="press_release"' in page
    # The merge fields are listed beside the editor.
    assert "{{ first_name | colleague }}" in page and "{{ organisation }}" in page


def test_officer_creates_a_draft_with_the_kinds_default_purpose(client, login_as):
    login_as("officer")
    response = client.post(
        "/mailings/new",
        data={
            "kind": "press_release",
            "purpose": "",
            "subject": "Reduced VAT on music",
            "from_name": "Press office",
            "from_email": "press@indiemusic.example",
            "body": "Text {{ unsubscribe_url }}",
            "timezone": "Europe/Brussels",
            "embargo_at": "2099-03-01T09:30",
            "audience_id": "0",
            "campaign_id": "0",
        },
    )
    assert response.status_code == 302
    mailing = db.session.scalar(db.select(Mailing))
    assert (mailing.kind, mailing.purpose, mailing.status) == (
        "press_release",
        "press_releases",
        "draft",
    )
    # Typed in Brussels' winter time (UTC+1), stored in UTC.
    assert mailing.embargo_until.isoformat() == "2099-03-01T08:30:00+00:00"
    assert db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.entity_type == "mailing", AuditEvent.action == "create"
        )
    )


def test_embargo_is_refused_for_a_newsletter(client, login_as):
    login_as("comms")
    response = client.post(
        "/mailings/new",
        data={
            "kind": "newsletter",
            "subject": "x",
            "from_name": "x",
            "from_email": "x@example.org",
            "body": "x",
            "timezone": "UTC",
            "embargo_at": "2099-03-01T09:30",
        },
    )
    assert response.status_code == 200
    assert "Only press releases have an embargo." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Mailing)) is None


def test_bad_form_input_shows_field_errors(client, login_as):
    login_as("comms")
    response = client.post(
        "/mailings/new",
        data={"kind": "nonsense", "from_email": "not an address", "audience_id": "abc"},
    )
    assert response.status_code == 200
    assert db.session.scalar(db.select(Mailing)) is None


def test_edit_clears_the_test_mark_and_is_refused_once_scheduled(client, login_as):
    login_as("officer")
    mailing = reachable_draft()
    form = {
        "kind": "newsletter",
        "subject": "Changed subject",
        "from_name": "x",
        "from_email": "x@example.org",
        "body": mailing.body,
        "audience_id": str(mailing.audience_id),
        "timezone": "UTC",
    }
    assert client.post(f"/mailings/{mailing.id}/edit", data=form).status_code == 302
    mailing = fresh(Mailing, mailing.id)
    assert mailing.subject == "Changed subject" and mailing.test_sent_at is None
    db.session.execute(db.update(Mailing).values(status="scheduled"))
    db.session.commit()
    response = client.post(f"/mailings/{mailing.id}/edit", data={**form, "subject": "Again"})
    assert response.status_code == 302
    assert fresh(Mailing, mailing.id).subject == "Changed subject"


def test_edit_service_refuses_a_mailing_scheduled_meanwhile():
    mailing = reachable_draft()
    # Another tab scheduled it after this one loaded the draft.
    db.session.execute(db.update(Mailing).values(status="scheduled"))
    with pytest.raises(services.StateChanged):
        services.update_mailing(mailing, {"kind": "newsletter", "subject": "late edit"})
    db.session.rollback()
    assert fresh(Mailing, mailing.id).subject.startswith("Hello")


# --- preview ---------------------------------------------------------------------------------


def test_preview_renders_merge_fields_for_the_chosen_recipient(client, login_as):
    login_as("officer")
    org = factories.organisation("Nordlicht Tonträger", country="DE")
    (ada,) = people(1, "newsletter", org=org, first_name="Ada")
    mailing = draft(static_audience([ada]))
    page = client.get(f"/mailings/{mailing.id}/preview?person_id={ada.id}").get_data(as_text=True)
    assert "Hello Ada" in page  # subject
    assert "Dear Ada at Nordlicht Tonträger" in page  # the text part
    assert f"preview.html?person_id={ada.id}" in page
    frame = client.get(f"/mailings/{mailing.id}/preview.html?person_id={ada.id}")
    html = frame.get_data(as_text=True)
    assert "<p>Dear Ada at Nordlicht Tonträger,</p>" in html
    with client.application.test_request_context():
        from flask import url_for

        unsubscribe = url_for("mailings.unsubscribe", token="T").rsplit("T", 1)[0]
    assert f'href="http://127.0.0.1:5000{unsubscribe}' in html
    assert frame.headers["Content-Security-Policy"].startswith("sandbox")


def test_preview_defaults_to_the_first_recipient_and_reports_unknown_people(client, login_as):
    login_as("comms")
    first, _ = people(2, "newsletter", first_name="Zoé")
    mailing = draft(static_audience([first]))
    page = client.get(f"/mailings/{mailing.id}/preview").get_data(as_text=True)
    assert "Hello Zoé" in page
    missing = client.get(f"/mailings/{mailing.id}/preview?person_id=999999")
    assert missing.status_code == 200
    assert "No person has this id." in missing.get_data(as_text=True)
    assert client.get(f"/mailings/{mailing.id}/preview?person_id=abc").status_code == 200


def test_hostile_markdown_and_merge_values_are_sanitised(client, login_as):
    login_as("comms")
    (villain,) = people(1, "newsletter", first_name='<img src=x onerror="alert(1)">')
    body = (
        "<script>alert('body')</script>\n\n"
        "[click](javascript:alert(2)) <iframe src=//evil.example></iframe>\n\n"
        "Hi {{ first_name }} [profile](https://example.org/{{ first_name }})\n\n" + services.FOOTER
    )
    mailing = draft(static_audience([villain]), body=body)
    html = client.get(f"/mailings/{mailing.id}/preview.html?person_id={villain.id}").get_data(
        as_text=True
    )
    assert "<script" not in html and "<iframe" not in html and "<img" not in html
    assert 'href="javascript:' not in html and "[click](javascript:" in html  # shown as text
    assert "&lt;img src=x onerror=" in html  # the name is text, not markup
    assert 'href="https://example.org/%3Cimg' in html  # and percent-encoded inside a link
    page = client.get(f"/mailings/{mailing.id}/preview?person_id={villain.id}").get_data(
        as_text=True
    )
    assert "<script>alert" not in page


# --- test send -------------------------------------------------------------------------------


def test_test_send_reports_each_bad_line_and_queues_nothing(client, login_as):
    login_as("comms")
    mailing = reachable_draft(tested=False)
    response = client.post(
        f"/mailings/{mailing.id}/test",
        data={"addresses": "good@example.org\nnot-an-address\n\nalso bad@\n"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Line 2 (not-an-address)" in page and "Line 4 (also bad@)" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == 0
    many = "\n".join(f"p{i}@example.org" for i in range(11))
    page = client.post(f"/mailings/{mailing.id}/test", data={"addresses": many}).get_data(
        as_text=True
    )
    assert "at most 10 addresses (11 given)" in page
    assert fresh(Mailing, mailing.id).test_sent_at is None


def test_test_send_arrives_with_merge_fields_and_unsubscribe_headers(client, login_as, smtp_server):
    login_as("comms")
    org = factories.organisation("Sirocco Records", country="ES")
    (ada,) = people(1, "newsletter", org=org, first_name="Ada")
    mailing = draft(static_audience([ada]), tested=False, reply_to="desk@indiemusic.example")
    response = client.post(
        f"/mailings/{mailing.id}/test",
        data={"addresses": "Editor@Example.org\nsecond@example.org", "person_id": str(ada.id)},
    )
    assert response.status_code == 302
    tests = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()
    assert [d.priority for d in tests] == [Priority.TRANSACTIONAL] * 2
    assert {d.kind for d in tests} == {"mailing_test"} and tests[0].mailing_id is None
    assert fresh(Mailing, mailing.id).test_sent_at is not None
    assert worker.run(drain=True) == 2
    message = next(m for m in smtp_server.messages if m["To"] == "Editor@example.org")
    assert message["Subject"] == "[TEST] Hello Ada"
    assert message["Reply-To"] == "desk@indiemusic.example"
    # A test copy comes from the mailing's own sender, once, as the real copies will.
    assert message.get_all("From") == [f"{mailing.from_name} <{mailing.from_email}>"]
    unsubscribe = message["List-Unsubscribe"]
    assert re.search(r"<https?://[^>]+>, <mailto:[^>]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Dear Ada at Sirocco Records" in text and "Dear Ada at Sirocco Records" in html
    # The web version link of the test copy opens that copy.
    web = re.search(r"https?://\S+/m/[\w.-]+", text).group(0)
    page = client.get(urlparse(web).path)
    assert page.status_code == 200 and "Dear Ada at Sirocco Records" in page.get_data(as_text=True)


def test_test_send_uses_the_senders_own_values_without_a_person(client, login_as, smtp_server):
    login_as("comms")
    mailing = reachable_draft(tested=False)
    client.post(f"/mailings/{mailing.id}/test", data={"addresses": "me@example.org"})
    worker.run(drain=True)
    (message,) = smtp_server.messages
    assert message["Subject"] == "[TEST] Hello friend"  # no values: the fallback
    text = message.get_body(("plain",)).get_content()
    assert "Dear  at ," in text  # no person record: empty values, no one else's data


def test_officer_may_preview_but_not_send_a_test(client, login_as):
    login_as("officer")
    mailing = reachable_draft(tested=False)
    assert client.get(f"/mailings/{mailing.id}/preview").status_code == 200
    response = client.post(f"/mailings/{mailing.id}/test", data={"addresses": "a@example.org"})
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == 0


def test_edit_after_a_test_needs_a_new_test():
    mailing = reachable_draft()
    assert mailing.test_sent_at is not None
    services.update_mailing(
        mailing,
        {
            "kind": mailing.kind,
            "purpose": mailing.purpose,
            "subject": mailing.subject,
            "from_name": mailing.from_name,
            "from_email": mailing.from_email,
            "audience_id": mailing.audience_id,
            "body": mailing.body + "\nP.S.",
        },
    )
    db.session.commit()
    assert fresh(Mailing, mailing.id).test_sent_at is None


def test_a_test_rendered_before_an_edit_does_not_count(app):
    mailing = reachable_draft(tested=False)
    loaded = mailing.updated_at
    # Another tab saves an edit while this test send is being rendered from the old text.
    db.session.execute(
        db.update(Mailing)
        .values(body="new text", updated_at=loaded + timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    with app.test_request_context(), pytest.raises(services.StateChanged):
        services.send_test(mailing, ["a@example.org"])
    db.session.rollback()
    assert fresh(Mailing, mailing.id).test_sent_at is None


# --- web version -----------------------------------------------------------------------------


def test_web_version_renders_a_mailing_delivery_for_its_recipient(client):
    mailing = reachable_draft()
    delivery = Delivery(
        kind="mailing",
        priority=Priority.BULK,
        to_email="Ada@Example.org",
        recipient_key="ada@example.org",
        subject=mailing.subject,
        mailing_id=mailing.id,
        merge={"first_name": "Ada", "organisation": "Brass Hollow"},
        message_id="<web-version-test@x>",
    )
    db.session.add(delivery)
    db.session.commit()
    response = client.get(f"/m/{web_version_token(delivery.id)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hello Ada" in page and "Dear Ada at Brass Hollow" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/m/not-a-token").status_code == 404
    assert client.get(f"/m/{web_version_token(delivery.id + 1000)}").status_code == 404


# --- attachments -----------------------------------------------------------------------------


def _upload(client, mailing, name, data, title=""):
    import io

    return client.post(
        f"/mailings/{mailing.id}/attachments",
        data={"file": (io.BytesIO(data), name), "title": title},
        content_type="multipart/form-data",
    )


def test_pdf_attachments_are_checked_stored_listed_and_removed(app, client, login_as):
    login_as("comms")
    mailing = reachable_draft(kind=MailingKind.PRESS_RELEASE)
    assert _upload(client, mailing, "release.pdf", PDF_BYTES, "The release").status_code == 302
    (attachment,) = fresh(Mailing, mailing.id).attachments
    assert attachment.title == "The release" and attachment.size == len(PDF_BYTES)
    from crm.mailings import attachments

    path = attachments.path_of(attachment.stored_name)
    assert path.read_bytes() == PDF_BYTES and str(path).startswith(app.instance_path)
    assert fresh(Mailing, mailing.id).test_sent_at is None  # an attachment is an edit
    page = client.get(f"/mailings/{mailing.id}/edit").get_data(as_text=True)
    assert "release.pdf" in page
    staff_copy = client.get(f"/mailings/{mailing.id}/attachments/{attachment.id}")
    assert staff_copy.status_code == 200 and staff_copy.data == PDF_BYTES
    assert staff_copy.headers["Content-Disposition"].startswith("attachment")
    # Refused: a renamed text file, another extension, an empty file.
    for name, data in (("fake.pdf", b"hello"), ("notes.txt", b"%PDF-1.4"), ("e.pdf", b"")):
        response = _upload(client, mailing, name, data)
        assert response.status_code == 302
    assert len(fresh(Mailing, mailing.id).attachments) == 1
    response = client.post(f"/mailings/{mailing.id}/attachments/{attachment.id}/delete")
    assert response.status_code == 302
    assert fresh(Mailing, mailing.id).attachments == [] and not path.exists()


def test_attachment_size_limit_and_kind(app, client, login_as, monkeypatch):
    login_as("comms")
    monkeypatch.setitem(app.config, "MAILING_ATTACHMENT_MAX_BYTES", 20)
    release = reachable_draft(kind=MailingKind.PRESS_RELEASE)
    _upload(client, release, "big.pdf", PDF_BYTES)
    newsletter = reachable_draft()
    _upload(client, newsletter, "n.pdf", PDF_BYTES[:20])
    assert db.session.scalar(db.select(db.func.count()).select_from(MailingAttachment)) == 0
    page = client.get(f"/mailings/{release.id}/edit").get_data(as_text=True)
    assert "larger than" in page
