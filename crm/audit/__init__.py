"""The audit log. Services write it; record pages show it."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from crm.audit import views  # noqa: E402, F401
