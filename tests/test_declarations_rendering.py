"""The public text's Markdown rendering and the nh3 allow-list behind it, tested directly."""

from markupsafe import Markup

from crm.markdown import ALLOWED_TAGS, render_markdown, sanitise


def test_sanitise_drops_script_urls_and_event_handlers():
    html = sanitise(
        '<a href="javascript:alert(1)">x</a> <a href="JaVaScRiPt:alert(1)">y</a>'
        '<img src="x" onerror="alert(1)"><p onclick="alert(1)">p</p>'
        "<script>alert(1)</script><style>p{}</style><iframe src=https://e.example></iframe>"
    )
    assert "javascript" not in html.lower()
    assert "<img" not in html and "onerror" not in html and "onclick" not in html
    assert "<script" not in html and "<style" not in html and "<iframe" not in html
    assert "<p>p</p>" in html


def test_sanitise_keeps_allowed_tags_and_safe_links():
    html = sanitise(
        "<h2>Heading</h2><p><strong>b</strong> <em>i</em> <code>c</code></p><ul><li>a</li></ul>"
        '<table><thead><tr><th scope="col">h</th></tr></thead><tbody><tr><td>d</td></tr></tbody>'
        '</table><a href="https://example.org" title="t" class="x" style="color:red">l</a>'
        '<a href="mailto:info@example.org">m</a><a href="ftp://example.org">f</a>'
    )
    for tag in ("h2", "strong", "em", "code", "ul", "li", "table", "thead", "tbody", "td"):
        assert f"<{tag}>" in html
    assert '<th scope="col">' in html
    assert 'href="https://example.org"' in html and 'title="t"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "class=" not in html and "style=" not in html
    assert 'href="mailto:info@example.org"' in html and "ftp:" not in html
    assert {"img", "script", "iframe", "div", "span"}.isdisjoint(ALLOWED_TAGS)


def test_render_markdown_neutralises_raw_html_and_bad_links():
    html = render_markdown(
        "[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
        "[ok](https://example.org) **bold**\n\n## Title"
    )
    assert isinstance(html, Markup)
    assert 'href="javascript' not in html and "<img" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html
    assert "<strong>bold</strong>" in html and "<h2>Title</h2>" in html
    assert render_markdown(None) == ""
