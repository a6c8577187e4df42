"""itsdangerous serializers keyed by the app's SECRET_KEY, one per purpose (salt). Building one
derives its key, which costs more than signing with it: each is built once per secret, salt and
kind, then shared (they hold no per-use state), so a signing request or a 6,000-recipient
mailing does not rebuild it for every token.

They also skip itsdangerous' attempt to zlib-compress short payloads. The app's tokens carry a
few ids and a tag, which zlib never shortens, yet each attempt costs about 50 µs (the
compressor's set-up), a good share of a signing request. Reading is unchanged: compressed
tokens (a leading ".") issued before still load."""

from functools import lru_cache

from flask import current_app
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer

# Below this many bytes of JSON a payload is never compressed. zlib adds six bytes of framing to
# what it saves, and the app's payloads (ids, a short tag, a timestamp) are far shorter.
COMPRESS_FROM = 256


class _NoZlibForShortPayloads:
    """Mixed in before a URL-safe serializer: a payload shorter than COMPRESS_FROM is encoded
    as it is, without the zlib attempt; a longer one goes to itsdangerous as before (which
    compresses it when that shortens it; its JSON is then made twice, for payloads the app
    does not make)."""

    def dump_payload(self, obj) -> bytes:
        json = Serializer.dump_payload(self, obj)  # the JSON, not yet compressed or encoded
        if len(json) < COMPRESS_FROM:
            return base64_encode(json)
        return super().dump_payload(obj)


class AppURLSafeSerializer(_NoZlibForShortPayloads, URLSafeSerializer):
    pass


class AppURLSafeTimedSerializer(_NoZlibForShortPayloads, URLSafeTimedSerializer):
    pass


def serializer(salt: str) -> URLSafeSerializer:
    """For tokens that never expire (unsubscribe links must keep working: RFC 8058)."""
    return _built(current_app.config["SECRET_KEY"], salt, timed=False)


def timed_serializer(salt: str) -> URLSafeTimedSerializer:
    """For tokens read with a max_age (confirmation links, form stamps, password resets)."""
    return _built(current_app.config["SECRET_KEY"], salt, timed=True)


@lru_cache(maxsize=32)
def _built(secret: str, salt: str, timed: bool):
    kind = AppURLSafeTimedSerializer if timed else AppURLSafeSerializer
    return kind(secret, salt=salt)
