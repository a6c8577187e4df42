"""A membership's status follows from its dates; this is the one place that says how."""

from datetime import date, timedelta

from crm.members.vocab import NO_MEMBERSHIP, STATUS_RANK, MembershipStatus


def membership_status(
    start_date: date, end_date: date | None, resigned_on: date | None, today: date, grace_days: int
) -> MembershipStatus:
    """pending before the start; active until the end date; grace for `grace_days` after it;
    then lapsed. A resignation takes effect on its date."""
    if resigned_on is not None and resigned_on <= today:
        return MembershipStatus.RESIGNED
    if start_date > today:
        return MembershipStatus.PENDING
    if end_date is None or today <= end_date:
        return MembershipStatus.ACTIVE
    if today <= end_date + timedelta(days=grace_days):
        return MembershipStatus.GRACE
    return MembershipStatus.LAPSED


def best_status(statuses) -> str:
    """An organisation's overall status: its best membership's, or 'none'."""
    ranked = [MembershipStatus(s) for s in statuses]
    if not ranked:
        return NO_MEMBERSHIP
    return max(ranked, key=STATUS_RANK.__getitem__).value
