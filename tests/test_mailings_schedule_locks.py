"""Lock order of unschedule and cancel: the deliveries first, then the mailing row, as the
worker's claim does, so on PostgreSQL a click during a claim waits for it instead of
deadlocking, then wins or is refused cleanly."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text, update

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import mailing_states, services
from crm.mailings.models import Delivery, DeliveryStatus, Mailing
from tests.test_mailings_compose import fresh, reachable_draft
from tests.test_mailings_schedule_states import _statuses


def _scheduled(app, at=None) -> Mailing:
    """A mailing scheduled (for tomorrow unless `at`) with four queued deliveries."""
    mailing = reachable_draft(4)
    with app.test_request_context():
        mailing_states.schedule(mailing, at or utcnow() + timedelta(days=1))
    db.session.commit()
    return fresh(Mailing, mailing.id)


def _writes(change, mailing) -> list[str]:
    """The tables `change` writes to, in order (UPDATE/DELETE statements)."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        if words[0].upper() == "UPDATE":
            seen.append(words[1].strip('"').lower())
        elif words[0].upper() == "DELETE":
            seen.append(words[2].strip('"').lower())

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        change(mailing)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return seen


@pytest.mark.parametrize("change", [mailing_states.cancel, mailing_states.unschedule])
def test_cancel_and_unschedule_write_the_deliveries_before_the_mailing(app, change):
    mailing = _scheduled(app)
    writes = _writes(change, mailing)
    assert "delivery" in writes and "mailing" in writes
    assert writes.index("delivery") < writes.index("mailing"), writes
    db.session.commit()
    assert fresh(Mailing, mailing.id).status in ("cancelled", "draft")


def _waiting_on_a_lock() -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("cancel", ["cancelled"] * 3 + ["sending"]),
        ("unschedule", ["queued"] * 3 + ["sending"]),
    ],
)
def test_a_click_during_a_workers_claim_waits_instead_of_deadlocking(app, change, expected):
    """The worker's claim locks a delivery, then updates the mailing (scheduled -> sending);
    a click in between waits for the claim and then wins or loses cleanly: no deadlock."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks and deadlocks need PostgreSQL; SQLite has one writer at a time")
    mailing = _scheduled(app, at=utcnow())
    first = db.session.scalar(
        select(Delivery.id).where(Delivery.mailing_id == mailing.id).order_by(Delivery.id)
    )
    db.session.commit()
    outcome = []

    def click():
        with app.app_context():
            try:
                getattr(mailing_states, change)(db.session.get(Mailing, mailing.id))
                db.session.commit()
                outcome.append("done")
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                db.session.rollback()
                outcome.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=click)
    with db.engine.connect() as claim:
        claim.execute(text("SET lock_timeout = '20s'"))
        claim.execute(
            update(Delivery)
            .where(Delivery.id == first)
            .values(status=DeliveryStatus.SENDING, claimed_at=utcnow(), claimed_by="w1")
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.05)
        claim.execute(
            update(Mailing)
            .where(Mailing.id == mailing.id, Mailing.status == "scheduled")
            .values(status="sending")
        )
        claim.commit()
    thread.join(timeout=60)
    if change == "cancel":
        assert outcome == ["done"]
        assert fresh(Mailing, mailing.id).status == "cancelled"
    else:
        # The worker started it meanwhile: refused, with the state it is in now, nothing lost.
        assert len(outcome) == 1 and isinstance(outcome[0], services.StateChanged), outcome
        assert "the mailing is sending now" in str(outcome[0])
        assert fresh(Mailing, mailing.id).status == "sending"
    assert _statuses(mailing.id) == expected
