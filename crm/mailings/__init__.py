"""Mail: the outbox, its worker, and the development mailbox."""

from flask import Blueprint

bp = Blueprint("mailings", __name__)

from crm.mailings import views  # noqa: E402, F401
