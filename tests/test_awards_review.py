"""The staff review queue: ask for information, verify, reject with a reason; each decision is
audited and mailed to the label through the outbox; a decided registration stays decided."""

import pytest
from sqlalchemy import func, select, update

from crm.audit.models import AuditEvent
from crm.awards import review
from crm.awards.models import AwardRegistration
from crm.extensions import db
from crm.mailings import worker
from crm.mailings.models import Delivery
from tests import factories
from tests.awards_helpers import award


def _deliveries() -> int:
    return db.session.scalar(select(func.count()).select_from(Delivery))


@pytest.fixture
def label():
    org = factories.organisation("Harbour Records", country="DE", email="office@harbour.example")
    submitter = factories.user("member", organisation=org, email="ana@harbour.example")
    db.session.commit()
    return org, submitter


def _reload(registration_id: int) -> AwardRegistration:
    db.session.expire_all()
    return db.session.get(AwardRegistration, registration_id)


def test_queue_lists_waiting_registrations_oldest_first(client, login_as, label):
    org, submitter = label
    first = award(org, title="First Release", submitted_by=submitter)
    second = award(org, title="Second Release", status="info_requested")
    award(org, title="Already Verified", status="verified")
    award(org, title="Already Rejected", status="rejected")
    db.session.commit()
    login_as("comms")
    page = client.get("/awards/review").get_data(as_text=True)
    assert page.index("First Release") < page.index("Second Release")
    assert "Already Verified" not in page and "Already Rejected" not in page
    assert "Germany" in page and "France" in page and "80,000" in page and "Gold" in page
    assert "Revision 1" in page
    # Comms reads the queue and decides nothing.
    assert 'value="verify"' not in page
    assert client.post(f"/awards/review/{first.id}", data={"decision": "verify"}).status_code == 403
    assert _reload(second.id).status == "info_requested"


def test_verify_mails_the_submitter_and_audits(client, login_as, label, smtp_server):
    org, submitter = label
    registration = award(org, submitted_by=submitter)
    db.session.commit()
    officer = login_as("officer")
    response = client.post(
        f"/awards/review/{registration.id}", data={"revision": 1, "decision": "verify"}
    )
    assert response.status_code == 302
    done = _reload(registration.id)
    assert done.status == "verified"
    assert done.decided_at is not None and done.decided_by_id == officer.id
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "award_registration", AuditEvent.entity_id == done.id
        )
    )
    assert event.after["status"] == "verified" and event.actor == officer.email
    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    assert message["To"] == "ana@harbour.example"
    assert message["Subject"] == 'Sales Award verified: "Midnight Harbour" by Mara Vell'
    body = message.get_content()
    assert "Midnight Harbour" in body and "Level: Gold" in body
    assert "http://" in body


def test_reject_needs_a_reason_and_mails_the_organisation(client, login_as, label, smtp_server):
    org, _ = label
    registration = award(org, title="Paper Lanterns")  # no submitting user: the label's address
    db.session.commit()
    login_as("admin")
    refused = client.post(
        f"/awards/review/{registration.id}",
        data={"revision": 1, "decision": "reject", "note": "   "},
        follow_redirects=True,
    )
    assert "Give a reason to reject" in refused.get_data(as_text=True)
    assert _reload(registration.id).status == "submitted"
    assert _deliveries() == 0
    client.post(
        f"/awards/review/{registration.id}",
        data={
            "revision": 1,
            "decision": "reject",
            "note": "The statements do not show the French units.",
        },
    )
    done = _reload(registration.id)
    assert done.status == "rejected" and done.decided_at is not None
    assert done.decision_note == "The statements do not show the French units."
    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    assert message["To"] == "office@harbour.example"
    assert (
        message["Subject"] == 'Sales Award registration not accepted: "Paper Lanterns" by Mara Vell'
    )
    body = message.get_content()
    assert "Reason: The statements do not show the French units." in body
    assert "Paper Lanterns" in body


def test_ask_for_information_then_verify(client, login_as, label, smtp_server):
    org, submitter = label
    registration = award(org, submitted_by=submitter)
    db.session.commit()
    login_as("officer")
    empty = client.post(
        f"/awards/review/{registration.id}", data={"revision": 1, "decision": "info"}
    )
    assert empty.status_code == 302 and _reload(registration.id).status == "submitted"
    client.post(
        f"/awards/review/{registration.id}",
        data={
            "revision": 1,
            "decision": "info",
            "note": "Please add the Belgian distributor statement.",
        },
    )
    asked = _reload(registration.id)
    assert asked.status == "info_requested" and asked.decided_at is None
    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    assert message["To"] == "ana@harbour.example"
    assert message["Subject"] == (
        'Sales Award registration: more information needed for "Midnight Harbour" by Mara Vell'
    )
    body = message.get_content()
    assert "Please add the Belgian distributor statement." in body and "Midnight Harbour" in body
    # Still in the queue, and it can be verified from there.
    assert "Please add the Belgian" in client.get("/awards/review").get_data(as_text=True)
    client.post(f"/awards/review/{registration.id}", data={"revision": 1, "decision": "verify"})
    assert _reload(registration.id).status == "verified"
    assert worker.run(drain=True) == 1


