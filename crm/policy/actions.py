"""Writes to the action log: create, update and delete actions, and complete follow-ups.

Each function adds, flushes and writes its audit entry (entity_type "action"); the view commits
once. Participants arrive as "kind:id" tokens (the participant search) and as emails (the
no-JavaScript fallback); both are resolved here against the people and users we know.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from crm.audit.services import record, snapshot
from crm.auth.models import User
from crm.auth.roles import STAFF, Role
from crm.extensions import db
from crm.members.models import Organisation, Person
from crm.policy.actions_forms import parse_participant
from crm.policy.models import Action, ActionParticipant, Campaign, Dossier, Priority
from crm.policy.services import PolicyError, clean
from crm.policy.vocab import ACTION_KINDS

ACTION_FIELDS = (
    "kind",
    "occurred_on",
    "title",
    "summary",
    "outcome",
    "priority_id",
    "campaign_id",
    "dossier_id",
    "shared_with_members",
    "followup_note",
    "followup_due_on",
    "followup_assignee_id",
)
# Users take part as staff only (the participant search offers no one else); member and
# association users take part through their person or organisation.
STAFF_USER = User.role.in_([r.value for r in STAFF])
# Who may be given a follow-up: the roles that may also mark it done.
FOLLOWUP_ROLES = (Role.ADMIN, Role.OFFICER)


@dataclass(frozen=True)
class Participant:
    person_id: int | None = None
    organisation_id: int | None = None
    user_id: int | None = None

    @property
    def token(self) -> str:
        if self.person_id:
            return f"person:{self.person_id}"
        if self.organisation_id:
            return f"organisation:{self.organisation_id}"
        return f"user:{self.user_id}"


# --- participants ----------------------------------------------------------------------------


def participants_from_tokens(tokens: list[str]) -> list[Participant]:
    """Known people, organisations and staff users named by "kind:id" tokens, in order."""
    wanted: dict[str, set[int]] = {"person": set(), "organisation": set(), "user": set()}
    parsed = []
    for token in tokens:
        item = parse_participant(token)
        if item is None:
            raise PolicyError("Some participants were not understood.", "participant")
        wanted[item[0]].add(item[1])
        parsed.append(item)
    found = {
        "person": set(db.session.scalars(select(Person.id).where(Person.id.in_(wanted["person"])))),
        "organisation": set(
            db.session.scalars(
                select(Organisation.id).where(Organisation.id.in_(wanted["organisation"]))
            )
        ),
        "user": set(
            db.session.scalars(select(User.id).where(User.id.in_(wanted["user"]), STAFF_USER))
        ),
    }
    if wanted["user"] - found["user"]:
        raise PolicyError("Only staff users take part as users; choose again.", "participant")
    if any(wanted[kind] - found[kind] for kind in wanted):
        raise PolicyError("A participant no longer exists; choose again.", "participant")
    return [Participant(**{f"{kind}_id": number}) for kind, number in parsed]


def participants_from_emails(text: str | None) -> list[Participant]:
    """One email a line: a person (stakeholder or member contact) first, else a user account."""
    emails = []
    for line in (text or "").replace(",", "\n").replace(";", "\n").splitlines():
        email = line.strip().lower()
        if email and email not in emails:
            emails.append(email)
    if not emails:
        return []
    if len(emails) > 200:
        raise PolicyError("At most 200 emails at once.", "participant_emails")
    people = dict(
        db.session.execute(
            select(Person.email_key, Person.id).where(Person.email_key.in_(emails))
        ).all()
    )
    users = dict(
        db.session.execute(
            select(func.lower(User.email), User.id).where(User.email.in_(emails), STAFF_USER)
        ).all()
    )
    unknown = [e for e in emails if e not in people and e not in users]
    if unknown:
        raise PolicyError(
            "No person or user has this email: " + ", ".join(unknown), "participant_emails"
        )
    return [
        Participant(person_id=people[e]) if e in people else Participant(user_id=users[e])
        for e in emails
    ]


def resolve_participants(tokens: list[str], emails: str | None) -> list[Participant]:
    """Tokens and emails together, each participant once."""
    result: list[Participant] = []
    for participant in participants_from_tokens(tokens) + participants_from_emails(emails):
        if participant not in result:
            result.append(participant)
    return result


def _set_participants(action: Action, participants: list[Participant]) -> None:
    current = {
        Participant(p.person_id, p.organisation_id, p.user_id): p for p in action.participants
    }
    wanted = set(participants)
    for key, row in current.items():
        if key not in wanted:
            action.participants.remove(row)
    for participant in participants:
        if participant not in current:
            action.participants.append(
                ActionParticipant(
                    person_id=participant.person_id,
                    organisation_id=participant.organisation_id,
                    user_id=participant.user_id,
                )
            )


def _participant_tokens(action: Action) -> list[str]:
    return sorted(
        Participant(p.person_id, p.organisation_id, p.user_id).token for p in action.participants
    )


# --- checks ----------------------------------------------------------------------------------


def _check(data: dict) -> dict:
    """Validate and normalise the fields; fill the priority from the campaign or dossier."""
    data = {field: clean(data.get(field)) for field in ACTION_FIELDS}
    if data["kind"] not in ACTION_KINDS:
        raise PolicyError("Choose a kind of action.", "kind")
    if not isinstance(data["occurred_on"], date):
        raise PolicyError("Give the date of the action.", "occurred_on")
    if not data["title"]:
        raise PolicyError("Give the action a title.", "title")
    data["shared_with_members"] = bool(data["shared_with_members"])
    for field, model in (("priority_id", Priority), ("campaign_id", Campaign)):
        if data[field] and db.session.get(model, data[field]) is None:
            raise PolicyError("Choose one from the list.", field)
    dossier = db.session.get(Dossier, data["dossier_id"]) if data["dossier_id"] else None
    if data["dossier_id"] and dossier is None:
        raise PolicyError("Choose one from the list.", "dossier_id")
    campaign = db.session.get(Campaign, data["campaign_id"]) if data["campaign_id"] else None
    for subject, field in ((campaign, "campaign_id"), (dossier, "dossier_id")):
        if subject is None:
            continue
        if data["priority_id"] is None:
            data["priority_id"] = subject.priority_id
        elif subject.priority_id != data["priority_id"]:
            raise PolicyError("This belongs to another priority than the one chosen.", field)
    if data["followup_assignee_id"]:
        assignee = db.session.get(User, data["followup_assignee_id"])
        if assignee is None or assignee.role not in FOLLOWUP_ROLES:
            raise PolicyError("Choose an officer or an administrator.", "followup_assignee_id")
    if (data["followup_note"] or data["followup_assignee_id"]) and not data["followup_due_on"]:
        raise PolicyError("Give the follow-up a due date.", "followup_due_on")
    return data


def _default_assignee(data: dict, user: User | None) -> dict:
    """A follow-up without assignee goes to the user who adds it, if they may mark it done."""
    wants_assignee = data["followup_due_on"] and not data["followup_assignee_id"]
    if wants_assignee and user is not None and user.role in FOLLOWUP_ROLES:
        data["followup_assignee_id"] = user.id
    return data


def _state(action: Action) -> dict:
    return {**snapshot(action), "participants": _participant_tokens(action)}


# --- writes ----------------------------------------------------------------------------------


def create_action(
    data: dict, participants: list[Participant], logged_by: User | None = None
) -> Action:
    """Log an action with its participants; a follow-up without assignee goes to the logger."""
    data = _default_assignee(_check(data), logged_by)
    action = Action(**data, logged_by_id=logged_by.id if logged_by else None)
    _set_participants(action, participants)
    db.session.add(action)
    db.session.flush()
    record(
        "create",
        "action",
        action.id,
        f"Logged {ACTION_KINDS[action.kind].lower()}: {action.title}",
        after=_state(action),
    )
    return action


def update_action(
    action: Action, data: dict, participants: list[Participant], edited_by: User | None = None
) -> None:
    """Change an action and its participants; a changed due date reopens nothing by itself. A
    follow-up added without assignee goes to the editor, as on create."""
    data = _check(data)
    if action.followup_due_on is None:
        data = _default_assignee(data, edited_by)
    before = _state(action)
    for field, value in data.items():
        setattr(action, field, value)
    if not action.followup_due_on:
        action.followup_done_at = None
    _set_participants(action, participants)
    db.session.flush()
    after = _state(action)
    if after != before:
        record(
            "update",
            "action",
            action.id,
            f"Updated action: {action.title}",
            before=before,
            after=after,
        )


def delete_action(action: Action) -> None:
    """Delete an action and its participants."""
    record("delete", "action", action.id, f"Deleted action: {action.title}", before=_state(action))
    db.session.delete(action)
    db.session.flush()


def complete_followup(action: Action, now: datetime | None = None) -> bool:
    """Mark an action's follow-up done; False when there is none or it is done already."""
    if action.followup_due_on is None or action.followup_done_at is not None:
        return False
    before = {"followup_done_at": None}
    action.followup_done_at = now or datetime.now(UTC)
    db.session.flush()
    record(
        "update",
        "action",
        action.id,
        f"Follow-up done: {action.followup_note or action.title}",
        before=before,
        after={"followup_done_at": action.followup_done_at.isoformat()},
    )
    return True
