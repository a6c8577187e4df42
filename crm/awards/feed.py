"""An Atom feed (RFC 4287) of newly verified awards, built with ElementTree so text is escaped."""

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import current_app, url_for

from crm.awards import winners
from crm.awards.text import xml_text

ATOM = "http://www.w3.org/2005/Atom"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _stamp(value: datetime | None) -> str:
    return (value or EPOCH).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        # A second line of defence behind the forms: ElementTree writes control characters
        # as they are, and one stored \x01 would make the whole feed unreadable.
        element.text = xml_text(text)
    return element


def atom_feed(limit: int = 50) -> bytes:
    """The newest verified awards as an Atom document."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    awards = winners.latest(limit)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", base + url_for("awards.public_awards"))
    _sub(feed, "title", "Sales Awards: new winners")
    _sub(feed, "updated", _stamp(awards[0].decided_at if awards else None))
    author = _sub(feed, "author")
    _sub(author, "name", "Indie Music Europe")
    _sub(feed, "link", rel="self", href=base + url_for("awards.feed_atom"))
    _sub(
        feed, "link", rel="alternate", type="text/html", href=base + url_for("awards.public_awards")
    )
    for award in awards:
        link = base + url_for("awards.public_award", registration_id=award.id)
        level = award.level.name if award.level else "Sales Award"
        entry = _sub(feed, "entry")
        _sub(entry, "id", link)
        _sub(entry, "title", f"{level}: {award.artist} – {award.title}")
        _sub(entry, "updated", _stamp(award.decided_at))
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        _sub(
            entry,
            "summary",
            f"{award.artist}, “{award.title}”, released by {award.organisation.name}, "
            f"receives a {level} Sales Award for {award.total_units:,} units.",
        )
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
