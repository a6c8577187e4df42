"""The dashboard."""

from datetime import date

from flask import redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from crm.audit.models import AuditEvent
from crm.auth.decorators import login_required_any_role
from crm.auth.roles import STAFF, Role
from crm.dashboard import bp, stats
from crm.extensions import db
from crm.members.models import Organisation
from crm.members.vocab import country_name


@bp.get("/")
@login_required_any_role
def index():
    """Totals by country, kind and status, and the latest changes the user may see."""
    if current_user.role == Role.MEMBER:
        return redirect(url_for("members.organisation", org_id=current_user.organisation_id))
    by_country = stats.members_by_country(current_user)
    recent = (
        select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(15)
    )
    if current_user.role not in STAFF:
        own = select(Organisation.id).where(
            or_(
                Organisation.association_id == current_user.organisation_id,
                Organisation.id == current_user.organisation_id,
            )
        )
        recent = recent.where(AuditEvent.organisation_id.in_(own))
    week = overdue = None
    if current_user.role in STAFF:
        from crm.policy.followups import overdue_count
        from crm.policy.reports import team_week

        week = team_week(date.today())
        overdue = overdue_count(current_user.id, date.today())
    return render_template(
        "dashboard/index.html",
        week=week,
        overdue_followups=overdue,
        by_country=by_country,
        by_country_named=[(country_name(code), n) for code, n in by_country],
        total_members=sum(n for _, n in by_country),
        by_kind=stats.members_by_kind(current_user),
        by_status=stats.organisations_by_status(current_user),
        recent=db.session.scalars(recent).all(),
    )
