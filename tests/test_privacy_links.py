"""How rows are linked to a person beyond their own records: whole addresses quoted in text,
events their account performed, and the "staff: <address>" sources a staff user left on other
people's consents and suppressions."""

import json
from datetime import date

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.auth.models import User
from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Consent, Suppression
from crm.members.models import Person
from crm.policy.models import Action, ActionParticipant
from crm.privacy import erasure, export, lookup
from tests import factories

ANN, JOANN = "ann@x.org", "joann@x.org"


def _event(summary: str, after: dict | None = None, actor_id=None, entity=("mailing", 1)):
    event = AuditEvent(
        actor_id=actor_id,
        actor="someone",
        action="test",
        entity_type=entity[0],
        entity_id=entity[1],
        summary=summary,
        after=after,
    )
    db.session.add(event)
    db.session.flush()
    return event.id


def _audit_ids(subject) -> set[int]:
    return set(lookup.find_rows(subject)["audit_event"])


def test_an_address_inside_a_longer_one_is_not_a_mention():
    ann = factories.person(email=ANN)
    factories.person(email=JOANN)
    hers = _event(f"Sent a test to {ANN}", {"to": [ANN]})
    quoted = _event("Sent a test", {"to": [f"Ann <{ANN.upper()}>"]})
    joann_text = _event(f"Sent a test to {JOANN}")
    joann_json = _event("Sent a test", {"to": [JOANN]})
    longer_domain = _event(f"Sent a test to {ANN}.uk and jo.{ANN}")
    db.session.commit()
    found = _audit_ids(lookup.subject_for_person(ann))
    assert hers in found and quoted in found
    assert not {joann_text, joann_json, longer_domain} & found
    assert joann_text in _audit_ids(lookup.subject_for_email(JOANN))


def test_erasing_ann_leaves_jo_anns_audit_rows_alone():
    ann = factories.person(email=ANN, last_name="Annsdottir")
    factories.person(email=JOANN)
    hers = _event(f"Sent a test to {ANN}", {"to": [ANN, "press@x.org"]})
    joann = _event(f"Sent a test to {JOANN}", {"to": [JOANN]})
    db.session.commit()
    erasure.erase_person(ann)
    db.session.commit()
    kept = db.session.get(AuditEvent, joann)
    assert (kept.summary, kept.after) == (f"Sent a test to {JOANN}", {"to": [JOANN]})
    # Ann's own mention: only her address goes, the rest of the entry stays readable.
    redacted = db.session.get(AuditEvent, hers)
    assert redacted.summary == "Sent a test to erased user"
    assert redacted.after == {"to": ["erased user", "press@x.org"]}


def test_events_a_staff_user_performed_are_exported_without_other_peoples_snapshots():
    staff = factories.user("officer", email="staff.ann@x.org")
    other = factories.person(email="bo@x.org", last_name="Bystander")
    db.session.add(
        AuditEvent(
            actor_id=staff.id,
            actor=staff.email,
            action="update",
            entity_type="person",
            entity_id=other.id,
            summary="Updated Bo Bystander",
            before={"last_name": "Old"},
            after={"last_name": "Bystander", "email": "bo@x.org"},
        )
    )
    db.session.commit()
    document = export.collect(lookup.subject_for_email(staff.email))
    rows = document["data"]["audit_event"]["rows"]
    acted = [r for r in rows if r["entity_type"] == "person" and r["entity_id"] == other.id]
    assert acted == [
        {
            "id": acted[0]["id"],
            "created_at": acted[0]["created_at"],
            "action": "update",
            "entity_type": "person",
            "entity_id": other.id,
        }
    ]
    assert "Bystander" not in json.dumps(document) and "bo@x.org" not in json.dumps(document)
    # Events about the staff user's own account are still theirs in full.
    assert any(r["entity_type"] == "user" and "summary" in r for r in rows)


