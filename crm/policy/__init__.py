"""Policy work: priorities, EU dossiers, stakeholders, campaigns, the action log, milestones."""

from flask import Blueprint

bp = Blueprint("policy", __name__)
