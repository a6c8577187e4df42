"""Fifty people (or one impatient person) submitting the same email at once through a real
threaded server: exactly one signature, one confirmation mail, and no error responses."""

import threading
import urllib.parse
import urllib.request

from sqlalchemy import func, select
from werkzeug.serving import make_server

from crm.declarations.models import Signature
from crm.extensions import db
from crm.mailings.models import Delivery
from tests.test_declarations_public import CHECK_INBOX, form, make_open_declaration

SUBMISSIONS = 50


def test_concurrent_submissions_of_one_email_make_one_signature(make_app):
    app = make_app(WTF_CSRF_ENABLED=False, SIGNATURE_MIN_FILL_SECONDS=0)
    with app.app_context():
        make_open_declaration()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/declarations/fair-digital-deals"
    body = urllib.parse.urlencode(form("Same.Person@example.org")).encode()
    start = threading.Barrier(SUBMISSIONS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def submit():
        start.wait()
        try:
            with urllib.request.urlopen(url, data=body, timeout=60) as response:  # noqa: S310
                outcome = (response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            outcome = (error.code, error.read().decode())
        except OSError as error:  # a refused or reset connection counts as an error response
            outcome = (0, repr(error))
        with lock:
            results.append(outcome)

    workers = [threading.Thread(target=submit) for _ in range(SUBMISSIONS)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert len(results) == SUBMISSIONS
    assert sorted({status for status, _ in results}) == [200], [r for r in results if r[0] != 200][
        :3
    ]
    assert all(CHECK_INBOX in page for _, page in results)
    with app.app_context():
        signatures = db.session.scalar(select(func.count()).select_from(Signature))
        deliveries = db.session.scalar(select(func.count()).select_from(Delivery))
    assert signatures == 1
    assert deliveries == 1  # the others were refused a resend: too soon


def test_losing_the_insert_race_reuses_the_winner_in_the_same_transaction(app, monkeypatch):
    """Deterministic version of the race: the duplicate check misses a row committed meanwhile;
    the insert fails in its savepoint, the transaction carries on with the existing signature."""
    from crm.declarations import signing

    declaration = make_open_declaration()
    with app.test_request_context():
        winner = signing.sign(declaration, form("race@example.org"), "192.0.2.1", "en")
        db.session.commit()
        real_find, calls = signing._find, []

        def stale_find(declaration_id, key):
            calls.append(key)
            return None if len(calls) == 1 else real_find(declaration_id, key)

        monkeypatch.setattr(signing, "_find", stale_find)
        loser = signing.sign(declaration, form("RACE@example.org"), "192.0.2.2", "en")
        assert loser.created is False and loser.mailed is False  # resend is throttled
        assert loser.signature.id == winner.signature.id
        db.session.commit()
    assert len(calls) == 2
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1
