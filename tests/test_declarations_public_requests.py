"""The signing request itself: post/redirect/get to a "check your inbox" page that changes
nothing, and a POST that costs a fixed, small number of SQL statements."""

import pytest
from sqlalchemy import event, func, select

from crm.declarations.models import Signature
from crm.extensions import db
from crm.mailings.models import Delivery
from tests.test_declarations_public import CHECK_INBOX, form, make_open_declaration

PAGE = "/declarations/fair-digital-deals"


def _counts():
    db.session.expire_all()
    count = select(func.count())
    return tuple(db.session.scalar(count.select_from(m)) for m in (Signature, Delivery))


def test_a_signature_answers_303_to_the_check_inbox_page(client):
    make_open_declaration()
    response = client.post(f"{PAGE}?lang=fr", data=form())
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PAGE}/sent?lang=fr"
    assert _counts() == (1, 1)
    # The page it leads to only reads: reloading it a few times changes nothing.
    for _ in range(3):
        sent = client.get(response.headers["Location"])
        assert sent.status_code == 200
        assert "Consultez votre boîte de réception" in sent.get_data(as_text=True)
    assert 'href="/declarations/fair-digital-deals?lang=fr"' in sent.get_data(as_text=True)
    assert _counts() == (1, 1)
    assert sent.headers["X-Frame-Options"] == "DENY"
    assert client.get("/declarations/no-such-thing/sent").status_code == 404
    assert client.post(f"{PAGE}/sent", data=form("x@example.org")).status_code == 405
    assert _counts() == (1, 1)


def test_refused_forms_are_shown_again_not_redirected(client):
    make_open_declaration()
    response = client.post(PAGE, data=form(email="not-an-email"))
    assert response.status_code == 200 and 'id="email-error"' in response.get_data(as_text=True)
    assert CHECK_INBOX not in response.get_data(as_text=True)
    assert _counts() == (0, 0)


@pytest.fixture
def statements(app):
    """The SQL statements the app runs while the test watches."""
    seen: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", watch)
    yield seen
    event.remove(engine, "before_cursor_execute", watch)


def test_a_signing_post_reads_once_and_writes_three_rows(client, statements):
    """The busiest public request stays cheap: one read of the declaration, then the signature,
    its audit entry and its confirmation mail; no read before the insert, no lazy loads."""
    make_open_declaration()
    # PostgreSQL writes the three rows in one statement (data-modifying CTEs); SQLite in three.
    writes = ["WITH"] if db.engine.dialect.name == "postgresql" else ["INSERT"] * 3
    statements.clear()
    assert client.post(PAGE, data=form()).status_code == 303
    assert statements == ["SELECT", *writes]
    # The same email again: its insert does nothing, the existing row is read, the throttled
    # resend updates nothing and no mail is queued.
    statements.clear()
    assert client.post(PAGE, data=form("ANA.signer@example.org")).status_code == 303
    assert statements == ["SELECT", writes[0], "SELECT", "UPDATE"]
    assert _counts() == (1, 1)
