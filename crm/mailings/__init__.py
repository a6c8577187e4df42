"""Mail: audiences and consent, mailings and their outbox worker, unsubscribe, bounces, the
public press page, and the development mailbox."""

from flask import Blueprint

bp = Blueprint("mailings", __name__)

from crm.mailings import (  # noqa: E402, F401
    audience_views,
    bounce_views,
    consent_views,
    mailing_views,
    press_views,
    unsubscribe_views,
    views,
)
