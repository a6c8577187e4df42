"""Public signing of declarations: double opt-in by email, languages, spam traps, the embed."""

import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from crm.declarations import services, signing, tokens
from crm.declarations.models import Signature
from crm.extensions import db
from crm.mailings import worker
from crm.mailings.models import Delivery
from crm.members.models import Person
from tests import factories

CHECK_INBOX = "Check your inbox: we have sent a link to confirm your signature."


def make_open_declaration(slug="fair-digital-deals", **settings):
    """An open declaration with English, French and German texts (English is the default)."""
    data = {
        "slug": slug,
        "open_on": date.today() - timedelta(days=1),
        "signer_kinds": "both",
        "asked_fields": ["organisation", "country"],
        "list_publicly": True,
        "ask_consent": True,
        "target": 500,
        **settings,
    }
    texts = {
        "en": {
            "title": "Fair digital deals",
            "body": "We commit to **fair** deals.",
            "consent_label": "Send me updates about this campaign",
        },
        "fr": {
            "title": "Des accords numériques équitables",
            "body": "Nous nous engageons.",
            "consent_label": "Envoyez-moi des nouvelles de cette campagne",
        },
        "de": {
            "title": "Faire digitale Verträge",
            "body": "Wir verpflichten uns.",
            "consent_label": "Schicken Sie mir Neuigkeiten zu dieser Kampagne",
        },
    }
    declaration = services.create_declaration(data, texts)
    db.session.commit()
    return declaration


def form(email="ana.signer@example.org", **fields):
    return {
        "first_name": "Ana",
        "last_name": "Signer",
        "email": email,
        "signing_as": "individual",
        "country": "FR",
        "list_publicly": "y",
        **fields,
    }


def _signatures():
    db.session.expire_all()
    return db.session.scalars(select(Signature).order_by(Signature.id)).all()


def _deliveries():
    return db.session.scalars(select(Delivery).order_by(Delivery.id)).all()


def _link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://\S+/declarations/\S+/confirm/\S+", body).group(0)


@pytest.mark.smtp
def test_double_opt_in_end_to_end(client, smtp_server):
    declaration = make_open_declaration()
    page = client.get("/declarations/fair-digital-deals?lang=fr")
    assert page.status_code == 200 and 'lang="fr"' in page.get_data(as_text=True)
    response = client.post(
        "/declarations/fair-digital-deals?lang=fr",
        data=form("Ana.Signer@Example.org", consent_updates="y"),
        follow_redirects=True,
    )
    assert [r.status_code for r in response.history] == [303]
    assert response.status_code == 200
    assert "Consultez votre boîte de réception" in response.get_data(as_text=True)
    [signature] = _signatures()
    assert signature.status == "unconfirmed" and signature.language == "fr"
    assert signature.consent_updates is True
    assert signature.consent_wording == "Envoyez-moi des nouvelles de cette campagne"
    assert signing.confirmed_count(declaration.id) == 0

    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    assert message["To"] == "Ana.Signer@Example.org"
    assert message["Subject"] == "Confirmez votre signature : Des accords numériques équitables"
    path = _link(message).split("5000", 1)[1]

    # Following the link (as a mail scanner would) shows a button and changes nothing.
    shown = client.get(path)
    assert shown.status_code == 200
    assert "Confirmer ma signature" in shown.get_data(as_text=True)
    assert 'method="post"' in shown.get_data(as_text=True)
    assert _signatures()[0].status == "unconfirmed"
    assert signing.confirmed_count(declaration.id) == 0

    confirmed = client.post(path)
    assert confirmed.status_code == 200
    assert "Merci : votre signature est confirmée" in confirmed.get_data(as_text=True)
    [signature] = _signatures()
    assert signature.status == "confirmed" and signature.confirmed_at is not None
    assert signature.moderation == "not_needed"
    assert signing.confirmed_count(declaration.id) == 1
    assert '"confirmed":1' in client.get("/declarations/fair-digital-deals/count.json").get_data(
        as_text=True
    ).replace(" ", "")
    # A second press changes nothing more.
    assert client.post(path).status_code == 200
    assert signing.confirmed_count(declaration.id) == 1


