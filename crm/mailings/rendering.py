"""A mailing's Markdown with merge fields, rendered once and filled in per recipient.

Merge fields are written `{{ first_name }}` or, with a fallback, `{{ first_name | colleague }}`.
The body is turned into sanitised HTML once per mailing (markdown-it, then nh3) with each merge
field held by an inert alphanumeric marker; each recipient's copy then only swaps the markers
for that recipient's values, HTML-escaped in the HTML part. A recipient's name can therefore
never inject markup, and 6,000 copies cost one Markdown render.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote as url_quote

from markupsafe import escape

from crm.markdown import render_markdown

# The recipient's own values (from Delivery.merge) and the links of their copy.
RECIPIENT_FIELDS = ("first_name", "last_name", "organisation", "country")
LINK_FIELDS = ("unsubscribe_url", "preferences_url", "web_version_url")
MERGE_FIELDS = RECIPIENT_FIELDS + LINK_FIELDS

_FIELD = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*(?:\|\s*([^{}]*?)\s*)?\}\}")
_MARKER = re.compile(r"ZQM([FU])(\d+)QZ")
_HREF = re.compile(r'href="[^"]*"')
_LINK = re.compile(r"\[([^\]\n]+)\]\(\s*([^)\s]+)\s*\)")
_HEADER_UNSAFE = re.compile(r"[\r\n\x00]+")
# Line breaks (also Unicode's) and other control characters in a recipient's own values: a
# name never needs one, and one could end a MIME line (see headers._boundary).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def unknown_fields(text: str) -> list[str]:
    """Merge fields in `text` that the CRM cannot fill (a typo would reach every reader)."""
    return sorted({m.group(1) for m in _FIELD.finditer(text or "")} - set(MERGE_FIELDS))


def uses_field(text: str, field: str) -> bool:
    return any(m.group(1) == field for m in _FIELD.finditer(text or ""))


def _with_markers(text: str) -> tuple[str, list[tuple[str, str]]]:
    fields: list[tuple[str, str]] = []

    def hold(match: re.Match) -> str:
        fields.append((match.group(1), match.group(2) or ""))
        return f"ZQMF{len(fields) - 1}QZ"

    return _FIELD.sub(hold, text or ""), fields


def _plain_text(markdown: str) -> str:
    """The text part: Markdown reads well as text once links show their address."""
    return _LINK.sub(lambda m: f"{m.group(1)} <{m.group(2)}>", markdown)


class CompiledMailing:
    """A mailing's subject and body, ready to be filled in for any number of recipients."""

    def __init__(self, subject: str, body: str, *, embargo_until: datetime | None = None):
        self._subject, self._subject_fields = _with_markers(subject)
        marked_body, self._fields = _with_markers(body)
        if embargo_until is not None:
            notice = f"**EMBARGOED UNTIL {embargo_until:%d %B %Y, %H:%M} UTC**"
            marked_body = f"{notice}\n\n{marked_body}"
        # Inside a link address a recipient's value is percent-encoded, so a name such as
        # "javascript:..." can never become a link's scheme; marked "U" for that.
        self._html = _HREF.sub(
            lambda m: m.group(0).replace("ZQMF", "ZQMU"), str(render_markdown(marked_body))
        )
        self._text = _plain_text(marked_body)

    @staticmethod
    def _value(field: str, fallback: str, values: dict) -> str:
        value = values.get(field)
        return str(value) if value not in (None, "") else fallback

    def _fill(self, template: str, fields, values: dict, quote) -> str:
        def swap(match: re.Match) -> str:
            index = int(match.group(2))
            if index >= len(fields):
                return match.group(0)
            field, fallback = fields[index]
            value = self._value(field, fallback, values)
            if match.group(1) == "U" and field not in LINK_FIELDS:
                value = url_quote(value, safe="")
            return quote(value)

        return _MARKER.sub(swap, template)

    def render(self, merge: dict | None, links: dict | None) -> Rendered:
        """One recipient's copy. `merge`: RECIPIENT_FIELDS; `links`: LINK_FIELDS."""
        values = {**clean_merge(merge), **(links or {})}
        subject = self._fill(self._subject, self._subject_fields, values, str)
        return Rendered(
            subject=_HEADER_UNSAFE.sub(" ", subject).strip(),
            text=self._fill(self._text, self._fields, values, str),
            html=self._fill(self._html, self._fields, values, lambda v: str(escape(v))),
        )


def clean_merge(merge: dict | None) -> dict:
    """A recipient's values with each run of control characters collapsed to one space."""
    return {
        field: _CONTROL.sub(" ", value) if isinstance(value, str) else value
        for field, value in (merge or {}).items()
    }


def compile_mailing(mailing, *, now: datetime | None = None) -> CompiledMailing:
    """Compile a Mailing; a press release still under embargo at `now` says so on top."""
    embargo = mailing.embargo_until
    if embargo is not None and now is not None and embargo <= now:
        embargo = None
    return CompiledMailing(mailing.subject, mailing.body, embargo_until=embargo)


def merge_values(person) -> dict:
    """The recipient values stored on a delivery when a mailing is scheduled."""
    organisation = person.organisation
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "organisation": organisation.name if organisation else "",
        "country": organisation.country if organisation else "",
    }
