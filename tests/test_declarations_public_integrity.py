"""The signing form's integrity: CSRF on the page, the embed's short-lived stamp, the version
shown is the version signed, too-fast answers, and confirmation links that survive the slug."""

from flask import current_app
from sqlalchemy import select

from crm.declarations import services, signing, tokens
from crm.declarations.models import Declaration, Signature
from crm.extensions import db
from tests.test_declarations_public import (
    CHECK_INBOX,
    TOO_QUICK,
    _old_stamp,
    _signatures,
    _stamp,
    form,
    make_open_declaration,
)

TEXT_UPDATED = "The text was updated; please read it again"
PAGE = "/declarations/fair-digital-deals"
EMBED = "/declarations/fair-digital-deals/embed"


def test_next_embed_does_not_skip_csrf_on_the_page(make_app, monkeypatch):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        declaration = make_open_declaration()
        stamp = _old_stamp(declaration, monkeypatch)
    client = app.test_client()
    for data in ({**form(), "next": "embed", "stamp": stamp}, {**form(), "next": "embed"}):
        refused = client.post(PAGE, data=data)
        assert refused.status_code == 400
        refused = client.post(f"{PAGE}?next=embed", data=data)
        assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Signature)) is None


def test_embed_posts_to_its_own_endpoint_with_a_recent_stamp(make_app, monkeypatch):
    app = make_app(WTF_CSRF_ENABLED=True, SIGNATURE_MIN_FILL_SECONDS=3)
    with app.app_context():
        declaration = make_open_declaration()
        hours = app.config["SIGNATURE_STAMP_MAX_AGE"] // 3600
        assert hours == 6
        expired = _old_stamp(declaration, monkeypatch, seconds=7 * 3600)
        fresh = _old_stamp(declaration, monkeypatch, seconds=10)
        quick = _old_stamp(declaration, monkeypatch, seconds=1)
        other = make_open_declaration("other-declaration")
        foreign = _old_stamp(other, monkeypatch)
    client = app.test_client()
    page = client.get(EMBED).get_data(as_text=True)
    assert f'action="{EMBED}?lang=en"' in page
    # No CSRF token in a third-party frame: the stamp stands for it, so it must be genuine,
    # for this declaration, and no older than SIGNATURE_STAMP_MAX_AGE.
    assert client.post(EMBED, data=form()).status_code == 400
    refused = client.post(EMBED, data={**form(), "stamp": expired})
    assert refused.status_code == 400 and b"Form expired" in refused.data
    assert client.post(EMBED, data={**form(), "stamp": foreign}).status_code == 400
    # The fill time is enforced in the embed too: shown again, still framable.
    fast = client.post(EMBED, data={**form(), "stamp": quick})
    assert fast.status_code == 200 and TOO_QUICK in fast.get_data(as_text=True)
    assert "frame-ancestors *" in fast.headers["Content-Security-Policy"]
    with app.app_context():
        assert db.session.scalar(select(Signature)) is None
    accepted = client.post(EMBED, data={**form(), "stamp": fresh}, follow_redirects=True)
    assert accepted.status_code == 200 and CHECK_INBOX in accepted.get_data(as_text=True)
    assert "frame-ancestors *" in accepted.headers["Content-Security-Policy"]
    with app.app_context():
        assert db.session.scalar(select(Signature.email)) == "ana.signer@example.org"


def test_the_stamp_is_bound_to_the_declaration_and_version():
    declaration = make_open_declaration()
    version = services.current_version(declaration)
    stamp = tokens.form_stamp(declaration.id, version.id)
    assert tokens.read_stamp(stamp, declaration.id)[1] == version.id
    assert tokens.read_stamp(stamp, declaration.id + 1) is None
    assert tokens.read_stamp(stamp, declaration.id, max_age=-1) is None


def _new_version(declaration):
    """A signature on version 1, then an edited English text: version 2."""
    with current_app.test_request_context():
        signing.sign(declaration, form("first@example.org"), None, "en")
    version = services.save_text(
        declaration, "en", {"title": "Fair digital deals, revised", "body": "New words."}
    )
    db.session.commit()
    assert version.number == 2
    return version


