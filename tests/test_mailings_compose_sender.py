"""The sender's addresses go into SMTP headers as they are: an internationalised domain is
stored in punycode, a non-ASCII part before the @ is refused (on save and by preflight)."""

from sqlalchemy import select, update

from crm.extensions import db
from crm.mailings import mailing_states, services, worker
from crm.mailings.models import Mailing
from crm.mailings.preflight import preflight
from tests.test_mailings_compose import draft, fresh, reachable_draft

FORM = {
    "kind": "newsletter",
    "subject": "Hello",
    "from_name": "Presse",
    "from_email": "presse@indiemusic.example",
    "body": "Text {{ unsubscribe_url }}",
    "timezone": "UTC",
    "audience_id": "0",
    "campaign_id": "0",
}


def test_an_internationalised_domain_is_stored_in_punycode():
    mailing = draft(from_email="Presse@Bücher.example", reply_to="desk@müzik.example")
    mailing = fresh(Mailing, mailing.id)
    assert mailing.from_email == "Presse@xn--bcher-kva.example"
    assert mailing.reply_to == "desk@xn--mzik-0ra.example"
    # Saving the same addresses again changes nothing (and keeps the test mark).
    data = {f: getattr(mailing, f) for f in services.DRAFT_FIELDS}
    assert (
        services.update_mailing(mailing, {**data, "from_email": "Presse@bücher.example"}) is False
    )


def test_a_non_ascii_local_part_is_refused_on_the_form(client, login_as):
    login_as("comms")
    for field in ("from_email", "reply_to"):
        response = client.post("/mailings/new", data={**FORM, field: "prèsse@indiemusic.example"})
        page = response.get_data(as_text=True)
        assert response.status_code == 200, field
        assert "prèsse@indiemusic.example: the part before the @ must be plain ASCII" in page
        assert f'class="form-control is-invalid" id="{field}"' in page  # beside its field
    assert db.session.scalar(select(Mailing)) is None


def test_preflight_refuses_a_stored_non_ascii_sender():
    """A draft saved before the check (or written another way) fails preflight clearly."""
    for field in ("from_email", "reply_to"):
        mailing = reachable_draft()
        db.session.execute(
            update(Mailing).where(Mailing.id == mailing.id).values({field: "zoë@indie.example"})
        )
        db.session.commit()
        checks = preflight(fresh(Mailing, mailing.id))
        (failed,) = [c for c in checks if not c.ok]
        assert failed.key == "from" and "zoë@indie.example is not plain ASCII" in failed.message


def test_a_mailing_from_an_internationalised_domain_leaves_in_punycode(app, smtp_server):
    mailing = reachable_draft(1, from_name="Ëdition Presse", from_email="presse@bücher.example")
    with app.test_request_context():
        mailing_states.schedule(mailing)
    db.session.commit()
    assert worker.run(drain=True) == 1
    (message,) = smtp_server.messages
    assert message["From"].addresses[0].addr_spec == "presse@xn--bcher-kva.example"
    assert message["From"].addresses[0].display_name == "Ëdition Presse"
