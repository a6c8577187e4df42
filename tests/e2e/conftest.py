"""Browser tests: the app served by a real threaded werkzeug server on loopback, on the session
test database, with CSRF on as in production."""

import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def live_app(app, make_app):
    """The app the live server serves; a test may adjust its config before the first request.
    `app` (the session app) has migrated the database; this second app shares it."""
    overrides = {"WTF_CSRF_ENABLED": True}
    if "SIGNATURE_MIN_FILL_SECONDS" in app.config:
        overrides["SIGNATURE_MIN_FILL_SECONDS"] = 1
    return make_app(**overrides)


@pytest.fixture
def live_server(live_app):
    """The app on http://127.0.0.1:<free port>, for this test only."""
    served = live_app
    server = make_server("127.0.0.1", 0, served, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    served.config["PUBLIC_BASE_URL"] = url  # links in emails point at this server
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
