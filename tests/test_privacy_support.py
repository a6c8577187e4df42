"""Builders for the data protection and backup tests (no tests here): a person linked to every
kind of personal data the CRM holds, a bystander who must stay untouched, and a database with
rows in every table."""

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from crm.audit.services import record
from crm.auth.models import User
from crm.extensions import db
from crm.mailings import consent
from crm.mailings.audience_models import Audience, AudienceEntry, BounceEvent, PersonInterest
from crm.mailings.models import Delivery, Mailing, MailingAttachment
from crm.members.models import Organisation
from crm.members.normalise import email_key
from crm.policy.models import (
    Action,
    ActionParticipant,
    Campaign,
    Dossier,
    DossierDate,
    JointLetterSignatory,
    Milestone,
    Priority,
    PriorityDocument,
    StakeholderProfile,
)
from tests import factories
from tests.test_declarations_staff import make_declaration, make_signature

EMAIL = "Ada.Quillfeather@Example.org"
LOGIN = "ada.q.login@example.org"
# Values that must appear nowhere in the database once the person is erased.
SECRETS = (
    "quillfeather",
    "ada.q.login",
    "+49 30 5550199",
    "Proud to sign",
    "Label manager",
    "Writes on indie streaming",
    "Met at the Reeperbahn",
)
_n = itertools.count(1)
_day = datetime(2026, 3, 1, 9, tzinfo=UTC)


def mailing(subject="Spring newsletter", **fields) -> Mailing:
    item = Mailing(
        kind=fields.pop("kind", "newsletter"),
        purpose=fields.pop("purpose", "newsletter"),
        subject=subject,
        from_name="Indie Music Europe",
        from_email="news@indiemusic.example",
        body="Hello {{ first_name }}",
        **fields,
    )
    db.session.add(item)
    db.session.flush()
    return item


def delivery(to_email, person=None, mailing_=None, **fields) -> Delivery:
    n = next(_n)
    item = Delivery(
        kind=fields.pop("kind", "mailing" if mailing_ else "signature_confirmation"),
        to_email=to_email,
        recipient_key=fields.pop("recipient_key", email_key(to_email) if mailing_ else None),
        subject=fields.pop(
            "subject", mailing_.subject if mailing_ else "Please confirm your signature"
        ),
        mailing_id=mailing_.id if mailing_ else None,
        person_id=person.id if person else None,
        message_id=fields.pop("message_id", f"<test-{n}@indiemusic.example>"),
        **fields,
    )
    db.session.add(item)
    db.session.flush()
    return item


def priority(title="Fair streaming") -> Priority:
    item = Priority(slug=f"priority-{next(_n)}", title=title)
    db.session.add(item)
    db.session.flush()
    return item


