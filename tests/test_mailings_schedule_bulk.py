"""Scheduling a large audience: the outbox rows are streamed from the audience query and
inserted in executemany chunks of bounded size, in the scheduling transaction."""

import time

from sqlalchemy import event, literal, select

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import mailing_states
from crm.mailings.models import Delivery, MailingKind
from tests import factories
from tests.test_mailings_compose import draft


def test_sixty_thousand_recipients_are_inserted_in_bounded_chunks(app):
    from sqlalchemy import insert

    from crm.mailings.audience_models import Audience, AudienceEntry
    from crm.members.models import Person

    n = 60_000
    now = utcnow()
    member = factories.organisation("Bulk Member")
    factories.membership(member)  # member communications reach current members only
    db.session.execute(
        insert(Person),
        [
            {
                "first_name": f"P{i}",
                "last_name": "Bulk",
                "email": f"bulk{i}@example.org",
                "email_key": f"bulk{i}@example.org",
                "organisation_id": member.id,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ],
    )
    audience = Audience(name="Everyone in bulk", kind="static", filters={})
    db.session.add(audience)
    db.session.flush()
    db.session.execute(
        insert(AudienceEntry).from_select(
            ["audience_id", "person_id", "added_at"],
            select(literal(audience.id), Person.id, literal(now)),
        )
    )
    # Member communications: an opt-out purpose for current members, so no consent rows.
    mailing = draft(audience, kind=MailingKind.MEMBER_UPDATE)
    inserts = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO DELIVERY"):
            inserts.append((executemany, len(parameters)))

    event.listen(db.engine, "before_cursor_execute", before)
    started = time.monotonic()
    try:
        with app.test_request_context():
            assert mailing_states.schedule(mailing) == n
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    elapsed = time.monotonic() - started
    db.session.commit()
    # A few seconds here; a streaming cursor planned for its first rows took four minutes on
    # PostgreSQL. The bound is loose: the machine is shared.
    assert elapsed < 60, elapsed
    # Twelve executemany INSERTs of 5,000 rows: never all 60,000 rows in one list, never one
    # statement per row.
    chunk = mailing_states.INSERT_CHUNK
    assert chunk == 5_000
    assert inserts == [(True, chunk)] * (n // chunk)
    count = db.session.scalar(
        select(db.func.count()).select_from(Delivery).where(Delivery.mailing_id == mailing.id)
    )
    assert count == n
