"""itsdangerous serializers keyed by the app's SECRET_KEY, one per purpose (salt). Building one
derives its key, which costs more than signing with it: each is built once per secret, salt and
kind, then shared (they hold no per-use state), so a signing request or a 6,000-recipient
mailing does not rebuild it for every token."""

from functools import lru_cache

from flask import current_app
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer


def serializer(salt: str) -> URLSafeSerializer:
    """For tokens that never expire (unsubscribe links must keep working: RFC 8058)."""
    return _built(current_app.config["SECRET_KEY"], salt, timed=False)


def timed_serializer(salt: str) -> URLSafeTimedSerializer:
    """For tokens read with a max_age (confirmation links, form stamps, password resets)."""
    return _built(current_app.config["SECRET_KEY"], salt, timed=True)


@lru_cache(maxsize=32)
def _built(secret: str, salt: str, timed: bool):
    kind = URLSafeTimedSerializer if timed else URLSafeSerializer
    return kind(secret, salt=salt)
