"""Signed links in bulk mail: unsubscribe, preferences and the web version.

They never expire: RFC 8058 asks that a List-Unsubscribe link keep working, and a newsletter
read a year later must still let its reader leave. They carry no address in clear text.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from crm.links import token_link
from crm.signed import serializer

UNSUBSCRIBE_SALT = "mailing-unsubscribe"
WEB_VERSION_SALT = "mailing-web-version"


def _serializer(salt: str) -> URLSafeSerializer:
    return serializer(salt)


def unsubscribe_token(email_key: str, purpose: str, mailing_id: int | None) -> str:
    """Names who leaves which purpose, and which mailing they left from (for its report)."""
    return _serializer(UNSUBSCRIBE_SALT).dumps({"e": email_key, "p": purpose, "m": mailing_id})


def read_unsubscribe_token(token: str) -> dict | None:
    """{"e": email_key, "p": purpose, "m": mailing id or None}, or None when not ours."""
    try:
        data = _serializer(UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        return None
    if not isinstance(data.get("p"), str) or not isinstance(data.get("m"), int | None):
        return None
    return data


def web_version_token(delivery_id: int) -> str:
    return _serializer(WEB_VERSION_SALT).dumps(delivery_id)


def read_web_version_token(token: str) -> int | None:
    try:
        data = _serializer(WEB_VERSION_SALT).loads(token)
    except BadSignature:
        return None
    return data if isinstance(data, int) and not isinstance(data, bool) else None


def recipient_links(
    email_key: str, purpose: str, mailing_id: int | None, delivery_id: int | None
) -> dict[str, str]:
    """The links a recipient's copy carries, as absolute URLs on PUBLIC_BASE_URL."""
    token = unsubscribe_token(email_key, purpose, mailing_id)
    links = {
        "unsubscribe_url": token_link("mailings.unsubscribe", token),
        "preferences_url": token_link("mailings.preferences", token),
        "unsubscribe_mailto": (
            f"mailto:{current_app.config['MAIL_UNSUBSCRIBE_ADDRESS']}?subject=unsubscribe%20{token}"
        ),
        "web_version_url": "",
    }
    if delivery_id is not None:
        web_version = web_version_token(delivery_id)
        links["web_version_url"] = token_link("mailings.web_version", web_version)
    return links
