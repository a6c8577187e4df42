"""Writes to the stakeholder directory: a Person (through the members service, so email
uniqueness and the person's audit hold) plus its StakeholderProfile. The caller commits."""

from crm.audit.services import record, snapshot
from crm.extensions import db
from crm.members import services as member_services
from crm.members.models import Organisation
from crm.members.vocab import EUROPEAN_COUNTRIES
from crm.policy import vocab
from crm.policy.models import StakeholderProfile
from crm.policy.services import PolicyError, clean

PERSON_KEYS = ("first_name", "last_name", "email", "phone", "organisation_id")
PROFILE_FIELDS = (
    "kind",
    "institution",
    "committees",
    "political_group",
    "country",
    "directorate",
    "role",
    "beat",
    "notes",
)


def _profile_values(data: dict) -> dict:
    if data.get("kind") not in vocab.STAKEHOLDER_KINDS:
        raise PolicyError("Choose a kind of stakeholder.", "kind")
    committees = data.get("committees") or []
    if isinstance(committees, str):
        committees = committees.split()
    unknown = [c for c in committees if c not in vocab.EP_COMMITTEES]
    if unknown:
        raise PolicyError("Choose committees from the list.", "committees")
    group = clean(data.get("political_group"))
    if group is not None and group not in vocab.EP_GROUPS:
        raise PolicyError("Choose a political group from the list.", "political_group")
    country = clean(data.get("country"))
    if country is not None and country not in EUROPEAN_COUNTRIES:
        raise PolicyError("Choose a country from the list.", "country")
    values = {f: clean(data.get(f)) for f in PROFILE_FIELDS}
    # Stored space-separated in the vocabulary's order, so that filters and display agree.
    values["committees"] = " ".join(c for c in vocab.EP_COMMITTEES if c in committees) or None
    values["political_group"], values["country"] = group, country
    return values


def _person_values(data: dict) -> dict:
    org_id = data.get("organisation_id") or None
    if org_id is not None and db.session.get(Organisation, org_id) is None:
        raise PolicyError("Choose an organisation from the list.", "organisation_id")
    values = {k: data.get(k) for k in PERSON_KEYS}
    values["organisation_id"] = org_id
    values["job_title"] = (clean(data.get("role")) or "")[:120] or None
    return values


def _as_policy_error(error: member_services.MemberError) -> PolicyError:
    return PolicyError(str(error), error.field)


def create_stakeholder(data: dict) -> StakeholderProfile:
    """Create the person and the stakeholder profile that makes them a policymaker or
    journalist."""
    profile_values = _profile_values(data)
    try:
        person = member_services.create_person(_person_values(data))
    except member_services.MemberError as error:
        raise _as_policy_error(error) from error
    profile = StakeholderProfile(person_id=person.id, **profile_values)
    db.session.add(profile)
    db.session.flush()
    record(
        "create",
        "stakeholder",
        profile.id,
        f"Added stakeholder {person.full_name}",
        after=snapshot(profile),
    )
    return profile


def _stakeholder_snapshot(profile: StakeholderProfile) -> dict:
    # The person's own audit entry is filed under its organisation, and a stakeholder often has
    # none: keep the person's fields in the stakeholder's entry too.
    person = snapshot(profile.person)
    return {
        **snapshot(profile),
        **{f"person_{k}": person[k] for k in (*PERSON_KEYS, "job_title")},
    }


def update_stakeholder(profile: StakeholderProfile, data: dict) -> None:
    """Change a stakeholder's person record and profile."""
    profile_values = _profile_values(data)
    before = _stakeholder_snapshot(profile)
    try:
        member_services.update_person(profile.person, _person_values(data))
    except member_services.MemberError as error:
        raise _as_policy_error(error) from error
    for field, value in profile_values.items():
        setattr(profile, field, value)
    db.session.flush()
    after = _stakeholder_snapshot(profile)
    if after != before:
        record(
            "update",
            "stakeholder",
            profile.id,
            f"Updated stakeholder {profile.person.full_name}",
            before=before,
            after=after,
        )
