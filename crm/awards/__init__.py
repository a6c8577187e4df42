"""Sales Awards: levels, registrations by member labels, staff review, public winners."""

from flask import Blueprint

bp = Blueprint("awards", __name__)

# The view modules add their routes to bp: imported last, as they import bp from here.
from crm.awards import (  # noqa: E402, F401
    public_views,
    review_views,
    stats_views,
    views_levels,
    views_registrations,
)
