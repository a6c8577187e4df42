"""Headers, cookies, production settings and the rate limiter's Redis storage."""

import os

import pytest

from config import ProductionConfig
from crm import create_app
from crm.extensions import db
from tests import factories
from tests.conftest import PASSWORD


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script_and_no_external_assets(client, login_as):
    login_as("admin")
    factories.organisation("Asset Check Records")
    db.session.commit()
    for path in ("/login", "/", "/organisations"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "http://" not in page.split("<body>")[0]
        assert "cdn" not in page.lower()
    css = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert css.status_code == 200


def test_session_cookie_is_http_only_and_same_site(client):
    user = factories.user("officer")
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_a_missing_short_or_development_secret(monkeypatch):
    from config import DEV_SECRET

    for secret in (None, "short", DEV_SECRET):
        config = type("Prod", (ProductionConfig,), {"SECRET_KEY": secret})
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(config)
    good = type("Prod", (ProductionConfig,), {"SECRET_KEY": "x" * 40})
    assert create_app(good).config["SESSION_COOKIE_SECURE"] is True


def test_without_settings_the_app_starts_as_production_and_refuses(monkeypatch):
    monkeypatch.delenv("CRM_CONFIG", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("CRM_CONFIG", "staging")
    with pytest.raises(RuntimeError, match="CRM_CONFIG must be one of"):
        create_app()


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE


def test_unknown_page_and_wrong_method_get_friendly_pages(client):
    assert b"There is nothing at this address." in client.get("/no/such/page").data
    assert client.put("/login").status_code == 405


REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL")


@pytest.mark.skipif(
    not REDIS_URL, reason="CRM_TEST_REDIS_URL not set: Redis rate-limit storage is tested in CI"
)
def test_login_rate_limit_uses_redis_storage(make_limited_app):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    app = make_limited_app(RATELIMIT_STORAGE_URI=REDIS_URL, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with app.app_context():
        codes = [
            client.post("/login", data={"email": "a@example.org", "password": "b"}).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]
    keys = redis.Redis.from_url(REDIS_URL).keys("*")
    assert keys, "the limiter stored nothing in Redis"


def test_database_down_gives_503_not_500(make_app):
    app = make_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    )
    client = app.test_client()
    response = client.post("/login", data={"email": "a@example.org", "password": "whatever pw"})
    assert response.status_code == 503
    assert b"The database cannot be reached" in response.data


def test_nul_characters_are_refused_with_a_message(client, login_as):
    login_as("officer")
    response = client.post(
        "/organisations/new", data={"name": "a\x00b", "kind": "label", "country": "DE"}
    )
    assert response.status_code == 400 and b"NUL character" in response.data
    assert client.get("/organisations?q=a%00b").status_code == 400


def test_numbers_beyond_any_database_column_are_not_found_not_errors(client, login_as):
    login_as("admin")
    huge = "99999999999999999999"
    assert client.get(f"/organisations/{huge}").status_code == 404
    assert client.get(f"/people/{huge}/edit").status_code == 404
    assert client.get(f"/organisations?association={huge}&page={huge}").status_code == 200
    assert client.get("/organisations?association=²&page=³").status_code == 200
    assert client.get(f"/users?page={huge}").status_code == 200
    assert client.get(f"/audit?page={huge}").status_code == 200


def test_nul_characters_in_the_path_are_refused_not_errors(client):
    assert client.get("/declarations/x%00").status_code == 400
    assert client.get("/declarations/x%00/count.json").status_code == 400
