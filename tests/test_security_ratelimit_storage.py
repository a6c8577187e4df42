"""Rate limiting fails closed: with its storage (Redis) unreachable, every rate-limited public
form answers 503 "temporarily unavailable" and saves nothing, never a 500 and never unlimited,
while signed-in staff keep working. The public POST endpoints are found in the url_map and the
access matrix, so a new public form is checked without editing this file."""

import os
import socket
import socketserver
import threading

import pytest
from sqlalchemy import func, select

from crm.declarations.models import Signature
from crm.extensions import db, limiter
from crm.mailings.models import Delivery
from crm.members.models import Organisation
from tests import factories
from tests.conftest import PASSWORD
from tests.test_access_matrix import EXPECTED, PUBLIC
from tests.test_declarations_public import form, make_open_declaration

REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL")
UNAVAILABLE = b"Form temporarily unavailable"
# Public POST endpoints that carry no rate limit, each with the reason it needs none. Any other
# public POST endpoint must be limited, and so must refuse to work while the limits cannot be
# counted.
NOT_LIMITED = {
    "auth.logout": "signs out the session's own user; nothing to guess or flood",
    "declarations.confirm_signature": "needs a signed, expiring token mailed to the signer",
}
# These must exist and be limited whatever else changes.
MUST_BE_LIMITED = {
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "declarations.public_declaration",
    "declarations.embed",
}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: connections refused


@pytest.fixture
def limited_app(make_app):
    """Apps with rate limits on a given storage. The Limiter is shared by every app in the
    process: give it a working store again afterwards and switch it off."""
    yield lambda url, **overrides: make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url, **overrides
    )
    make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.enabled = False


@pytest.fixture
def redis_down(limited_app):
    return limited_app(f"redis://127.0.0.1:{_closed_port()}/0")


def _signed_in(app, other_app, user):
    """A client of `app` carrying a session made on `other_app` (same secret): staff who were
    signed in before Redis went down."""
    source = other_app.test_client()
    limiter.enabled = False  # shared by both apps: this sign-in happened before the outage
    try:
        response = source.post("/login", data={"email": user.email, "password": PASSWORD})
    finally:
        limiter.enabled = True
    assert response.status_code == 302
    client = app.test_client()
    client.set_cookie("session", source.get_cookie("session").value)
    return client


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _public_post_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if EXPECTED.get(rule.endpoint) == PUBLIC and "POST" in rule.methods
    ]


def _url(rule, slug: str) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = (
            slug if name == "slug" else (1 if "Integer" in type(converter).__name__ else "x")
        )
    return rule.build(values)[1]


def test_every_public_post_fails_closed_or_is_known_to_need_no_limit(app, redis_down):
    make_open_declaration("closed-door")
    client = redis_down.test_client()
    limited, unlimited = set(), set()
    for rule in _public_post_rules(app):
        response = client.post(_url(rule, "closed-door"), data=form())
        assert response.status_code != 500, rule.endpoint
        if response.status_code == 503 and UNAVAILABLE in response.data:
            limited.add(rule.endpoint)
        else:
            unlimited.add(rule.endpoint)
    assert limited >= MUST_BE_LIMITED
    assert unlimited <= set(NOT_LIMITED), (
        f"public POST endpoints without a rate limit: {sorted(unlimited - set(NOT_LIMITED))}"
    )
    assert _count(Signature) == 0 and _count(Delivery) == 0


def test_login_and_reset_refused_clearly_and_change_nothing(app, redis_down):
    user = factories.user("officer")
    db.session.commit()
    client = redis_down.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    page = response.get_data(as_text=True)
    assert "Form temporarily unavailable" in page and "nothing was sent or saved" in page
    assert client.get("/").status_code == 302  # not signed in
    assert client.post("/password/forgot", data={"email": user.email}).status_code == 503
    assert _count(Delivery) == 0
    # Reading the forms needs no counting: they still show.
    assert client.get("/login").status_code == 200
    assert client.get("/password/forgot").status_code == 200


def test_signing_and_embed_refused_in_their_own_layout(app, redis_down):
    make_open_declaration("closed-door")
    client = redis_down.test_client()
    assert client.get("/declarations/closed-door").status_code == 200
    page = client.post("/declarations/closed-door", data=form())
    assert page.status_code == 503 and UNAVAILABLE in page.data
    assert page.headers["X-Frame-Options"] == "DENY"
    embed = client.post("/declarations/closed-door/embed", data=form())
    assert embed.status_code == 503 and UNAVAILABLE in embed.data
    # Shown inside the other site's frame, like the form it replaces.
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert b"navbar" not in embed.data  # the public layout, not the staff one
    assert _count(Signature) == 0


def test_signed_in_staff_keep_working_while_redis_is_down(app, redis_down):
    user = factories.user("officer")
    db.session.commit()
    client = _signed_in(redis_down, app, user)
    for path in ("/", "/organisations", "/staff/declarations"):
        response = client.get(path)
        assert response.status_code == 200, path
    created = client.post(
        "/organisations/new",
        data={"name": "Still Working Records", "kind": "label", "country": "DE"},
    )
    assert created.status_code == 302 and _count(Organisation) == 1
    assert client.post("/logout").status_code == 302


class _Relay(socketserver.ThreadingTCPServer):
    """A TCP relay in front of the real Redis that can be cut and restored: Redis 'goes down'
    for this app only, not for anyone else using the server."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream):
        self.upstream = upstream
        self.open = True
        self.sockets = []
        super().__init__(("127.0.0.1", 0), _Pipe)

    def cut(self):
        self.open = False
        for sock in self.sockets:
            sock.close()


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self):
        if not self.server.open:
            return
        upstream = socket.create_connection(self.server.upstream)
        self.server.sockets += [self.request, upstream]

        def pump(source, target):
            try:
                while data := source.recv(65536):
                    target.sendall(data)
            except OSError:
                pass
            finally:
                target.close()

        thread = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        thread.start()
        pump(self.request, upstream)
        thread.join(timeout=5)


@pytest.mark.skipif(not REDIS_URL, reason="CRM_TEST_REDIS_URL not set: real Redis is tested in CI")
def test_real_redis_limits_then_fails_closed_when_cut_then_recovers(app, limited_app):
    from urllib.parse import urlsplit

    import redis

    parts = urlsplit(REDIS_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()
    relay = _Relay((parts.hostname, parts.port or 6379))
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    try:
        via_relay = f"redis://127.0.0.1:{relay.server_address[1]}{parts.path or '/0'}"
        limited = limited_app(via_relay, LOGIN_RATE_LIMIT="3 per minute")
        client = limited.test_client()
        officer = factories.user("officer")
        db.session.commit()
        staff = _signed_in(limited, app, officer)

        def attempt():
            return client.post("/login", data={"email": "a@example.org", "password": "x"})

        assert [attempt().status_code for _ in range(4)] == [200, 200, 200, 429]
        relay.cut()
        assert attempt().status_code == 503
        assert staff.get("/organisations").status_code == 200
        relay.open = True
        # Back up: the limiter reconnects and the count kept in Redis still holds.
        assert attempt().status_code == 429
    finally:
        relay.shutdown()
        relay.server_close()


def test_health_check_reports_redis_down_but_keeps_the_node_in(redis_down, limited_app):
    answer = redis_down.test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {
        "status": "degraded",
        "database": "ok",
        "rate_limit_storage": "unavailable",
    }
    working = limited_app("memory://").test_client().get("/healthz")
    assert working.json["status"] == "ok" and working.json["rate_limit_storage"] == "ok"