def _staff_traces():
    """A staff user who recorded Bo's consent, suppressed Cy's address and took part in a
    meeting; returns (staff user id, ids)."""
    staff = factories.user("officer", email="Staff.Ann@x.org")
    bo = factories.person(email="bo@x.org")
    source = "staff: Staff.Ann@x.org"
    bo_consent = consent.record_consent(
        bo, "newsletter", True, basis="consent", source=source, wording="Keep me posted"
    )
    suppressed = consent.suppress("cy@x.org", "unsubscribed", source="staff: staff.ann@x.org")
    joann = consent.suppress("joann@x.org", "unsubscribed", source="staff: jo.staff.ann@x.org")
    meeting = Action(kind="meeting", occurred_on=date(2026, 2, 2), title="Round table")
    meeting.participants.append(ActionParticipant(user_id=staff.id))
    db.session.add(meeting)
    db.session.commit()
    return staff.id, {
        "bo": bo.id,
        "consent": bo_consent.id,
        "suppression": suppressed.id,
        "joann": joann.id,
        "action": meeting.id,
    }


def test_erasing_a_staff_user_scrubs_their_address_from_sources_and_keeps_history():
    staff_id, ids = _staff_traces()
    result = erasure.erase_subject(lookup.subject_for_email("staff.ann@x.org"))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Consent, ids["consent"])
    assert (kept.person_id, kept.purpose, kept.granted) == (ids["bo"], "newsletter", True)
    assert kept.source == "staff: erased user"
    entry = db.session.get(Suppression, ids["suppression"])
    assert (entry.email_key, entry.reason, entry.source) == (
        "cy@x.org",
        "unsubscribed",
        "staff: erased user",
    )
    assert db.session.get(Suppression, ids["joann"]).source == "staff: jo.staff.ann@x.org"
    # The account is disabled and anonymised, not deleted: the meeting keeps its participant.
    account = db.session.get(User, staff_id)
    assert account is not None and not account.active
    assert account.email.startswith("erased:") and account.password_hash == ""
    participants = db.session.scalars(
        select(ActionParticipant.user_id).where(ActionParticipant.action_id == ids["action"])
    ).all()
    assert participants == [staff_id]
    assert result.anonymised["user_account"] == 1 and "user_account" not in result.deleted
    # Bo's consent history in the audit log is intact, only the address is gone.
    history = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "consent", AuditEvent.entity_id == ids["consent"]
        )
    )
    assert history.after["purpose"] == "newsletter" and history.after["granted"] is True
    assert history.after["source"] == "staff: erased user"
    assert lookup.mention_pattern({"staff.ann@x.org"}).search(_everything()) is None
    assert "jo.staff.ann@x.org" in _everything()


def test_a_staff_users_export_shows_only_their_part_of_other_peoples_consents():
    _, ids = _staff_traces()
    data = export.collect(lookup.subject_for_email("staff.ann@x.org"))["data"]
    (row,) = data["consent"]["rows"]
    assert set(row) == {"id", "created_at", "source"} and row["id"] == ids["consent"]
    rows = {r["id"]: r for r in data["suppression"]["rows"]}
    assert set(rows) == {ids["suppression"]}
    assert "email_key" not in rows[ids["suppression"]]


def test_an_erased_login_is_disabled_and_cannot_sign_in(client):
    person = factories.person(email="member.login@x.org")
    user = factories.user("member", email="member.login@x.org")
    user.person_id = person.id
    db.session.commit()
    erasure.erase_person(db.session.get(Person, person.id))
    db.session.commit()
    account = db.session.get(User, user.id)
    assert (account.active, account.person_id) == (False, None)
    data = {"email": "member.login@x.org", "password": factories.PASSWORD}
    assert client.post("/login", data=data).status_code == 200  # the form again, no session
    assert client.get("/").status_code == 302


def _everything() -> str:
    parts = []
    for tbl in db.metadata.sorted_tables:
        for row in db.session.execute(select(tbl)):
            parts.append(json.dumps(dict(row._mapping), default=str, ensure_ascii=False))
    return "\n".join(parts)
