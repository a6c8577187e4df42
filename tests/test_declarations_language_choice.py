"""The public declaration page follows the visitor's order of languages (Accept-Language, by
quality), each reduced to its primary subtag: en-GB first means English even when French is
also accepted and the declaration has an exact "fr" text. An explicit choice (?lang=, then the
remembered one) comes before the header; the declaration's default language comes last."""

import re

import pytest

from tests.test_declarations_public import make_open_declaration

URL = "/declarations/fair-digital-deals"


def _language(client, accept_language, url=URL) -> str:
    page = client.get(url, headers={"Accept-Language": accept_language}).get_data(as_text=True)
    return re.search(r'<html lang="(\w+)"', page).group(1)


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("en-GB,fr;q=0.8", "en"),  # the first choice, not the exact match further down
        ("fr-CH, en;q=0.9", "fr"),
        ("fr-CH", "fr"),
        ("FR-ch", "fr"),  # tags are case-insensitive
        ("de-DE,de;q=0.9,en;q=0.5", "de"),
        ("en;q=0.5, de", "de"),  # quality decides, not the order written
        ("pl, it;q=0.8, de-AT;q=0.3", "de"),  # the first one the declaration has
        ("it, fr;q=0", "en"),  # q=0 refuses French: the default, English
        ("de;q=0, fr-CH;q=0, en-US;q=0.1", "en"),
        ("*", "en"),
        ("pl, it;q=0.8", "en"),
        ("", "en"),
    ],
)
def test_the_visitors_order_of_languages(app, accept_language, expected):
    make_open_declaration()
    assert _language(app.test_client(), accept_language) == expected


def test_the_embed_follows_the_same_order(app):
    make_open_declaration()
    client = app.test_client()
    assert _language(client, "en-GB,fr;q=0.8", URL + "/embed") == "en"
    assert _language(client, "fr-CH, en;q=0.9", URL + "/embed") == "fr"


def test_an_explicit_choice_comes_before_the_browser(app):
    make_open_declaration()
    client = app.test_client()
    assert _language(client, "fr-CH, en;q=0.9", URL + "?lang=de") == "de"
    # Remembered for this visitor, whatever the browser says.
    assert _language(client, "fr-CH, en;q=0.9") == "de"
    assert _language(client, "en-GB,fr;q=0.8", URL + "?lang=fr") == "fr"
    assert _language(client, "en-GB") == "fr"


def test_the_declarations_default_when_nothing_matches(app):
    make_open_declaration(default_language="fr")
    assert _language(app.test_client(), "pl, it;q=0.8") == "fr"
    assert _language(app.test_client(), "it, en;q=0") == "fr"
    assert _language(app.test_client(), "it, en-GB;q=0.1") == "en"