def test_organisation_signature_waits_for_moderation_and_does_not_count(client):
    declaration = make_open_declaration()
    client.post(
        "/declarations/fair-digital-deals",
        data=form(signing_as="organisation", organisation="Beggars Example Ltd"),
    )
    [signature] = _signatures()
    assert signature.organisation_name == "Beggars Example Ltd"
    token = tokens.confirm_token(signature)
    assert client.post(f"/declarations/fair-digital-deals/confirm/{token}").status_code == 200
    [signature] = _signatures()
    assert signature.status == "confirmed" and signature.moderation == "pending"
    assert signing.confirmed_count(declaration.id) == 0


def test_organisation_signer_must_name_the_organisation(client):
    make_open_declaration()
    response = client.post("/declarations/fair-digital-deals", data=form(signing_as="organisation"))
    assert response.status_code == 200
    assert "Give the name of the organisation" in response.get_data(as_text=True)
    assert _signatures() == []


def test_moderated_individuals_stay_pending(client):
    declaration = make_open_declaration(moderate_individuals=True)
    client.post("/declarations/fair-digital-deals", data=form())
    token = tokens.confirm_token(_signatures()[0])
    client.post(f"/declarations/fair-digital-deals/confirm/{token}")
    assert _signatures()[0].moderation == "pending"
    assert signing.confirmed_count(declaration.id) == 0


def test_expired_and_tampered_tokens_get_a_clear_page(app, client):
    make_open_declaration()
    client.post("/declarations/fair-digital-deals", data=form())
    token = tokens.confirm_token(_signatures()[0])
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (tampered, "not-a-token", token + "x"):
        for method in ("GET", "POST"):
            response = client.open(f"/declarations/fair-digital-deals/confirm/{bad}", method=method)
            assert response.status_code == 400
            page = response.get_data(as_text=True)
            assert "This link does not work" in page
            assert 'href="/declarations/fair-digital-deals?lang=en"' in page  # sign again
    app.config["SIGNATURE_CONFIRM_MAX_AGE"] = -1
    try:
        response = client.post(f"/declarations/fair-digital-deals/confirm/{token}")
        assert response.status_code == 400 and b"has expired" in response.data
    finally:
        app.config["SIGNATURE_CONFIRM_MAX_AGE"] = 7 * 24 * 3600
    assert _signatures()[0].status == "unconfirmed"


def test_token_is_only_good_for_its_own_declaration(client):
    make_open_declaration()
    make_open_declaration("another-declaration")
    client.post("/declarations/fair-digital-deals", data=form())
    token = tokens.confirm_token(_signatures()[0])
    assert client.post(f"/declarations/another-declaration/confirm/{token}").status_code == 400
    assert _signatures()[0].status == "unconfirmed"


def test_signing_again_answers_the_same_words_and_creates_nothing(client):
    make_open_declaration()
    first = client.post("/declarations/fair-digital-deals", data=form("new@example.org"))
    again = client.post("/declarations/fair-digital-deals", data=form("NEW@example.org "))
    other = client.post("/declarations/fair-digital-deals", data=form("other@example.org"))
    assert first.status_code == again.status_code == other.status_code == 303
    assert first.headers == again.headers == other.headers
    assert first.data == again.data == other.data
    assert CHECK_INBOX in client.get(first.headers["Location"]).get_data(as_text=True)
    assert [s.email_key for s in _signatures()] == ["new@example.org", "other@example.org"]


