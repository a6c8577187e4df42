"""Policy work: priorities, EU dossiers, stakeholders, campaigns, the action log, milestones."""

from flask import Blueprint

bp = Blueprint("policy", __name__)

from crm.policy import (  # noqa: E402, F401 (the views register their routes on bp)
    actions_views,
    reports_views,
    views_campaigns,
    views_dossiers,
    views_joint_letters,
    views_milestones,
    views_priorities,
    views_stakeholders,
)
