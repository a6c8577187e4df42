"""Declarations: versioned texts in several languages, public signing with double opt-in,
matching, moderation, signatory lists and coverage of the membership."""

from flask import Blueprint

bp = Blueprint("declarations", __name__)

# Views register their routes on bp when imported.
from crm.declarations import (  # noqa: E402, F401
    coverage_views,
    officer_views,
    public_views,
    signatories_views,
    staff_views,
)
