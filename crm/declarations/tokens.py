"""Signed tokens: the emailed confirmation link, and the form's signed timestamp."""

import hashlib
import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from crm.signed import timed_serializer

CONFIRM_SALT = "signature-confirm"
FORM_SALT = "signature-form-stamp"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return timed_serializer(salt)


def _email_tag(email_key: str) -> str:
    # Binds the token to the address it was sent to, without putting the address in the link.
    return hashlib.sha256(email_key.encode()).hexdigest()[:12]


def confirm_token(signature) -> str:
    """The token of a signature's confirmation link."""
    return make_confirm_token(signature.id, signature.email_key)


def make_confirm_token(signature_id: int, email_key: str) -> str:
    """The confirmation token of the signature with this id and normalised email."""
    return _serializer(CONFIRM_SALT).dumps({"s": signature_id, "e": _email_tag(email_key)})


def read_confirm_token(token: str) -> tuple[str, int | None, str | None]:
    """("ok", signature id, email tag), ("expired", None, None) or ("invalid", None, None)."""
    max_age = current_app.config["SIGNATURE_CONFIRM_MAX_AGE"]
    try:
        data = _serializer(CONFIRM_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        return "expired", None, None
    except BadSignature:
        return "invalid", None, None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return "invalid", None, None
    return "ok", data["s"], data.get("e")


def email_tag_matches(signature, tag: str | None) -> bool:
    return tag == _email_tag(signature.email_key)


def form_stamp(declaration_id: int, version_id: int) -> str:
    """A signed timestamp put in the form when it is shown, bound to the declaration and to the
    version of the text shown (so a signature records the words its signer read)."""
    return _serializer(FORM_SALT).dumps([declaration_id, version_id])


def read_stamp(
    stamp: str | None, declaration_id: int | None, max_age: float | None = None
) -> tuple[float, int] | None:
    """(seconds since the form was shown, version id shown), or None if the stamp is missing,
    forged, for another declaration (None: any) or (with max_age) older than max_age seconds."""
    if not stamp or len(stamp) > 200:
        return None
    try:
        value, issued = _serializer(FORM_SALT).loads(stamp, max_age=max_age, return_timestamp=True)
    except BadSignature:  # SignatureExpired included
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or (declaration_id is not None and value[0] != declaration_id)
        or not isinstance(value[1], int)
    ):
        return None
    return time.time() - issued.timestamp(), value[1]


def stamp_age(stamp: str | None, declaration_id: int, max_age: float | None = None) -> float | None:
    """Seconds since the form was shown, or None if the stamp is missing, forged or expired."""
    read = read_stamp(stamp, declaration_id, max_age)
    return read[0] if read else None
