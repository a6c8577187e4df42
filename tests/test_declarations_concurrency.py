"""Fifty people (or one impatient person) submitting the same email at once through a real
threaded server: exactly one signature, one confirmation mail, and no error responses."""

import threading
import urllib.parse
import urllib.request

from sqlalchemy import delete, func, select
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


def test_an_insert_that_meets_a_signature_reuses_it_in_the_same_transaction(app):
    """The loser of the race: its INSERT ... ON CONFLICT DO NOTHING inserts nothing and raises
    nothing, so its transaction carries on with the winner's signature (throttled: no mail)."""
    from crm.declarations import signing

    declaration = make_open_declaration()
    with app.test_request_context():
        winner = signing.sign(declaration, form("race@example.org"), "192.0.2.1", "en")
        db.session.commit()
        loser = signing.sign(declaration, form("RACE@example.org"), "192.0.2.2", "en")
        assert loser.created is False and loser.mailed is False  # resend is throttled
        assert loser.signature_id == winner.signature_id
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_a_conflicting_row_deleted_meanwhile_is_inserted_again(app, monkeypatch):
    """Between the refused insert and the read, the winner's row was deleted (staff removed it):
    the insert is tried once more and makes the signature, with its mail."""
    from crm.declarations import signing

    declaration = make_open_declaration()
    with app.test_request_context():
        signing.sign(declaration, form("gone@example.org"), None, "en")
        # Not the newest row, so that SQLite cannot hand the deleted row's id out again.
        signing.sign(declaration, form("later@example.org"), None, "en")
        db.session.commit()
        real_find, calls = signing._find, []

        def find_then_delete(declaration_id, key):
            calls.append(key)
            db.session.execute(delete(Signature).where(Signature.email_key == key))
            return None

        monkeypatch.setattr(signing, "_find", find_then_delete)
        result = signing.sign(declaration, form("gone@example.org"), None, "en")
        monkeypatch.setattr(signing, "_find", real_find)
        assert result.created is True and result.mailed is True
        db.session.commit()
    assert calls == ["gone@example.org"]
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 2
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 3
