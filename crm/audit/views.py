"""The secretariat's view over the whole audit log."""

from flask import render_template, request

from crm.audit import bp
from crm.audit.models import AuditEvent
from crm.auth.decorators import roles_required
from crm.auth.roles import Role
from crm.extensions import db
from crm.web import page_arg


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """Every audit event, newest first, filterable by record type."""
    entity_type = request.args.get("type", "").strip()
    stmt = db.select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    page = db.paginate(stmt, page=page_arg(), per_page=50, error_out=False)
    return render_template("audit/log.html", page=page, entity_type=entity_type)