def rich_person(email=EMAIL, last_name="Quillfeather") -> dict:
    """A contact with a login, consent, interest, stakeholder profile, signatures (one matched,
    one only by the login's address), mail of both kinds, a bounce, a suppression, an action,
    a list place and audit events; returns the ids."""
    org = factories.organisation("Harbour Lights Records", country="DE")
    person = factories.person(
        org,
        email=email,
        first_name="Ada",
        last_name=last_name,
        phone="+49 30 5550199",
        job_title="Label manager",
        language="de",
    )
    user = factories.user("member", organisation=org, email=LOGIN)
    user.person_id = person.id
    consent.record_consent(
        person, "newsletter", True, basis="consent", source="preferences", wording="Keep me posted"
    )
    prio = priority()
    db.session.add(PersonInterest(person_id=person.id, priority_id=prio.id))
    db.session.add(
        StakeholderProfile(
            person_id=person.id,
            kind="journalist",
            beat="Writes on indie streaming",
            notes="Met at the Reeperbahn",
        )
    )
    declaration = make_declaration(f"fair-deals-{next(_n)}")
    matched = make_signature(
        declaration,
        email,
        first_name="Ada",
        last_name=last_name,
        comment="Proud to sign",
        city="Hamburg",
        job_title="Label manager",
        person_id=person.id,
    )
    other = make_declaration(f"streaming-{next(_n)}")
    by_login = make_signature(other, LOGIN, last_name=last_name, status="unconfirmed")
    news = mailing()
    merge = {"first_name": "Ada", "last_name": last_name, "organisation": org.name}
    bulk = delivery(email, person, news, merge=merge, status="sent", sent_at=_day)
    confirm = delivery(email, text_body=f"Dear Ada {last_name}, please confirm", html_body="<p/>")
    db.session.add(
        BounceEvent(
            email_key=email_key(LOGIN),
            kind="soft",
            diagnostic=f"452 mailbox of {LOGIN} full",
            report_id=f"<dsn-{next(_n)}@mx.example>",
        )
    )
    consent.suppress(LOGIN, "unsubscribed", source="one-click")
    action = Action(kind="meeting", occurred_on=date(2026, 2, 2), title="Streaming round table")
    action.participants.append(ActionParticipant(person_id=person.id))
    db.session.add(action)
    press = Audience(name=f"Press list {next(_n)}", kind="static", filters={})
    db.session.add(press)
    db.session.flush()
    db.session.add(AudienceEntry(audience_id=press.id, person_id=person.id))
    record("test_send", "mailing", news.id, f"Sent a test to {email}", after={"to": [email]})
    db.session.flush()
    return {
        "org_id": org.id,
        "person_id": person.id,
        "user_id": user.id,
        "matched_signature_id": matched.id,
        "login_signature_id": by_login.id,
        "declaration_id": declaration.id,
        "bulk_delivery_id": bulk.id,
        "confirm_delivery_id": confirm.id,
        "mailing_id": news.id,
        "action_id": action.id,
        "audience_id": press.id,
        "priority_id": prio.id,
    }


def bystander(org_id: int, declaration_id: int, mailing_id: int) -> dict:
    """Another person in the same organisation, on the same declaration and mailing."""
    from crm.declarations.models import Declaration

    email = "bo.bystander@example.org"
    person = factories.person(db.session.get(Organisation, org_id), email=email, last_name="Bow")
    signature = make_signature(
        db.session.get(Declaration, declaration_id),
        email,
        first_name="Bo",
        last_name="Bow",
        person_id=person.id,
    )
    item = delivery(email, person, db.session.get(Mailing, mailing_id), status="sent")
    db.session.flush()
    return {"person_id": person.id, "signature_id": signature.id, "delivery_id": item.id}


def user_of(person_id: int) -> User | None:
    return db.session.scalar(select(User).where(User.person_id == person_id))


def fill_all_domains() -> None:
    """Realistic rows in every table: directory, accounts, policy, declarations, awards, mail."""
    from tests.awards_helpers import award

    association = factories.association("VUT")
    label = factories.organisation("Nordlicht Tonträger", association_id=association.id)
    factories.membership(label, via=association)
    ids = rich_person()
    bystander(ids["org_id"], ids["declaration_id"], ids["mailing_id"])
    prio = db.session.get(Priority, ids["priority_id"])
    campaign = Campaign(priority_id=prio.id, slug="letter", title="Letter", kind="joint_letter")
    dossier = Dossier(priority_id=prio.id, title="DSM Directive", reference="2016/0280(COD)")
    db.session.add_all([campaign, dossier])
    db.session.flush()
    db.session.add_all(
        [
            DossierDate(dossier_id=dossier.id, label="Vote", due_on=date(2026, 6, 1)),
            JointLetterSignatory(campaign_id=campaign.id, organisation_id=label.id),
            Milestone(happened_on=date(2019, 3, 26), title="Directive adopted"),
            PriorityDocument(
                priority_id=prio.id, title="Position", url="https://example.org", created_at=_day
            ),
            MailingAttachment(
                mailing_id=ids["mailing_id"],
                stored_name="0123456789abcdef.pdf",
                original_name="release.pdf",
                title="Release",
                size=10,
            ),
        ]
    )
    registration = award(label, status="verified", decided_at=_day)
    from crm.awards.models import AwardEvidence

    db.session.add(
        AwardEvidence(
            registration_id=registration.id,
            stored_name="fedcba9876543210.pdf",
            original_name="statement.pdf",
            content_type="application/pdf",
            size=3,
        )
    )
    db.session.flush()


def days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
