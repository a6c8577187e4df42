"""Rate limits on signing: per client address and per email domain, refused with a public
429 page."""

import os
import re
import uuid

import pytest
from sqlalchemy import func, select

from crm.declarations.models import Signature
from crm.extensions import db
from tests.test_declarations_public import form, make_open_declaration


def _count():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Signature))


def test_signing_is_rate_limited_per_address(make_limited_app):
    app = make_limited_app(
        SIGN_RATE_LIMIT_IP="3 per minute", SIGN_RATE_LIMIT_DOMAIN="100 per minute"
    )
    with app.app_context():
        make_open_declaration()
    client = app.test_client()
    codes = [
        client.post(
            "/declarations/fair-digital-deals", data=form(f"p{n}@domain{n}.example")
        ).status_code
        for n in range(4)
    ]
    assert codes == [303, 303, 303, 429]
    # Another address still signs; the page is never limited.
    other = app.test_client()
    ok = other.post(
        "/declarations/fair-digital-deals",
        data=form("q@other.example"),
        environ_base={"REMOTE_ADDR": "192.0.2.9"},
    )
    assert ok.status_code == 303
    assert client.get("/declarations/fair-digital-deals").status_code == 200
    with app.app_context():
        assert _count() == 4


def test_signing_is_rate_limited_per_email_domain(make_limited_app):
    app = make_limited_app(
        SIGN_RATE_LIMIT_IP="100 per minute", SIGN_RATE_LIMIT_DOMAIN="2 per minute"
    )
    with app.app_context():
        make_open_declaration()
    client = app.test_client()

    def post(email, address):
        return client.post(
            "/declarations/fair-digital-deals",
            data=form(email),
            environ_base={"REMOTE_ADDR": address},
        )

    codes = [post(f"s{n}@Spam.example", f"198.51.100.{n}").status_code for n in range(3)]
    assert codes == [303, 303, 429]
    refused = post("s9@spam.example", "198.51.100.77")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many attempts" in page and "try again later" in page
    assert '<html lang="en">' in page and "Sign out" not in page  # the public layout
    assert post("someone@elsewhere.example", "198.51.100.78").status_code == 303
    with app.app_context():
        assert _count() == 3


def test_refused_posts_do_not_use_up_an_email_domains_budget(make_limited_app):
    """Junk posts without a CSRF token, from several addresses, are refused (400) without
    counting against the domain: its genuine signers still sign."""
    app = make_limited_app(
        SIGN_RATE_LIMIT_IP="100 per minute",
        SIGN_RATE_LIMIT_DOMAIN="2 per minute",
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        make_open_declaration()
    junk = app.test_client()
    codes = [
        junk.post(
            "/declarations/fair-digital-deals",
            data={"email": f"junk{n}@mail.example"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        ).status_code
        for n in range(5)
    ]
    assert codes == [400] * 5
    person = app.test_client()

    def sign(email):
        page = person.get("/declarations/fair-digital-deals").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return person.post(
            "/declarations/fair-digital-deals", data={**form(email), "csrf_token": token}
        ).status_code

    assert [sign("ana@mail.example"), sign("ben@MAIL.example"), sign("cy@mail.example")] == [
        303,
        303,
        429,  # the budget is still there for genuine signings, and still counted
    ]
    with app.app_context():
        assert _count() == 2


def test_refusal_inside_an_embed_is_framable(make_limited_app):
    app = make_limited_app(SIGN_RATE_LIMIT_IP="1 per minute")
    with app.app_context():
        make_open_declaration()
    client = app.test_client()
    client.post("/declarations/fair-digital-deals/embed", data=form())
    refused = client.post("/declarations/fair-digital-deals/embed", data=form())
    assert refused.status_code == 429
    assert "X-Frame-Options" not in refused.headers
    assert "frame-ancestors *" in refused.headers["Content-Security-Policy"]


REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL")


@pytest.mark.skipif(
    not REDIS_URL, reason="CRM_TEST_REDIS_URL not set: Redis rate-limit storage is tested in CI"
)
def test_domain_limit_is_shared_through_redis(make_limited_app):
    """Two app instances (two web nodes) on one Redis share the per-domain budget."""
    import redis

    prefix = f"decl-test-{uuid.uuid4().hex}"
    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "SIGN_RATE_LIMIT_DOMAIN": "2 per minute",
    }
    first, second = make_limited_app(**settings), make_limited_app(**settings)
    with first.app_context():
        make_open_declaration()
    codes = [
        app.test_client()
        .post("/declarations/fair-digital-deals", data=form(f"n{n}@shared.example"))
        .status_code
        for n, app in enumerate((first, second, second))
    ]
    assert codes == [303, 303, 429]
    assert redis.Redis.from_url(REDIS_URL).keys(f"*{prefix}*")
