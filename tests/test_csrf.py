"""With CSRF on (as in every real configuration), every POST form refuses a request without a
valid token, and accepts one with it."""

import re

import pytest

from crm.extensions import db
from tests import factories
from tests.conftest import PASSWORD


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def _token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page
    )


# POST routes that take no CSRF token, each for a reason; every other one must refuse.
CSRF_EXEMPT = {
    # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without cookies; the signed token
    # in the address is the capability.
    "mailings.unsubscribe": "one-click unsubscribe from mail clients",
    # A machine API with its own bearer token (compared in constant time); no browser session.
    "mailings.bounce_api": "bounce endpoint authenticated by bearer token",
}


def test_the_exempt_routes_are_exactly_the_listed_ones(csrf_app):
    exempt = {
        rule.endpoint
        for rule in csrf_app.url_map.iter_rules()
        if "POST" in rule.methods
        and _view_name(csrf_app, rule.endpoint) in csrf_app.extensions["csrf"]._exempt_views
    }
    # public_declaration and embed check their token (or signed stamp) themselves, first.
    assert exempt - {"declarations.public_declaration", "declarations.embed"} == set(CSRF_EXEMPT)


def _view_name(app, endpoint):
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}"


def test_every_post_route_refuses_a_missing_token(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        user = factories.user("admin")
        org = factories.organisation("CSRF Label")
        person = factories.person(org)
        membership = factories.membership(org)
        db.session.commit()
        ids = {
            "org_id": org.id,
            "person_id": person.id,
            "membership_id": membership.id,
            "user_id": user.id,
            "token": "x",
            # Policy records: the token check comes first, so the rows need not exist.
            **dict.fromkeys(
                ("priority_id", "document_id", "dossier_id", "date_id", "stakeholder_id"), 1
            ),
            **dict.fromkeys(("campaign_id", "milestone_id", "signatory_id"), 1),
            "action_id": 1,  # the action log
            # Declarations: staff routes by id, public ones by slug.
            **dict.fromkeys(("declaration_id", "signature_id"), 1),
            "slug": "no-such-declaration",
            # Audiences and the suppression list (the token check comes first).
            **dict.fromkeys(("audience_id", "suppression_id"), 1),
            # Mailings and their attachments (the token check comes first).
            **dict.fromkeys(("mailing_id", "attachment_id"), 1),
            # Sales Awards: levels and registrations (the token check comes first).
            **dict.fromkeys(("level_id", "registration_id", "evidence_id"), 1),
        }
    # Logging in is itself a form: without a token it is refused.
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    match = _token(client, "/login")
    token = match.group(1) or match.group(2)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    post_rules = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    assert len(post_rules) >= 10
    for rule in post_rules:
        if rule.endpoint in CSRF_EXEMPT:
            continue
        with csrf_app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments})
        response = client.post(url, data={"name": "no token"})
        assert response.status_code == 400, rule.endpoint
        assert b"Form expired" in response.data, rule.endpoint
