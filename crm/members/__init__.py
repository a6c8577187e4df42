"""Organisations, people, memberships, national associations, import and export."""

from flask import Blueprint

bp = Blueprint("members", __name__)

from crm.members import import_views, views  # noqa: E402, F401
