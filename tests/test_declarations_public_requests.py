"""The signing request itself: post/redirect/get to a "check your inbox" page that changes
nothing, and a POST that costs a fixed, small number of SQL statements."""

from contextlib import contextmanager

import psycopg
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


@contextmanager
def watching(engine):
    """The SQL statements run while inside: through SQLAlchemy, and those the signing write
    hands to the PostgreSQL driver itself (signature_writes.insert_committed)."""
    seen: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split(None, 1)[0].upper())

    real_execute = psycopg.Connection.execute

    def driver_execute(self, query, *args, **kwargs):
        seen.append(str(query).split(None, 1)[0].upper())
        return real_execute(self, query, *args, **kwargs)

    event.listen(engine, "before_cursor_execute", watch)
    psycopg.Connection.execute = driver_execute
    try:
        yield seen
    finally:
        psycopg.Connection.execute = real_execute
        event.remove(engine, "before_cursor_execute", watch)


@pytest.fixture
def statements(app):
    """The SQL statements the app runs while the test watches."""
    with app.app_context():
        engine = db.engine
    with watching(engine) as seen:
        yield seen


def test_a_signing_post_reads_once_and_writes_three_rows(client, statements):
    """The busiest public request stays cheap: one read of the declaration, then the signature,
    its audit entry and its confirmation mail; no read before the insert, no lazy loads. (The
    tests keep no copy of the declaration and reserve one id at a time: see the next test.)"""
    make_open_declaration()
    postgresql = db.engine.dialect.name == "postgresql"
    # PostgreSQL writes the three rows in one statement (data-modifying CTEs), under an id taken
    # from the sequence beforehand; SQLite writes them in three.
    writes = ["SELECT", "WITH"] if postgresql else ["INSERT"] * 3
    statements.clear()
    assert client.post(PAGE, data=form()).status_code == 303
    assert statements == ["SELECT", *writes]
    # The same email again: its insert does nothing, the existing row is read, the throttled
    # resend updates nothing and no mail is queued.
    statements.clear()
    assert client.post(PAGE, data=form("ANA.signer@example.org")).status_code == 303
    first_write = ["SELECT", "WITH"] if postgresql else ["INSERT"]
    assert statements == ["SELECT", *first_write, "SELECT", "UPDATE"]
    assert _counts() == (1, 1)


def test_with_the_copy_and_an_id_block_a_signature_is_one_statement(make_app):
    """As configured outside tests: the process keeps the declaration for a moment and reserves
    ids in blocks, so on PostgreSQL most signing requests run one statement, and it commits."""
    app = make_app(SIGNING_TARGET_CACHE_SECONDS=60, SIGNATURE_ID_BLOCK=50)
    with app.app_context():
        make_open_declaration()
        engine = db.engine
        postgresql = engine.dialect.name == "postgresql"
    with watching(engine) as seen:
        client = app.test_client()
        assert client.post(PAGE, data=form("first@example.org")).status_code == 303
        first = list(seen)
        seen.clear()
        for n in range(3):
            assert client.post(PAGE, data=form(f"more{n}@example.org")).status_code == 303
    if postgresql:
        assert first == ["SELECT", "SELECT", "WITH"]  # the declaration, a block of ids, the write
        assert seen == ["WITH"] * 3
    else:
        assert first == ["SELECT", "INSERT", "INSERT", "INSERT"]
        assert seen == ["INSERT"] * 9
    with app.app_context():
        assert _counts() == (4, 4)
        ids = db.session.scalars(select(Signature.id).order_by(Signature.id)).all()
        assert len(set(ids)) == 4
