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
        with csrf_app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments})
        response = client.post(url, data={"name": "no token"})
        assert response.status_code == 400, rule.endpoint
        assert b"Form expired" in response.data, rule.endpoint