def test_no_leak_with_csrf_on(make_app):
    """With CSRF on, the answer for a new and for an already signed email differ at most in
    the CSRF token."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_open_declaration()
    client = app.test_client()

    def post(email):
        page = client.get("/declarations/fair-digital-deals").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            "/declarations/fair-digital-deals",
            data={**form(email), "csrf_token": token},
            follow_redirects=True,
        )
        return response.status_code, re.sub(
            r'value="[^"]{40,}"', "", response.get_data(as_text=True)
        )

    new = post("fresh@example.org")
    known = post("fresh@example.org")
    assert new == known and new[0] == 200 and CHECK_INBOX in new[1]


def test_resend_only_while_unconfirmed_and_throttled(client):
    make_open_declaration()
    client.post("/declarations/fair-digital-deals", data=form())
    client.post("/declarations/fair-digital-deals", data=form())  # too soon: no second mail
    assert len(_deliveries()) == 1
    for _ in range(5):  # time passes between attempts; at most three mails in all
        signature = _signatures()[0]
        signature.confirmation_sent_at -= timedelta(minutes=10)
        db.session.commit()
        client.post("/declarations/fair-digital-deals", data=form())
    assert len(_deliveries()) == signing.MAX_CONFIRMATION_MAILS
    assert _signatures()[0].confirmations_sent == signing.MAX_CONFIRMATION_MAILS
    assert len({d.message_id for d in _deliveries()}) == signing.MAX_CONFIRMATION_MAILS


def test_no_resend_once_confirmed(client):
    make_open_declaration()
    client.post("/declarations/fair-digital-deals", data=form())
    signature = _signatures()[0]
    client.post(f"/declarations/fair-digital-deals/confirm/{tokens.confirm_token(signature)}")
    signature = _signatures()[0]
    signature.confirmation_sent_at -= timedelta(hours=1)
    db.session.commit()
    response = client.post("/declarations/fair-digital-deals", data=form(), follow_redirects=True)
    assert CHECK_INBOX in response.get_data(as_text=True)
    assert len(_deliveries()) == 1 and len(_signatures()) == 1


def test_signing_never_changes_the_directory(client):
    org = factories.organisation("Directory Records")
    person = factories.person(org, email="known@example.org", first_name="Known")
    db.session.commit()
    make_open_declaration()
    client.post(
        "/declarations/fair-digital-deals",
        data=form("known@example.org", first_name="Changed", last_name="Name"),
    )
    db.session.expire_all()
    assert db.session.get(Person, person.id).first_name == "Known"
    [signature] = _signatures()
    assert signature.person_id is None and signature.organisation_id is None
    assert signature.match_status == "none"


def test_honeypot_stores_and_sends_nothing(client):
    make_open_declaration()
    response = client.post(
        "/declarations/fair-digital-deals",
        data=form(website="http://spam.example"),
        follow_redirects=True,
    )
    assert [r.status_code for r in response.history] == [303]  # as for a real signature
    assert response.status_code == 200 and CHECK_INBOX in response.get_data(as_text=True)
    assert _signatures() == [] and _deliveries() == []


TOO_QUICK = "That was quick — please check your details and send again."


def _stamp(page: str) -> str:
    return re.search(r'name="stamp" type="hidden" value="([^"]+)"', page).group(1)


def _old_stamp(declaration, monkeypatch, seconds=10, version=None):
    """A form stamp issued `seconds` ago for the current (or the given) version."""
    from itsdangerous.timed import TimestampSigner

    version = version or services.current_version(declaration)
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - seconds)
        return tokens.form_stamp(declaration.id, version.id)


def test_too_fast_is_shown_the_form_again_and_stores_nothing(app, client, monkeypatch):
    declaration = make_open_declaration()
    app.config["SIGNATURE_MIN_FILL_SECONDS"] = 3
    try:
        stamp = _old_stamp(declaration, monkeypatch, seconds=1)
        # A person with browser autofill: told so, and given a fresh stamp, not a silent drop.
        fast = client.post("/declarations/fair-digital-deals", data={**form(), "stamp": stamp})
        answer = fast.get_data(as_text=True)
        assert fast.status_code == 200 and CHECK_INBOX not in answer
        assert TOO_QUICK in answer and 'value="ana.signer@example.org"' in answer
        assert _stamp(answer) != stamp
        # Neither a missing nor a forged stamp stores anything (bots get the usual words).
        missing = client.post(
            "/declarations/fair-digital-deals", data=form(), follow_redirects=True
        )
        assert CHECK_INBOX in missing.get_data(as_text=True)
        forged = client.post(
            "/declarations/fair-digital-deals",
            data={**form(), "stamp": stamp[:-2] + "xx"},
            follow_redirects=True,
        )
        assert CHECK_INBOX in forged.get_data(as_text=True)
        assert _signatures() == [] and _deliveries() == []
        # A person who took their time is accepted: a stamp issued ten seconds ago.
        old = _old_stamp(declaration, monkeypatch)
        slow = client.post(
            "/declarations/fair-digital-deals",
            data={**form(), "stamp": old},
            follow_redirects=True,
        )
        assert CHECK_INBOX in slow.get_data(as_text=True)
        assert len(_signatures()) == 1 and len(_deliveries()) == 1
    finally:
        app.config["SIGNATURE_MIN_FILL_SECONDS"] = 0


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("first_name", 100),
        ("last_name", 100),
        ("organisation", 200),
        ("email", 254),
    ],
)
def test_length_limits_give_field_errors(client, field, limit):
    make_open_declaration()
    value = "x" * (limit + 1)
    if field == "email":
        value = "a" * (limit - 11) + "@example.org"
    response = client.post("/declarations/fair-digital-deals", data=form(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    assert f'aria-describedby="{field}-error"' in page
    assert f'<a href="#{field}">' in page  # the summary links to the field
    assert _signatures() == []


def test_the_confirmation_mail_carries_no_words_from_the_form(client):
    """Anyone can sign with anyone's address: nothing typed into the form may reach the mail."""
    make_open_declaration()
    client.post(
        "/declarations/fair-digital-deals",
        data=form(first_name="Ana, restore your account at https://evil.example", last_name="X"),
    )
    [delivery] = _deliveries()
    assert delivery.text_body.startswith("Hello,\n")
    assert "evil.example" not in delivery.text_body + delivery.subject


