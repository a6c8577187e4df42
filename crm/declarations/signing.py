"""Public signing with double opt-in: sign() stores an unconfirmed signature and queues the
confirmation mail in the same transaction; confirm() marks it confirmed from the emailed token.
The caller (a view) commits once. Nothing here touches the directory (matching.py does)."""

import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template, url_for
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from crm.audit.services import record
from crm.db import utcnow
from crm.declarations import tokens
from crm.declarations.matching import match_signature
from crm.declarations.models import (
    OPTIONAL_FIELDS,
    PUBLISHED_STATES,
    Declaration,
    DeclarationVersion,
    Signature,
)
from crm.declarations.moderation import initial_moderation
from crm.declarations.public_text import MAIL_LANGUAGES, words
from crm.declarations.services import current_version, text_for
from crm.extensions import db
from crm.mailings.outbox import queue_email
from crm.members.normalise import email_key

# Confirmation mails per signature (the first included), and the least time between two.
MAX_CONFIRMATION_MAILS = 3
RESEND_INTERVAL = timedelta(minutes=5)
_FORM_TO_COLUMN = {"organisation": "organisation_name"}


@dataclass
class SignResult:
    """What sign() did; the public page says the same words whatever it was (no leak)."""

    signature: Signature | None
    created: bool
    mailed: bool


def is_open(declaration: Declaration, today: date | None = None) -> bool:
    today = today or date.today()
    return declaration.open_on <= today and (
        declaration.close_on is None or today <= declaration.close_on
    )


def _find(declaration_id: int, key: str) -> Signature | None:
    return db.session.scalar(
        select(Signature).where(
            Signature.declaration_id == declaration_id, Signature.email_key == key
        )
    )


def _value(form_data: dict, name: str):
    value = form_data.get(name)
    if isinstance(value, str):
        value = value.strip()
    return value or None


def sign(
    declaration: Declaration,
    form_data: dict,
    ip: str | None,
    language: str,
    version: DeclarationVersion | None = None,
) -> SignResult:
    """Record a signature and queue its confirmation mail. The same email again creates nothing;
    while still unconfirmed it resends the mail (throttled). Two requests racing with the same
    email: the unique constraint refuses the second insert inside a savepoint, and the second
    request carries on with the first one's signature.

    `form_data` has first_name, last_name, email, and as the declaration asks: signing_as,
    organisation, country, job_title, city, comment, list_publicly, consent_updates. `language`
    is the language the text was shown in (its text, title and consent label are the ones kept),
    `version` the version shown (by default the current one): the signature records that one.
    `ip` is logged at debug level only, never stored."""
    key = email_key(form_data.get("email"))
    if not key:
        raise ValueError("an email is required")
    existing = _find(declaration.id, key)
    if existing is None:
        signature = _new_signature(declaration, form_data, key, language, version)
        try:
            # The signature, its audit entry and its mail in one savepoint: on SQLite (whose
            # driver lets a first SAVEPOINT open the transaction) its release commits all three
            # together, never a signature without its mail.
            with db.session.begin_nested():
                db.session.add(signature)
                db.session.flush()
                record(
                    "create",
                    "signature",
                    signature.id,
                    f"Unconfirmed signature on {declaration.slug} ({signature.signing_as})",
                )
                _queue_confirmation(signature)
        except IntegrityError:
            existing = _find(declaration.id, key)
            if existing is None:  # not a duplicate after all
                raise
        else:
            current_app.logger.debug(
                "signature %s on %s from %s", signature.id, declaration.slug, ip
            )
            return SignResult(signature, created=True, mailed=True)
    return SignResult(existing, created=False, mailed=resend_confirmation(existing))


def _new_signature(declaration, form_data: dict, key: str, language: str, version=None):
    if version is None or version.declaration_id != declaration.id:
        version = current_version(declaration)
    text = text_for(version, language) or text_for(version, declaration.default_language)
    if text is None:
        text = version.texts[0]
    kinds = declaration.signer_kinds
    signing_as = kinds if kinds in ("organisation", "individual") else form_data.get("signing_as")
    if signing_as not in ("organisation", "individual"):
        signing_as = "individual"
    signature = Signature(
        declaration_id=declaration.id,
        version_id=version.id,
        email=form_data["email"].strip(),
        email_key=key,
        first_name=_value(form_data, "first_name") or "",
        last_name=_value(form_data, "last_name") or "",
        signing_as=signing_as,
        language=text.language,
        list_publicly=bool(declaration.list_publicly and form_data.get("list_publicly")),
        status="unconfirmed",
        moderation="pending",
        # Counted as mailed from the start, so a racing duplicate never finds it "unsent".
        confirmations_sent=1,
        confirmation_sent_at=utcnow(),
    )
    asked = set(declaration.asked_fields or ())
    for name in OPTIONAL_FIELDS:
        if name in asked or (name == "organisation" and signing_as == "organisation"):
            setattr(signature, _FORM_TO_COLUMN.get(name, name), _value(form_data, name))
    if declaration.ask_consent and text.consent_label:
        # The wording exactly as shown, as evidence of what was agreed to.
        signature.consent_wording = text.consent_label
        signature.consent_updates = bool(form_data.get("consent_updates"))
    return signature


