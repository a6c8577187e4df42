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
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def _framing(response) -> tuple[str | None, str]:
    csp = response.headers["Content-Security-Policy"]
    ancestors = next(p.strip() for p in csp.split(";") if "frame-ancestors" in p)
    return response.headers.get("X-Frame-Options"), ancestors


def test_only_the_declaration_embed_may_be_framed(client, login_as):
    from tests.test_declarations_public import make_open_declaration

    make_open_declaration("framed")
    embed = client.get("/declarations/framed/embed")
    assert embed.status_code == 200
    assert _framing(embed) == (None, "frame-ancestors *")
    denied = ("DENY", "frame-ancestors 'none'")
    for path in ("/login", "/password/forgot", "/declarations/framed", "/no/such/page"):
        assert _framing(client.get(path)) == denied, path
    # An embed's URL with another endpoint's manners changes nothing: only the embed is framable.
    assert _framing(client.get("/declarations/framed?embed=1&next=embed")) == denied
    login_as("admin")
    for path in ("/", "/organisations", "/users", "/audit"):
        response = client.get(path)
        assert response.status_code == 200 and _framing(response) == denied, path


@pytest.mark.parametrize(
    ("proxy_count", "headers", "base_url", "hsts"),
    [
        (0, {}, "http://crm.example", False),
        (0, {}, "https://crm.example", True),  # TLS straight to gunicorn
        (1, {"X-Forwarded-Proto": "https"}, "http://crm.example", True),  # TLS at the proxy
        (1, {"X-Forwarded-Proto": "http"}, "http://crm.example", False),
        (1, {}, "http://crm.example", False),
        # Without a trusted proxy anyone could send the header: it must not count.
        (0, {"X-Forwarded-Proto": "https"}, "http://crm.example", False),
    ],
)
def test_hsts_only_when_the_request_came_over_tls(make_app, proxy_count, headers, base_url, hsts):
    app = make_app(PROXY_COUNT=proxy_count)
    response = app.test_client().get("/login", headers=headers, base_url=base_url)
    assert response.status_code == 200
    if hsts:
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
    else:
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_also_on_error_pages_over_tls(make_app):
    app = make_app(PROXY_COUNT=1)
    response = app.test_client().get("/nowhere", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 404 and "Strict-Transport-Security" in response.headers


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


def _start_from_environment(tmp_path, **env):
    """create_app() in a fresh interpreter, configured only by environment variables as gunicorn
    and systemd start it (config.py reads them at import)."""
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "CRM_CONFIG"}}
    code = "from crm import create_app; print(create_app().config['SESSION_COOKIE_SECURE'])"
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments, no shell)
        [sys.executable, "-c", code],
        env={
            **clean,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "CRM_INSTANCE_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_starts_with_a_real_secret_from_the_environment(tmp_path):
    started = _start_from_environment(tmp_path, CRM_CONFIG="production", SECRET_KEY="k" * 40)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "True"  # Secure cookies
    refused = _start_from_environment(tmp_path, CRM_CONFIG="production", SECRET_KEY="k" * 31)
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
    unset = _start_from_environment(tmp_path)  # no CRM_CONFIG: production, and no secret
    assert unset.returncode != 0 and "SECRET_KEY must be set" in unset.stderr


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE


def test_production_app_sends_session_and_remember_cookies_secure_only(database_uri, tmp_path):
    """The real ProductionConfig (CSRF on), signed in with "remember me": every cookie it sets
    carries Secure, HttpOnly and SameSite=Lax."""
    import re

    from tests.conftest import IsolatedClient

    config = type(
        "Prod",
        (ProductionConfig,),
        {
            "SECRET_KEY": "p" * 40,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "INSTANCE_DIR": str(tmp_path),
            "RATELIMIT_ENABLED": False,  # the limiter is shared by every app in the process
        },
    )
    app = create_app(config)
    app.test_client_class = IsolatedClient
    user = factories.user("officer")
    db.session.commit()
    client = app.test_client()
    shown = client.get("/login", base_url="https://crm.example")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', shown.text).group(1)
    response = client.post(
        "/login",
        base_url="https://crm.example",
        headers={"Referer": "https://crm.example/login"},
        data={"csrf_token": token, "email": user.email, "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


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
