"""Users, roles, login, password reset and the permission decorator."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from crm.auth import views  # noqa: E402, F401
