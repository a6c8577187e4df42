"""Queue an email in the outbox. The only way anything in the CRM sends mail."""

import hashlib
import hmac

from flask import current_app

from crm.extensions import db
from crm.mailings.models import Delivery, Priority


def make_message_id(key: str) -> str:
    """A Message-ID fixed by the message's identity, so a resend can be recognised, and keyed
    by SECRET_KEY, so that only we can compute it: a bounce quoting it is about our message
    (bounce_processing.py trusts it as it trusts the signed X-CRM-Delivery header)."""
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, b"message-id:" + key.encode(), hashlib.sha256).hexdigest()[:32]
    return f"<{digest}@{current_app.config['MAIL_MESSAGE_ID_DOMAIN']}>"


def queue_email(
    to_email: str,
    subject: str,
    text_body: str,
    *,
    kind: str,
    key: str,
    html_body: str | None = None,
    priority: int = Priority.TRANSACTIONAL,
    headers: dict | None = None,
) -> Delivery:
    """Add a delivery to the session; it leaves only if the caller's transaction commits.

    `key` names the message uniquely (for example "password-reset:42:<issued-at>"): the same key
    twice is the same message, which the unique Message-ID refuses to queue twice.
    """
    delivery = Delivery(
        kind=kind,
        priority=priority,
        to_email=to_email,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        headers=headers,
        message_id=make_message_id(key),
    )
    db.session.add(delivery)
    return delivery