def test_a_decided_registration_is_not_decided_again(client, login_as, label):
    org, _ = label
    registration = award(org)
    db.session.commit()
    login_as("admin")
    client.post(f"/awards/review/{registration.id}", data={"revision": 1, "decision": "verify"})
    again = client.post(
        f"/awards/review/{registration.id}",
        data={"revision": 1, "decision": "reject", "note": "Too late"},
        follow_redirects=True,
    )
    assert "already decided" in again.get_data(as_text=True)
    done = _reload(registration.id)
    assert done.status == "verified" and done.decision_note is None
    assert _deliveries() == 1


def test_concurrent_decision_loses_on_the_conditional_update(label):
    """Two reviewers load the same submitted registration; the second one's write finds the
    status changed under it and is refused, with no mail and no audit entry."""
    org, _ = label
    registration = award(org)
    db.session.commit()
    stale = db.session.get(AwardRegistration, registration.id)
    assert stale.status == "submitted"
    # The other reviewer's decision, committed behind this session's back.
    with db.engine.begin() as other:
        other.execute(
            update(AwardRegistration)
            .where(AwardRegistration.id == registration.id)
            .values(status="rejected", decision_note="first")
        )
    assert stale.status == "submitted"  # what this reviewer still sees
    with pytest.raises(review.ReviewError, match="already decided"):
        review.verify(stale, None)
    db.session.rollback()
    assert _reload(registration.id).status == "rejected"
    assert _deliveries() == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == "award_registration")
        )
        == 0
    )


def test_decision_on_unknown_registration_is_404(client, login_as):
    login_as("admin")
    assert client.post("/awards/review/999999", data={"decision": "verify"}).status_code == 404


def test_queue_links_evidence_and_mail_links_the_registration(app, client, login_as, label):
    from crm.awards.models import AwardEvidence

    org, submitter = label
    registration = award(org, submitted_by=submitter)
    evidence = AwardEvidence(
        registration_id=registration.id,
        stored_name="matrix-evidence-1.pdf",
        original_name="distributor <statement>.pdf",
        content_type="application/pdf",
        size=1234,
    )
    db.session.add(evidence)
    db.session.commit()
    login_as("admin")
    page = client.get("/awards/review").get_data(as_text=True)
    assert "distributor &lt;statement&gt;.pdf" in page
    if "awards.download_evidence" in app.view_functions:
        assert f'href="/awards/evidence/{evidence.id}"' in page
    client.post(f"/awards/review/{registration.id}", data={"revision": 1, "decision": "verify"})
    delivery = db.session.scalar(select(Delivery))
    assert f"/{registration.id}" in delivery.text_body
    assert delivery.text_body.count("http://") == 1


def test_long_artist_and_title_still_get_their_decision_mail(client, login_as, label):
    """Artist and title of 200 characters each: the subject is cut to the outbox's 300
    characters (PostgreSQL refused the longer one at commit, so nothing could be decided)."""
    org, submitter = label
    registration = award(org, artist="A" * 200, title="T" * 200, submitted_by=submitter)
    db.session.commit()
    login_as("officer")
    client.post(f"/awards/review/{registration.id}", data={"revision": 1, "decision": "verify"})
    assert _reload(registration.id).status == "verified"
    delivery = db.session.scalar(select(Delivery))
    assert delivery is not None and delivery.to_email == "ana@harbour.example"
    assert len(delivery.subject) <= 300 and delivery.subject.endswith("…")
    assert delivery.subject.startswith('Sales Award verified: "TTTT')


def test_line_breaks_in_a_title_do_not_reach_the_subject(client, login_as, label, smtp_server):
    org, submitter = label
    registration = award(org, title="Midnight\r\nBcc: x@evil.example\x01", submitted_by=submitter)
    db.session.commit()
    login_as("officer")
    client.post(
        f"/awards/review/{registration.id}",
        data={"revision": 1, "decision": "info", "note": "Which distributor?"},
    )
    delivery = db.session.scalar(select(Delivery))
    assert delivery.subject == (
        'Sales Award registration: more information needed for "Midnight Bcc: x@evil.example" '
        "by Mara Vell"
    )
    assert worker.run(drain=True) == 1
    [message] = smtp_server.messages
    assert message["Bcc"] is None and "x@evil.example" in message["Subject"]
