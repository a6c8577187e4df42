"""Markdown written by staff, rendered to HTML and sanitised before it reaches a page or a mail."""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark without raw HTML: staff write Markdown, not markup; nh3 then keeps only safe tags.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
    "hr", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


def sanitise(html: str) -> str:
    """HTML with only the allowed tags and attributes; links may only be http(s) or mailto."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str | None) -> Markup:
    """Sanitised HTML for a Markdown text (raw HTML in it is escaped, then nh3 sanitises)."""
    return Markup(sanitise(_markdown.render(text or "")))  # noqa: S704 (sanitised by nh3 just above)