def test_a_signature_records_the_version_shown_not_a_newer_one(client, monkeypatch):
    declaration = make_open_declaration()
    shown = services.current_version(declaration)
    stamp = _old_stamp(declaration, monkeypatch, version=shown)
    newer = _new_version(declaration)
    response = client.post(PAGE, data={**form(), "stamp": stamp})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and TEXT_UPDATED in page and CHECK_INBOX not in page
    assert "Fair digital deals, revised" in page and "New words." in page
    assert [s.email for s in _signatures()] == ["first@example.org"]
    # The form shown again carries a stamp for the new version, which then signs it.
    again = _stamp(page)
    assert tokens.read_stamp(again, declaration.id)[1] == newer.id
    response = client.post(PAGE, data={**form(), "stamp": again}, follow_redirects=True)
    assert CHECK_INBOX in response.get_data(as_text=True)
    assert _signatures()[-1].version_id == newer.id
    # The embed does the same.
    stamp = _old_stamp(declaration, monkeypatch, version=shown)
    embedded = client.post(EMBED, data={**form("embed@example.org"), "stamp": stamp})
    assert embedded.status_code == 200 and TEXT_UPDATED in embedded.get_data(as_text=True)
    assert len(_signatures()) == 2


def test_sign_keeps_the_version_it_is_given():
    declaration = make_open_declaration()
    shown = services.current_version(declaration)
    _new_version(declaration)
    with current_app.test_request_context():
        result = signing.sign(declaration, form("late@example.org"), None, "en", version=shown)
    assert result.signature.version_id == shown.id


def test_slug_cannot_change_once_signed(client, login_as):
    declaration = make_open_declaration()
    login_as("officer")
    url = f"/staff/declarations/{declaration.id}/edit"
    data = {
        "slug": "renamed-deals",
        "open_on": declaration.open_on.isoformat(),
        "signer_kinds": "both",
        "default_language": "en",
    }
    client.post(PAGE, data=form())
    refused = client.post(url, data=data)
    assert refused.status_code == 200
    assert b"The slug cannot change once the declaration has signatures." in refused.data
    db.session.expire_all()
    assert db.session.get(Declaration, declaration.id).slug == "fair-digital-deals"


def test_slug_can_change_before_any_signature(client, login_as):
    declaration = make_open_declaration()
    services.update_declaration(declaration, {"slug": "renamed-deals"})
    db.session.commit()
    assert declaration.slug == "renamed-deals"


def test_confirmation_link_follows_a_renamed_declaration(client):
    declaration = make_open_declaration()
    client.post(PAGE, data=form())
    token = tokens.confirm_token(_signatures()[0])
    declaration.slug = "renamed-deals"  # as before slug changes were refused
    db.session.commit()
    shown = client.get(f"{PAGE}/confirm/{token}")
    assert shown.status_code == 302
    assert shown.headers["Location"].endswith(f"/declarations/renamed-deals/confirm/{token}")
    posted = client.post(f"{PAGE}/confirm/{token}")
    assert posted.status_code == 307
    confirmed = client.post(f"{PAGE}/confirm/{token}", follow_redirects=True)
    assert confirmed.status_code == 200
    assert _signatures()[0].status == "confirmed"
    # A slug naming another declaration is still refused for this token.
    make_open_declaration("fair-digital-deals")
    assert client.post(f"{PAGE}/confirm/{token}").status_code == 400


def test_stamps_in_page_are_refreshed_for_a_new_version(client, monkeypatch):
    declaration = make_open_declaration()
    first = _stamp(client.get(PAGE).get_data(as_text=True))
    _new_version(declaration)
    second = _stamp(client.get(PAGE).get_data(as_text=True))
    current = services.current_version(declaration).id
    assert tokens.read_stamp(first, declaration.id)[1] != current
    assert tokens.read_stamp(second, declaration.id)[1] == current
