"""The public press page, its Atom feed, attachments and a recipient's web version.

A press release is public once it is being sent or was sent (so the press has it, or is
getting it, before the public) and its publication time (the embargo, else the send time) has
come; until then (and while it is scheduled, paused or cancelled) every public address of it
answers 404. Public copies carry no personal data: merge fields show their fallbacks and
the lines with a recipient's own links (unsubscribe, preferences, web version) are left out.
"""

import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Response, abort, current_app, render_template, url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.awards.text import xml_text
from crm.db import utcnow
from crm.extensions import db
from crm.mailings import bp
from crm.mailings.models import Delivery, Mailing, MailingAttachment, MailingKind, MailingStatus
from crm.mailings.rendering import (
    LINK_FIELDS,
    CompiledMailing,
    Rendered,
    compile_mailing,
    uses_field,
)
from crm.mailings.tokens import read_web_version_token, recipient_links
from crm.web import page_arg

PER_PAGE = 20
FEED_SIZE = 30
ATOM = "http://www.w3.org/2005/Atom"
# Scheduled or paused releases have not reached the press yet: they are not public.
PUBLIC_STATUSES = (MailingStatus.SENDING, MailingStatus.SENT)
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def published_select(now: datetime):
    """Published press releases, newest first."""
    return (
        select(Mailing)
        .where(
            Mailing.kind == MailingKind.PRESS_RELEASE,
            Mailing.status.in_(PUBLIC_STATUSES),
            Mailing.slug.is_not(None),
            Mailing.published_at.is_not(None),
            Mailing.published_at <= now,
        )
        .order_by(Mailing.published_at.desc(), Mailing.id.desc())
    )


def published_release(slug: str) -> Mailing:
    release = db.session.scalar(published_select(utcnow()).where(Mailing.slug == slug))
    return release or abort(404)


def public_body(body: str) -> str:
    """The body without the lines that carry a recipient's own links (and the rule above)."""
    lines = [
        line
        for line in (body or "").splitlines()
        if not any(uses_field(line, field) for field in LINK_FIELDS)
    ]
    while lines and (not lines[-1].strip() or _RULE.match(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def public_copy(release: Mailing) -> Rendered:
    """The release as the public reads it: fallbacks for merge fields, no personal links."""
    return CompiledMailing(release.subject, public_body(release.body)).render({}, {})


@bp.get("/press")
def press():
    """Public on purpose: published press releases, newest first."""
    stmt = published_select(utcnow()).options(selectinload(Mailing.attachments))
    page = db.paginate(stmt, page=page_arg(), per_page=PER_PAGE, error_out=False)
    titles = {release.id: public_copy(release).subject for release in page.items}
    return render_template("mailings/press_list.html", page=page, titles=titles)


@bp.get("/press/<slug>")
def press_release(slug: str):
    """Public on purpose: one published press release and its documents."""
    release = published_release(slug)
    copy = public_copy(release)
    return render_template(
        "mailings/press_release.html",
        release=release,
        subject=copy.subject,
        body=Markup(copy.html),  # noqa: S704 (sanitised by rendering)
    )


@bp.get("/press/<slug>/files/<int:attachment_id>")
def press_file(slug: str, attachment_id: int):
    """Public on purpose: a published release's PDF, as a download."""
    from crm.mailings.mailing_views import send_attachment

    release = published_release(slug)
    attachment = db.session.get(MailingAttachment, attachment_id)
    if attachment is None or attachment.mailing_id != release.id:
        abort(404)
    return send_attachment(attachment)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = xml_text(text)  # a stray control character would break the whole feed
    return element


def atom_feed() -> bytes:
    """The newest published press releases as an Atom document (ElementTree escapes text)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    releases = db.session.scalars(published_select(utcnow()).limit(FEED_SIZE)).all()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", base + url_for("mailings.press"))
    _sub(feed, "title", "Indie Music Europe: press releases")
    newest = releases[0].published_at if releases else datetime(2000, 1, 1, tzinfo=UTC)
    _sub(feed, "updated", _stamp(newest))
    _sub(_sub(feed, "author"), "name", "Indie Music Europe")
    _sub(feed, "link", rel="self", href=base + url_for("mailings.press_feed"))
    _sub(feed, "link", rel="alternate", type="text/html", href=base + url_for("mailings.press"))
    for release in releases:
        link = base + url_for("mailings.press_release", slug=release.slug)
        copy = public_copy(release)
        entry = _sub(feed, "entry")
        _sub(entry, "id", link)
        _sub(entry, "title", copy.subject)
        _sub(entry, "published", _stamp(release.published_at))
        _sub(entry, "updated", _stamp(release.published_at))
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        _sub(entry, "content", copy.html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@bp.get("/press/feed.atom")
def press_feed():
    """Public on purpose: an Atom feed of published press releases."""
    return Response(atom_feed(), content_type="application/atom+xml; charset=utf-8")


@bp.get("/m/<token>")
def web_version(token: str):
    """Public on purpose (the signed token is the key): a recipient's copy of a mailing."""
    delivery_id = read_web_version_token(token)
    delivery = db.session.get(Delivery, delivery_id) if delivery_id is not None else None
    if delivery is None:
        abort(404)
    if delivery.html_body is not None:  # a test or another pre-rendered message
        subject, html = delivery.subject, delivery.html_body
    elif delivery.mailing_id is not None:
        mailing = db.session.get(Mailing, delivery.mailing_id)
        links = recipient_links(
            delivery.recipient_key or delivery.to_email.lower(),
            mailing.purpose,
            mailing.id,
            delivery.id,
        )
        copy = compile_mailing(mailing, now=utcnow()).render(delivery.merge, links)
        subject, html = copy.subject, copy.html
    else:
        abort(404)
    response = Response(
        render_template(
            "mailings/web_version.html",
            subject=subject,
            body=Markup(html),  # noqa: S704 (sanitised when rendered)
        )
    )
    # The address is the key to a personal copy: keep it out of referrers and search engines.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
