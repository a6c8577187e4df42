"""The home page: members by country, kind and status, and recent changes."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from crm.dashboard import views  # noqa: E402, F401