def _queue_confirmation(signature: Signature) -> None:
    """Put confirmation mail number `confirmations_sent` in the outbox."""
    language = signature.language if signature.language in MAIL_LANGUAGES else "en"
    version_text = text_for(signature.version, signature.language) or signature.version.texts[0]
    token = tokens.confirm_token(signature)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "declarations.confirm_signature", slug=signature.declaration.slug, token=token
    )
    days = current_app.config["SIGNATURE_CONFIRM_MAX_AGE"] // 86400
    queue_email(
        signature.email,
        words(language)["mail_subject"].format(title=version_text.title),
        render_template(
            f"declarations/email/confirm_{language}.txt",
            signature=signature,
            title=version_text.title,
            link=link,
            days=days,
        ),
        kind="signature-confirm",
        key=f"signature-confirm:{signature.id}:{signature.confirmations_sent}",
    )


def resend_confirmation(signature: Signature) -> bool:
    """Send the confirmation again if the signature is unconfirmed, has had fewer than
    MAX_CONFIRMATION_MAILS and none in the last RESEND_INTERVAL. The conditional UPDATE lets
    only one of several simultaneous requests win."""
    if signature.status != "unconfirmed":
        return False
    now = utcnow()
    won = db.session.execute(
        update(Signature)
        .where(
            Signature.id == signature.id,
            Signature.status == "unconfirmed",
            Signature.confirmations_sent < MAX_CONFIRMATION_MAILS,
            or_(
                Signature.confirmation_sent_at.is_(None),
                Signature.confirmation_sent_at <= now - RESEND_INTERVAL,
            ),
        )
        .values(confirmation_sent_at=now, confirmations_sent=Signature.confirmations_sent + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        return False
    db.session.refresh(signature)
    _queue_confirmation(signature)
    return True


def signature_for_token(token: str, declaration: Declaration | None = None) -> Signature | None:
    """The signature a confirmation token names, if the token is genuine, unexpired and (when
    given) for this declaration. Changes nothing."""
    status, signature_id, tag = tokens.read_confirm_token(token)
    if status != "ok":
        return None
    signature = db.session.get(Signature, signature_id)
    if signature is None or not tokens.email_tag_matches(signature, tag):
        return None
    if declaration is not None and signature.declaration_id != declaration.id:
        return None
    return signature


def confirm(token: str) -> Signature | None:
    """Confirm the signature of an emailed token; None if the token is expired or not genuine.
    Confirming twice changes nothing the second time."""
    signature = signature_for_token(token)
    if signature is None or signature.status != "unconfirmed":
        return signature
    declaration = signature.declaration
    moderation = initial_moderation(declaration, signature.signing_as)
    # Conditional, so two clicks at once confirm (and audit) once.
    won = db.session.execute(
        update(Signature)
        .where(Signature.id == signature.id, Signature.status == "unconfirmed")
        .values(status="confirmed", confirmed_at=utcnow(), moderation=moderation)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(signature)
    if won == 1:
        # Link it to the directory by email, or queue a suggested organisation for staff.
        match_signature(signature)
        record(
            "confirm",
            "signature",
            signature.id,
            f"Signature on {declaration.slug} confirmed ({signature.signing_as}), "
            f"match: {signature.match_status}",
        )
        forget_count(declaration.id)
    return signature


_count_cache: dict[int, tuple[float, int]] = {}


def forget_count(declaration_id: int) -> None:
    """Drop this process's cached count, after a change that publishes or unpublishes."""
    _count_cache.pop(declaration_id, None)


def confirmed_count(declaration_id: int) -> int:
    """Confirmed, published signatures: a COUNT over the indexed signature table, kept for
    SIGNATURE_COUNT_CACHE_SECONDS in this process (no shared counter row to contend on)."""
    ttl = current_app.config.get("SIGNATURE_COUNT_CACHE_SECONDS", 0)
    now = time.monotonic()
    cached = _count_cache.get(declaration_id)
    if ttl and cached and cached[0] > now:
        return cached[1]
    count = db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(
            Signature.declaration_id == declaration_id,
            Signature.status == "confirmed",
            Signature.moderation.in_(PUBLISHED_STATES),
        )
    )
    if ttl:
        _count_cache[declaration_id] = (now + ttl, count)
    return count
