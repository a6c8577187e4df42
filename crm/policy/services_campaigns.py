"""Writes to campaigns and to joint-letter co-signers. Each adds, flushes and audits; the caller
commits once."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from crm.audit.services import record, snapshot
from crm.extensions import db
from crm.members.models import Organisation
from crm.policy import vocab
from crm.policy.models import Campaign, JointLetterSignatory, Priority
from crm.policy.services import PolicyError, clean, move_linked_actions, unique_slug

CAMPAIGN_FIELDS = (
    "priority_id",
    "title",
    "kind",
    "status",
    "owner_id",
    "starts_on",
    "ends_on",
    "deadline",
    "goals",
    "results",
    "letter_text",
)


def _check_campaign(data: dict) -> None:
    if db.session.get(Priority, data.get("priority_id") or 0) is None:
        raise PolicyError("Choose a priority.", "priority_id")
    if data.get("kind") not in vocab.CAMPAIGN_KINDS:
        raise PolicyError("Choose a kind of campaign.", "kind")
    if data.get("status") not in vocab.CAMPAIGN_STATUSES:
        raise PolicyError("Choose a status.", "status")
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if starts and ends and ends < starts:
        raise PolicyError("The end is before the start.", "ends_on")


def create_campaign(data: dict) -> Campaign:
    """Create a campaign under a priority."""
    _check_campaign(data)
    campaign = Campaign()
    for field in CAMPAIGN_FIELDS:
        setattr(campaign, field, clean(data.get(field)))
    campaign.slug = unique_slug(Campaign, clean(data.get("slug")), campaign.title)
    db.session.add(campaign)
    db.session.flush()
    record(
        "create",
        "campaign",
        campaign.id,
        f"Created campaign {campaign.title}",
        after=snapshot(campaign),
    )
    return campaign


def update_campaign(campaign: Campaign, data: dict) -> None:
    """Change a campaign's fields."""
    merged = {f: getattr(campaign, f) for f in CAMPAIGN_FIELDS}
    merged.update({k: v for k, v in data.items() if k in CAMPAIGN_FIELDS})
    _check_campaign(merged)
    slug = unique_slug(
        Campaign, clean(data.get("slug")), merged["title"] or campaign.title, campaign.id
    )
    before = snapshot(campaign)
    for field in CAMPAIGN_FIELDS:
        setattr(campaign, field, clean(merged[field]))
    campaign.slug = slug
    db.session.flush()
    after = snapshot(campaign)
    if after != before:
        record(
            "update",
            "campaign",
            campaign.id,
            f"Updated campaign {campaign.title}",
            before=before,
            after=after,
        )
    move_linked_actions("campaign", campaign, before["priority_id"])


# --- joint letters -----------------------------------------------------------------------------


@dataclass
class Invitation:
    signatory: JointLetterSignatory
    created: bool


def _require_joint_letter(campaign: Campaign) -> None:
    if campaign.kind != "joint_letter":
        raise PolicyError("Only joint letters collect co-signers.")


def invite(campaign: Campaign, organisation_id: int | None) -> Invitation:
    """Invite an organisation to co-sign; inviting it again changes nothing."""
    _require_joint_letter(campaign)
    org = db.session.get(Organisation, organisation_id or 0)
    if org is None:
        raise PolicyError("Choose an organisation from the directory.", "organisation_id")
    existing = db.session.scalar(
        select(JointLetterSignatory).where(
            JointLetterSignatory.campaign_id == campaign.id,
            JointLetterSignatory.organisation_id == org.id,
        )
    )
    if existing is not None:
        return Invitation(existing, created=False)
    signatory = JointLetterSignatory(campaign_id=campaign.id, organisation_id=org.id)
    db.session.add(signatory)
    db.session.flush()
    record(
        "create",
        "joint_letter_signatory",
        signatory.id,
        f"Invited {org.name} to co-sign {campaign.title}",
        after=snapshot(signatory),
        organisation_id=org.id,
    )
    return Invitation(signatory, created=True)


def deadline_passed(campaign: Campaign, today: date | None = None) -> bool:
    """Answers are accepted up to and including the deadline day."""
    return campaign.deadline is not None and (today or date.today()) > campaign.deadline


def record_answer(
    signatory: JointLetterSignatory, status: str, note: str | None = None, *, by_member=False
) -> None:
    """Record an organisation's answer. Members answer only agreed/declined and only until the
    deadline; staff record whatever arrives, whenever it arrives."""
    allowed = ("agreed", "declined") if by_member else tuple(vocab.JOINT_LETTER_STATUSES)
    if status not in allowed:
        raise PolicyError("Choose an answer from the list.", "status")
    if by_member and deadline_passed(signatory.campaign):
        raise PolicyError(
            f"The deadline to answer was {signatory.campaign.deadline}: answers are closed. "
            "Contact the secretariat if your answer has changed."
        )
    before = snapshot(signatory)
    if status != signatory.status:
        signatory.status = status
        signatory.responded_at = None if status == "invited" else datetime.now(UTC)
    # A member who leaves the optional note empty keeps the note already there (staff's).
    if not by_member or clean(note) is not None:
        signatory.note = clean(note)
    db.session.flush()
    after = snapshot(signatory)
    if after != before:
        record(
            "update",
            "joint_letter_signatory",
            signatory.id,
            f"{signatory.organisation.name}: {status} for {signatory.campaign.title}",
            before=before,
            after=after,
            organisation_id=signatory.organisation_id,
        )
