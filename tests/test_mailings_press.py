"""The public press page: published releases only (embargo respected), no personal data, PDF
downloads once published, and an Atom feed that parses."""

from datetime import timedelta
from xml.etree import ElementTree as ET

from sqlalchemy import update

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import attachments, mailing_states
from crm.mailings.models import Mailing, MailingAttachment, MailingKind
from tests.test_mailings_compose import PDF_BYTES, fresh, reachable_draft

ATOM = "{http://www.w3.org/2005/Atom}"
BODY = (
    "Dear {{ first_name | journalist }},\n\n"
    "Independent labels at {{ organisation | our members }} ask for **reduced VAT** on music.\n\n"
    "---\n\n"
    "[Read it in your browser]({{ web_version_url }}) · [Unsubscribe]({{ unsubscribe_url }})\n"
)


def release(
    app, subject="Reduced VAT for music", *, embargo=None, body=BODY, at=None, status="sending"
):
    """A press release scheduled (so given its slug) and, unless `status` is None, moved on as
    the worker does once it sends: published now unless under embargo."""
    mailing = reachable_draft(
        kind=MailingKind.PRESS_RELEASE, subject=subject, body=body, embargo_until=embargo
    )
    with app.test_request_context():
        mailing_states.schedule(mailing, at)
    db.session.commit()
    if status is not None:
        _set_status(mailing, status)
    return fresh(Mailing, mailing.id)


def _set_status(mailing, status):
    db.session.execute(update(Mailing).where(Mailing.id == mailing.id).values(status=status))
    db.session.commit()


def _publish_now(mailing):
    db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id)
        .values(published_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def _attach(mailing):
    directory = attachments.upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{mailing.id:032x}.pdf"
    (directory / name).write_bytes(PDF_BYTES)
    item = MailingAttachment(
        mailing_id=mailing.id,
        stored_name=name,
        original_name="vat-study.pdf",
        title="VAT study",
        size=len(PDF_BYTES),
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_published_release_is_listed_and_shown_without_personal_data(app, client):
    item = release(app)
    listing = client.get("/press").get_data(as_text=True)
    assert "Reduced VAT for music" in listing and f"/press/{item.slug}" in listing
    page = client.get(f"/press/{item.slug}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Dear journalist," in text and "at our members ask for" in text  # fallbacks
    assert "<strong>reduced VAT</strong>" in text
    assert "Unsubscribe" not in text and "/m/" not in text  # no personal links on the web


def test_drafts_cancelled_and_embargoed_releases_are_not_public(app, client):
    embargoed = release(app, "Value gap: embargoed", embargo=utcnow() + timedelta(days=1))
    cancelled = release(app, "Withdrawn statement", status=None)
    mailing_states.cancel(cancelled)
    db.session.commit()
    reachable_draft(kind=MailingKind.PRESS_RELEASE, subject="Still a draft")
    newsletter = reachable_draft(subject="Members only newsletter")
    with app.test_request_context():
        mailing_states.schedule(newsletter)
    db.session.commit()
    listing = client.get("/press").get_data(as_text=True)
    for subject in ("Value gap", "Withdrawn", "Still a draft", "Members only"):
        assert subject not in listing
    assert client.get(f"/press/{embargoed.slug}").status_code == 404
    assert client.get(f"/press/{cancelled.slug}").status_code == 404
    assert client.get("/press/no-such-release").status_code == 404
    feed = client.get("/press/feed.atom").get_data(as_text=True)
    assert "Value gap" not in feed and "Withdrawn" not in feed
    # The embargo lifts: the release appears.
    _publish_now(embargoed)
    assert client.get(f"/press/{embargoed.slug}").status_code == 200
    assert "Value gap: embargoed" in client.get("/press").get_data(as_text=True)


def test_a_release_scheduled_for_later_is_published_at_its_send_time(app, client):
    later = release(app, "Fair digital deals", at=utcnow() + timedelta(hours=3), status=None)
    assert later.published_at == later.scheduled_at
    assert client.get(f"/press/{later.slug}").status_code == 404


def _public(client, item, attachment) -> dict:
    """Where the release shows: its page, its PDF, the list and the feed."""
    return {
        "page": client.get(f"/press/{item.slug}").status_code == 200,
        "file": client.get(f"/press/{item.slug}/files/{attachment.id}").status_code == 200,
        "list": "Streaming fairness" in client.get("/press").get_data(as_text=True),
        "feed": "Streaming fairness" in client.get("/press/feed.atom").get_data(as_text=True),
    }


def test_a_release_is_public_only_once_it_is_being_sent(app, client):
    """Its publication time has come, but the press has not received it while it is scheduled
    or paused: nothing of it is public until the worker sends it."""
    item = release(app, "Streaming fairness", status=None)
    attachment = _attach(item)
    assert item.status == "scheduled" and item.published_at <= utcnow()
    nowhere = dict.fromkeys(("page", "file", "list", "feed"), False)
    assert _public(client, item, attachment) == nowhere
    mailing_states.pause(fresh(Mailing, item.id))
    db.session.commit()
    assert fresh(Mailing, item.id).status == "paused"
    assert _public(client, item, attachment) == nowhere
    everywhere = dict.fromkeys(nowhere, True)
    for status in ("sending", "sent"):
        _set_status(item, status)
        assert _public(client, item, attachment) == everywhere, status


def test_attachments_download_only_once_published(app, client):
    embargoed = release(app, "Embargoed with files", embargo=utcnow() + timedelta(days=1))
    item = _attach(embargoed)
    url = f"/press/{embargoed.slug}/files/{item.id}"
    assert client.get(url).status_code == 404
    _publish_now(embargoed)
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "vat-study.pdf" in response.headers["Content-Disposition"]
    assert "VAT study" in client.get(f"/press/{embargoed.slug}").get_data(as_text=True)
    other = release(app, "Another release")
    assert client.get(f"/press/{other.slug}/files/{item.id}").status_code == 404


def test_atom_feed_parses_and_escapes(app, client):
    release(app, 'Labels <b>& artists</b> say "no" to the value gap')
    release(app, "Second release\x01 with a control character")
    response = client.get("/press/feed.atom")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own response)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = {e.find(f"{ATOM}title").text for e in entries}
    assert 'Labels <b>& artists</b> say "no" to the value gap' in titles
    assert "Second release with a control character" in titles
    content = entries[0].find(f"{ATOM}content")
    assert content.get("type") == "html" and "<p>" in content.text
    assert all(e.find(f"{ATOM}link").get("href").startswith("http") for e in entries)
    assert b"<b>" not in response.data  # escaped in the XML itself


def test_press_list_is_paginated_newest_first(app, client):
    for n in range(22):
        item = release(app, f"Release number {n}")
        db.session.execute(
            update(Mailing)
            .where(Mailing.id == item.id)
            .values(published_at=utcnow() - timedelta(days=30 - n))
        )
    db.session.commit()
    first = client.get("/press").get_data(as_text=True)
    assert first.index("Release number 21") < first.index("Release number 20")
    assert "Release number 1<" not in first
    second = client.get("/press?page=2").get_data(as_text=True)
    assert "Release number 1<" in second and "Release number 0<" in second