@pytest.mark.parametrize("field", ["first_name", "last_name", "organisation", "city"])
def test_line_breaks_in_one_line_fields_get_a_field_error(client, field):
    make_open_declaration(asked_fields=["organisation", "country", "city"])
    value = "Ana\n\nYour account is locked. Restore it at https://evil.example\n"
    response = client.post(
        "/declarations/fair-digital-deals?lang=fr", data=form(**{field: "x" + value})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    assert "sur une seule ligne" in page  # in the page's language
    assert _signatures() == [] and _deliveries() == []


def test_comment_and_city_limits_when_asked(client):
    make_open_declaration(asked_fields=["city", "comment", "job_title"])
    response = client.post(
        "/declarations/fair-digital-deals",
        data=form(city="c" * 121, comment="x" * 1001, job_title="j" * 121),
    )
    page = response.get_data(as_text=True)
    for field in ("city", "comment", "job_title"):
        assert f'id="{field}-error"' in page
    assert _signatures() == []


def test_only_asked_fields_are_shown_and_stored(client):
    make_open_declaration(asked_fields=["city"], signer_kinds="individual", ask_consent=False)
    page = client.get("/declarations/fair-digital-deals").get_data(as_text=True)
    assert 'name="city"' in page
    assert 'name="country"' not in page and 'name="organisation"' not in page
    assert 'name="signing_as"' not in page and 'name="consent_updates"' not in page
    client.post("/declarations/fair-digital-deals", data=form(city="Lyon", organisation="Sneaky"))
    [signature] = _signatures()
    assert signature.city == "Lyon" and signature.country is None
    assert signature.organisation_name is None and signature.signing_as == "individual"
    assert signature.consent_wording is None and signature.consent_updates is False


def test_version_recorded_on_each_signature(client, login_as):
    declaration = make_open_declaration()
    client.post("/declarations/fair-digital-deals", data=form("first@example.org"))
    services.save_text(
        declaration, "en", {"title": "Fair digital deals", "body": "We commit, amended."}
    )
    db.session.commit()
    client.post("/declarations/fair-digital-deals", data=form("second@example.org"))
    first, second = _signatures()
    assert first.version.number == 1 and second.version.number == 2
    assert "amended" in client.get("/declarations/fair-digital-deals").get_data(as_text=True)
    assert "amended" not in first.version.texts[0].body


def test_languages_query_accept_language_and_default(client, app):
    make_open_declaration()
    french = client.get("/declarations/fair-digital-deals?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in french and "Des accords numériques équitables" in french
    assert "Prénom" in french
    # Remembered in the session.
    again = client.get("/declarations/fair-digital-deals").get_data(as_text=True)
    assert '<html lang="fr">' in again
    fresh = app.test_client()
    german = fresh.get(
        "/declarations/fair-digital-deals", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    ).get_data(as_text=True)
    assert '<html lang="de">' in german and "Faire digitale Verträge" in german
    other = app.test_client().get(
        "/declarations/fair-digital-deals", headers={"Accept-Language": "pl, it;q=0.8"}
    )
    assert '<html lang="en">' in other.get_data(as_text=True)
    unknown = app.test_client().get("/declarations/fair-digital-deals?lang=xx")
    assert '<html lang="en">' in unknown.get_data(as_text=True)


def test_german_confirmation_email(client):
    make_open_declaration()
    client.post("/declarations/fair-digital-deals?lang=de", data=form())
    [delivery] = _deliveries()
    assert delivery.subject == "Bestätigen Sie Ihre Unterschrift: Faire digitale Verträge"
    assert "Meine Unterschrift bestätigen" in delivery.text_body
    assert delivery.to_email == "ana.signer@example.org"


def test_markdown_is_rendered_and_sanitised(client):
    make_open_declaration()
    declaration = db.session.scalar(select(services.Declaration))
    services.save_text(
        declaration,
        "en",
        {
            "title": "Fair digital deals",
            "body": "**Bold** <script>alert(1)</script> [x](javascript:alert(1)) "
            "[ok](https://example.org)",
        },
    )
    db.session.commit()
    page = client.get("/declarations/fair-digital-deals").get_data(as_text=True)
    assert "<strong>Bold</strong>" in page
    assert "<script>alert" not in page and 'href="javascript' not in page
    assert 'href="https://example.org"' in page


@pytest.mark.parametrize(
    ("open_on", "close_on", "message"),
    [
        (date.today() - timedelta(days=30), date.today() - timedelta(days=1), "is closed"),
        (date.today() + timedelta(days=3), None, "opens for signatures on"),
    ],
)
def test_closed_or_not_yet_open_shows_text_without_form(client, open_on, close_on, message):
    make_open_declaration(open_on=open_on, close_on=close_on)
    page = client.get("/declarations/fair-digital-deals").get_data(as_text=True)
    assert "Fair digital deals" in page and message in page
    assert "<form" not in page
    response = client.post("/declarations/fair-digital-deals", data=form())
    assert "<form" not in response.get_data(as_text=True)
    assert _signatures() == [] and _deliveries() == []
    embed = client.get("/declarations/fair-digital-deals/embed").get_data(as_text=True)
    assert "<form" not in embed


def test_unknown_declaration_is_404(client):
    assert client.get("/declarations/nothing-here").status_code == 404
    assert client.get("/declarations/nothing-here/count.json").status_code == 404


def test_page_has_labels_and_accessible_honeypot(client):
    make_open_declaration()
    page = client.get("/declarations/fair-digital-deals").get_data(as_text=True)
    for name in ("first_name", "last_name", "email", "organisation", "country"):
        assert f'<label class="form-label" for="{name}">' in page
    assert '<div class="hp-field" aria-hidden="true">' in page
    assert re.search(r'<input[^>]*autocomplete="off"[^>]*name="website"[^>]*tabindex="-1"', page)
    assert "style=" not in page and "<script" not in page


def test_csrf_is_required_on_the_public_form(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_open_declaration()
    client = app.test_client()
    refused = client.post("/declarations/fair-digital-deals", data=form())
    assert refused.status_code == 400 and b"Form expired" in refused.data
    page = client.get("/declarations/fair-digital-deals").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/declarations/fair-digital-deals",
        data={**form(), "csrf_token": token},
        follow_redirects=True,
    )
    assert accepted.status_code == 200 and CHECK_INBOX in accepted.get_data(as_text=True)
    # The confirmation button is a CSRF-protected form as well.
    with app.app_context():
        signature = db.session.scalar(select(Signature))
        path = f"/declarations/fair-digital-deals/confirm/{tokens.confirm_token(signature)}"
    assert client.post(path).status_code == 400
    shown = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', shown).group(1)
    assert client.post(path, data={"csrf_token": token}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Signature.status)) == "confirmed"


def test_embed_headers_and_form(client):
    make_open_declaration()
    response = client.get("/declarations/fair-digital-deals/embed?lang=de")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert 'name="next"' not in page and 'name="csrf_token"' not in page
    assert 'action="/declarations/fair-digital-deals/embed?lang=de"' in page
    assert "Set-Cookie" not in response.headers  # nothing that a third-party frame would lose
    # Posting from the embed answers inside the embed, also framable.
    stamp = re.search(r'name="stamp" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/declarations/fair-digital-deals/embed?lang=de", data={**form(), "stamp": stamp}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/declarations/fair-digital-deals/embed/sent?lang=de"
    sent = client.get(answer.headers["Location"])
    for response in (answer, sent):
        assert "X-Frame-Options" not in response.headers
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
        assert "Set-Cookie" not in response.headers
    assert "Sehen Sie in Ihrem Postfach nach" in sent.get_data(as_text=True)
    assert len(_signatures()) == 1
    # Without a genuine stamp an embed post is refused (it has no session-bound CSRF token).
    assert (
        client.post(
            "/declarations/fair-digital-deals/embed", data=form("x@example.org")
        ).status_code
        == 400
    )
    # Every other page stays unframeable, by other sites and by the CRM itself.
    public = client.get("/declarations/fair-digital-deals")
    assert public.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in public.headers["Content-Security-Policy"]


def test_count_json_headers_and_numbers(client):
    declaration = make_open_declaration()
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        client.post("/declarations/fair-digital-deals", data=form(email))
    signatures = _signatures()
    for signature in signatures[:2]:
        signing.confirm(tokens.confirm_token(signature))
    db.session.commit()
    response = client.get("/declarations/fair-digital-deals/count.json")
    assert response.status_code == 200
    assert response.json == {"slug": "fair-digital-deals", "confirmed": 2, "target": 500}
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert signing.confirmed_count(declaration.id) == 2
    total = db.session.scalar(select(func.count()).select_from(Signature))
    assert total == 3


def test_a_form_shown_again_with_errors_keeps_its_first_stamp(app, client, monkeypatch):
    declaration = make_open_declaration()
    first = _old_stamp(declaration, monkeypatch)
    app.config["SIGNATURE_MIN_FILL_SECONDS"] = 3
    try:
        wrong = client.post(
            "/declarations/fair-digital-deals", data={**form(email="typo"), "stamp": first}
        )
        assert f'value="{first}"' in wrong.get_data(as_text=True)
        right = client.post(
            "/declarations/fair-digital-deals",
            data={**form(), "stamp": first},
            follow_redirects=True,
        )
        assert CHECK_INBOX in right.get_data(as_text=True)
        assert len(_signatures()) == 1
    finally:
        app.config["SIGNATURE_MIN_FILL_SECONDS"] = 0


def test_count_is_cached_briefly_in_process_and_refreshed_on_confirm(app, client):
    declaration = make_open_declaration()
    for email in ("a@example.org", "b@example.org"):
        client.post("/declarations/fair-digital-deals", data=form(email))
    first, second = _signatures()
    app.config["SIGNATURE_COUNT_CACHE_SECONDS"] = 60
    try:
        assert signing.confirmed_count(declaration.id) == 0
        signing.confirm(tokens.confirm_token(first))  # this process forgets its cached count
        db.session.commit()
        assert signing.confirmed_count(declaration.id) == 1
        # A confirmation elsewhere (another process) shows here once the cache expires.
        second.status, second.moderation = "confirmed", "not_needed"
        db.session.commit()
        assert signing.confirmed_count(declaration.id) == 1
        signing._count_cache.clear()
        assert signing.confirmed_count(declaration.id) == 2
    finally:
        app.config["SIGNATURE_COUNT_CACHE_SECONDS"] = 0
        signing._count_cache.clear()


def test_confirming_links_the_signature_to_the_directory(client):
    org = factories.organisation("Directory Records")
    person = factories.person(org, email="known@example.org", first_name="Known")
    suggested = factories.organisation("Nordlicht Tonträger GmbH", country="DE")
    db.session.commit()
    make_open_declaration(signer_kinds="both", asked_fields=["organisation", "country"])
    client.post("/declarations/fair-digital-deals", data=form("KNOWN@example.org "))
    client.post(
        "/declarations/fair-digital-deals",
        data=form(
            "new@nordlicht.example",
            signing_as="organisation",
            organisation="nordlicht tontrager",
            country="DE",
        ),
    )
    for signature in _signatures():
        client.post(f"/declarations/fair-digital-deals/confirm/{tokens.confirm_token(signature)}")
    by_email = {s.email_key: s for s in _signatures()}
    known = by_email["known@example.org"]
    assert (known.match_status, known.person_id, known.organisation_id) == (
        "matched",
        person.id,
        org.id,
    )
    new = by_email["new@nordlicht.example"]
    assert (new.match_status, new.suggested_organisation_id, new.organisation_id) == (
        "suggested",
        suggested.id,
        None,
    )


def test_public_page_links_to_the_signatory_list_when_listed(client):
    make_open_declaration()
    page = client.get("/declarations/fair-digital-deals?lang=de").get_data(as_text=True)
    assert 'href="/declarations/fair-digital-deals/signatories"' in page
    assert "Wer hat unterzeichnet?" in page
    make_open_declaration(slug="quiet", list_publicly=False)
    assert "/signatories" not in client.get("/declarations/quiet").get_data(as_text=True)
