"""What each consent purpose needs: which answers may be recorded and who a purpose reaches.

The rules live here once; consent.record_consent, the staff consent form and the audience query
(audiences._reachable) all follow them.
"""

from sqlalchemy import select

from crm.extensions import db
from crm.policy.models import StakeholderProfile

# purpose -> (label, opt_in). Opt-in purposes reach only people with a granted consent row.
# Opt-out purposes reach everyone who has not withdrawn, except those in MEMBERS_ONLY.
PURPOSES = {
    "member_communications": ("Member communications", False),
    "newsletter": ("Newsletter", True),
    "press_releases": ("Press releases", True),
    "campaign_updates": ("Campaign updates", True),
}
# Opt-out purposes that rest on the membership: they reach people at a current member
# organisation (active or grace) and, beyond them, only people with an explicit grant. A grant
# resting on the membership contract ends with the membership, so it does not count as one.
MEMBERS_ONLY = frozenset({"member_communications"})
BASES = ("consent", "legitimate_interest", "contract")
BASIS_LABELS = {
    "consent": "Consent",
    "legitimate_interest": "Legitimate interest",
    "contract": "Contract (membership)",
}
# Press relations: a journalist may be sent press releases on legitimate interest.
JOURNALIST_INTEREST = "press_releases"


def is_journalist(person_id: int | None) -> bool:
    """Whether the person has a journalist's stakeholder profile."""
    if person_id is None:
        return False
    found = db.session.scalar(
        select(StakeholderProfile.id).where(
            StakeholderProfile.person_id == person_id, StakeholderProfile.kind == "journalist"
        )
    )
    return found is not None


def basis_problem(
    purpose: str,
    granted: bool,
    basis: str,
    *,
    wording_version: str | None,
    wording: str | None,
    journalist: bool,
) -> tuple[str, str] | None:
    """(message, field) when a yes to an opt-in purpose lacks a provable basis, else None.

    A yes to an opt-in purpose must rest on consent with the wording (or its version) the
    person agreed to; the one exception is press releases to a journalist, which may rest on
    legitimate interest. A withdrawal, and any answer for an opt-out purpose, is always fine.
    """
    label, opt_in = PURPOSES[purpose]
    if not granted or not opt_in:
        return None
    if purpose == JOURNALIST_INTEREST and journalist and basis == "legitimate_interest":
        return None
    if basis != "consent":
        allowed = "consent"
        if purpose == JOURNALIST_INTEREST:
            allowed += " (or, for a journalist, legitimate interest)"
        return (
            f"{label} is opt-in: a yes must rest on {allowed}, "
            f"not on {BASIS_LABELS.get(basis, basis).lower()}.",
            "basis",
        )
    if not (wording_version or "").strip() and not (wording or "").strip():
        return (
            f"{label} is opt-in: give the wording the person agreed to or its version, so the "
            "consent can be shown later.",
            "wording_version",
        )
    return None


def is_reachable(consent, purpose: str, *, current_member: bool = True) -> bool:
    """Whether the answer lets bulk mail for the purpose reach the person; `current_member`
    says whether the person's organisation is a current member (for MEMBERS_ONLY purposes)."""
    if PURPOSES[purpose][1]:
        return consent is not None and consent.granted
    if consent is not None and not consent.granted:
        return False
    if purpose not in MEMBERS_ONLY or current_member:
        return True
    return consent is not None and consent.basis != "contract"
