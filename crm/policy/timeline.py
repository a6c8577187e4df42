"""Which actions belong on a record's timeline, and who may see them.

Every record page shows its timeline through timeline_page(): one page of actions with their
subjects and participants loaded in a fixed number of statements, however long the history.
"""

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm.auth.roles import STAFF
from crm.extensions import db
from crm.members.access import scope_organisations
from crm.members.models import Organisation, Person
from crm.policy.models import Action, ActionParticipant, Campaign, Dossier
from crm.web import MAX_PAGE

TIMELINE_PAGE_SIZE = 25


def _with_participant(condition) -> Select:
    return select(Action).where(Action.id.in_(select(ActionParticipant.action_id).where(condition)))


def for_organisation(org_id: int) -> Select:
    """Actions an organisation took part in, itself or through one of its people."""
    people = select(Person.id).where(Person.organisation_id == org_id)
    return _with_participant(
        or_(ActionParticipant.organisation_id == org_id, ActionParticipant.person_id.in_(people))
    )


def for_person(person_id: int) -> Select:
    return _with_participant(ActionParticipant.person_id == person_id)


def for_priority(priority_id: int) -> Select:
    """Actions on the priority itself, or on one of its campaigns or dossiers."""
    return select(Action).where(
        or_(
            Action.priority_id == priority_id,
            Action.campaign_id.in_(select(Campaign.id).where(Campaign.priority_id == priority_id)),
            Action.dossier_id.in_(select(Dossier.id).where(Dossier.priority_id == priority_id)),
        )
    )


def for_campaign(campaign_id: int) -> Select:
    return select(Action).where(Action.campaign_id == campaign_id)


def for_dossier(dossier_id: int) -> Select:
    return select(Action).where(Action.dossier_id == dossier_id)


def visible_to(stmt: Select, user) -> Select:
    """Staff see every action; member and association users only actions shared with them in
    which an organisation they may see (or one of its people) took part."""
    if user.role in STAFF:
        return stmt
    orgs = scope_organisations(select(Organisation.id), user)
    people = select(Person.id).where(Person.organisation_id.in_(orgs))
    mine = select(ActionParticipant.action_id).where(
        or_(ActionParticipant.organisation_id.in_(orgs), ActionParticipant.person_id.in_(people))
    )
    return stmt.where(Action.shared_with_members.is_(True), Action.id.in_(mine))


def with_details(stmt: Select) -> Select:
    """Load what a timeline row shows, newest first, in a constant number of statements."""
    return stmt.options(
        joinedload(Action.priority),
        joinedload(Action.campaign),
        joinedload(Action.dossier),
        joinedload(Action.logged_by),
        joinedload(Action.followup_assignee),
        selectinload(Action.participants).options(
            joinedload(ActionParticipant.person),
            joinedload(ActionParticipant.organisation),
            joinedload(ActionParticipant.user),
        ),
    ).order_by(Action.occurred_on.desc(), Action.id.desc())


def timeline_page(stmt: Select, user, page: int = 1, per_page: int = TIMELINE_PAGE_SIZE):
    """One page of a record's timeline as the user may see it."""
    page = min(max(page or 1, 1), MAX_PAGE)
    return db.paginate(
        with_details(visible_to(stmt, user)), page=page, per_page=per_page, error_out=False
    )
