"""Every model in one import, for Alembic and the mappers."""

from crm.audit.models import AuditEvent
from crm.auth.models import User
from crm.mailings.models import Delivery
from crm.members.models import Membership, Organisation, Person, SearchToken

__all__ = ["AuditEvent", "Delivery", "Membership", "Organisation", "Person", "SearchToken", "User"]
