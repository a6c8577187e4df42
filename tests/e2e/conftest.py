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


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING = ("serious", "critical")


@pytest.fixture
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


class AxeLog:
    """axe run on every page a path visits: counts per page, serious/critical kept to assert."""

    def __init__(self):
        self.blocking: dict[str, list] = {}

    def check(self, page, name: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        violations = Axe().run(page).response["violations"]
        counts = {impact: 0 for impact in ("minor", "moderate", "serious", "critical")}
        for violation in violations:
            counts[violation.get("impact") or "minor"] += 1
        print(f"axe {name}: serious {counts['serious']}, critical {counts['critical']}")
        self.blocking[name] = [
            (v["id"], v["impact"], v["help"]) for v in violations if v.get("impact") in BLOCKING
        ]

    def assert_clean(self) -> None:
        assert {name: found for name, found in self.blocking.items() if found} == {}


@pytest.fixture
def axe():
    return AxeLog()


def sign_in(page, base_url: str, email: str, password: str) -> None:
    """Log in through the real form."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
