"""Every model in one import, for Alembic and the mappers."""

from crm.audit.models import AuditEvent
from crm.auth.models import User
from crm.awards.models import (
    AwardEvidence,
    AwardLevel,
    AwardRegistration,
    AwardRevision,
    AwardUnits,
)
from crm.declarations.models import Declaration, DeclarationText, DeclarationVersion, Signature
from crm.mailings.audience_models import (
    Audience,
    AudienceEntry,
    BounceEvent,
    Consent,
    PersonInterest,
    Suppression,
)
from crm.mailings.models import Delivery, Mailing, MailingAttachment
from crm.members.models import Membership, Organisation, Person, SearchToken
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

__all__ = [
    "MailingAttachment",
    "Mailing",
    "Suppression",
    "PersonInterest",
    "Consent",
    "BounceEvent",
    "AudienceEntry",
    "Audience",
    "Action",
    "ActionParticipant",
    "AuditEvent",
    "AwardEvidence",
    "AwardLevel",
    "AwardRegistration",
    "AwardRevision",
    "AwardUnits",
    "Campaign",
    "Declaration",
    "DeclarationText",
    "DeclarationVersion",
    "Delivery",
    "Dossier",
    "DossierDate",
    "JointLetterSignatory",
    "Membership",
    "Milestone",
    "Organisation",
    "Person",
    "Priority",
    "PriorityDocument",
    "SearchToken",
    "Signature",
    "StakeholderProfile",
    "User",
]
