"""The roles of DESIGN.md and who counts as staff."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    COMMS = "comms"
    ASSOCIATION = "association"
    MEMBER = "member"


STAFF = (Role.ADMIN, Role.OFFICER, Role.COMMS)
# Roles that act for one organisation and see only what belongs to it.
SCOPED = (Role.ASSOCIATION, Role.MEMBER)
ROLE_LABELS = {
    Role.ADMIN: "Administrator (secretariat)",
    Role.OFFICER: "Policy officer",
    Role.COMMS: "Communications",
    Role.ASSOCIATION: "National association staff",
    Role.MEMBER: "Member company contact",
}
