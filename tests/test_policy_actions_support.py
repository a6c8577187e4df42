"""Builders for the action-log tests (no tests here). Records are written through the services
where the action log owns them, and directly for the policy records another module owns."""

import itertools
from datetime import date

from crm.extensions import db
from crm.members.models import Person
from crm.policy import actions as services
from crm.policy.models import Campaign, Dossier, Priority, StakeholderProfile
from tests import factories

_n = itertools.count(1)


def priority(title=None) -> Priority:
    n = next(_n)
    item = Priority(slug=f"priority-{n}", title=title or f"Priority {n}", position=n)
    db.session.add(item)
    db.session.flush()
    return item


def campaign(prio: Priority, title=None, **fields) -> Campaign:
    n = next(_n)
    item = Campaign(
        slug=f"campaign-{n}",
        title=title or f"Campaign {n}",
        kind=fields.pop("kind", "lobbying"),
        priority_id=prio.id,
        **fields,
    )
    db.session.add(item)
    db.session.flush()
    return item


def dossier(prio: Priority, title=None, reference=None) -> Dossier:
    item = Dossier(priority_id=prio.id, title=title or f"Dossier {next(_n)}", reference=reference)
    db.session.add(item)
    db.session.flush()
    return item


def stakeholder(kind="mep", first="Maria", last=None, institution="European Parliament", **kw):
    """A person with a stakeholder profile (an MEP by default)."""
    person: Person = factories.person(
        None, first_name=first, last_name=last or f"Mep{next(_n)}", **kw
    )
    db.session.add(StakeholderProfile(person_id=person.id, kind=kind, institution=institution))
    db.session.flush()
    return person


def log(
    title="A meeting", kind="meeting", on=date(2026, 3, 10), people=(), orgs=(), users=(), **fields
):
    """Log an action through the service, with participants."""
    logged_by = fields.pop("logged_by", None)
    data = {"kind": kind, "occurred_on": on, "title": title, **fields}
    participants = (
        [services.Participant(person_id=p.id) for p in people]
        + [services.Participant(organisation_id=o.id) for o in orgs]
        + [services.Participant(user_id=u.id) for u in users]
    )
    return services.create_action(data, participants, logged_by=logged_by)
