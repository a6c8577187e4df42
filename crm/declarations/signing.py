"""Public signing with double opt-in: sign() stores an unconfirmed signature and queues the
confirmation mail in the caller's transaction, sign_and_commit() (the signing POST) commits them
before it returns; confirm() marks a signature confirmed from the emailed token (the caller
commits). Nothing here touches the directory (matching.py does)."""

import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from crm.audit.services import record
from crm.db import utcnow
from crm.declarations import signature_writes as writes
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
from crm.links import token_link
from crm.mailings.outbox import queue_email
from crm.members.normalise import email_key

# Confirmation mails per signature (the first included), and the least time between two.
MAX_CONFIRMATION_MAILS = 3
RESEND_INTERVAL = timedelta(minutes=5)
_FORM_TO_COLUMN = {"organisation": "organisation_name"}


@dataclass
class SignResult:
    """What sign() did; the public page says the same words whatever it was (no leak)."""

    signature_id: int
    created: bool
    mailed: bool

    @property
    def signature(self) -> Signature | None:
        """Loaded only when asked for: the signing request itself never needs the object."""
        return db.session.get(Signature, self.signature_id)


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
    """Record a signature and queue its confirmation mail, in the caller's transaction. The
    same email again creates nothing; while still unconfirmed it resends the mail (throttled).

    The signature's INSERT ... ON CONFLICT DO NOTHING lets the unique constraint decide, so two
    requests racing with the same email never raise; the loser waits for the winner's commit,
    inserts nothing and carries on with the winner's signature.

    `form_data` has first_name, last_name, email, and as the declaration asks: signing_as,
    organisation, country, job_title, city, comment, list_publicly, consent_updates. `language`
    is the language the text was shown in (its text, title and consent label are the ones kept),
    `version` the version shown (by default the current one): the signature records that one.
    `ip` is logged at debug level only, never stored."""
    return _sign(declaration, form_data, ip, language, version, commit=False)


def sign_and_commit(
    declaration: Declaration,
    form_data: dict,
    ip: str | None,
    language: str,
    version: DeclarationVersion | None = None,
) -> SignResult:
    """sign(), committed before it returns: the signing POST. On PostgreSQL a new signature is
    one statement outside any transaction (signature_writes.insert_committed), the cheapest
    durable write there is for the busiest public request."""
    return _sign(declaration, form_data, ip, language, version, commit=True)


def _sign(declaration, form_data, ip, language, version, commit: bool) -> SignResult:
    key = email_key(form_data.get("email"))
    if not key:
        raise ValueError("an email is required")
    if version is None or version.declaration_id != declaration.id:
        version = current_version(declaration)
    values = _signature_values(declaration, version, form_data, key, language)
    summary = f"Unconfirmed signature on {declaration.slug} ({values['signing_as']})"
    one_statement = commit and db.engine.dialect.name == "postgresql"
    for _attempt in range(3):
        if one_statement:
            signature_id = _insert_committed(values, summary, version, declaration.slug)
        else:
            signature_id = writes.insert_signature(values)
            if signature_id is not None:
                writes.insert_audit_and_mail(
                    writes.audit_row(signature_id, summary),
                    _mail_row({**values, "id": signature_id}, version, declaration.slug),
                )
        if signature_id is not None:
            if commit and not one_statement:
                db.session.commit()
            current_app.logger.debug(
                "signature %s on %s from %s", signature_id, declaration.slug, ip
            )
            return SignResult(signature_id, created=True, mailed=True)
        existing = _find(declaration.id, key)
        if existing is not None:
            result = SignResult(existing.id, created=False, mailed=resend_confirmation(existing))
            if commit:
                db.session.commit()
            return result
        # The row that refused ours was deleted meanwhile: try the insert once more.
    raise RuntimeError(f"a signature on {declaration.slug} was neither inserted nor found")


def _insert_committed(values: dict, summary: str, version, slug: str) -> int | None:
    """The new signature, its audit entry and its mail in one committed statement, under an id
    reserved beforehand (the mail's link names it); None if the email had signed already."""
    audit = writes.audit_row(None, summary)
    # registry.has(): whether this request made a session at all (an anonymous signing with the
    # declaration kept in memory makes none, and asking would make one for nothing).
    if db.session.registry.has() and db.session().in_transaction():
        # Loading a signed-in user (the audit's actor) or an earlier read took a connection:
        # give it back first, so that a request never holds two (a busy pool would run dry).
        db.session.commit()
    ids = writes.id_blocks()
    for _attempt in range(2):
        reserved = ids.take()
        try:
            return writes.insert_committed(
                reserved, values, audit, _mail_row({**values, "id": reserved}, version, slug)
            )
        except writes.DuplicateId:
            ids.discard()  # the sequence went back (a restore): reserve afresh
    raise RuntimeError("no free signature id after reserving a fresh block")


def _mail_row(signature: dict, version, slug: str) -> dict:
    return writes.mail_row(*_confirmation_mail(signature, version, slug))


def _signature_values(declaration, version, form_data: dict, key: str, language: str) -> dict:
    """The column values of a new, unconfirmed signature on `version`."""
    text = text_for(version, language) or text_for(version, declaration.default_language)
    if text is None:
        text = version.texts[0]
    kinds = declaration.signer_kinds
    signing_as = kinds if kinds in ("organisation", "individual") else form_data.get("signing_as")
    if signing_as not in ("organisation", "individual"):
        signing_as = "individual"
    now = utcnow()
    values = dict.fromkeys(writes.SIGNATURE_COLUMNS)
    values.update(
        declaration_id=declaration.id,
        version_id=version.id,
        created_at=now,
        email=form_data["email"].strip(),
        email_key=key,
        first_name=_value(form_data, "first_name") or "",
        last_name=_value(form_data, "last_name") or "",
        signing_as=signing_as,
        language=text.language,
        list_publicly=bool(declaration.list_publicly and form_data.get("list_publicly")),
        consent_updates=False,
        confirmation_sent_at=now,
        **writes.NEW_SIGNATURE_FIXED,  # unconfirmed, pending, unmatched, one mail sent
    )
    asked = set(declaration.asked_fields or ())
    for name in OPTIONAL_FIELDS:
        if name in asked or (name == "organisation" and signing_as == "organisation"):
            values[_FORM_TO_COLUMN.get(name, name)] = _value(form_data, name)
    if declaration.ask_consent and text.consent_label:
        # The wording exactly as shown, as evidence of what was agreed to.
        values["consent_wording"] = text.consent_label
        values["consent_updates"] = bool(form_data.get("consent_updates"))
    return values


def _queue_confirmation(signature: dict, version: DeclarationVersion, slug: str) -> None:
    """Put confirmation mail number `confirmations_sent` in the outbox. `signature` holds the
    signature's id, email, email_key, language and confirmations_sent."""
    to_email, subject, body, key = _confirmation_mail(signature, version, slug)
    queue_email(to_email, subject, body, kind="signature-confirm", key=key)


def _confirmation_mail(signature: dict, version, slug: str) -> tuple[str, str, str, str]:
    """Recipient, subject, text and outbox key of confirmation mail `confirmations_sent`."""
    language = signature["language"] if signature["language"] in MAIL_LANGUAGES else "en"
    version_text = text_for(version, signature["language"]) or version.texts[0]
    token = tokens.make_confirm_token(signature["id"], signature["email_key"])
    link = token_link("declarations.confirm_signature", token, slug=slug)
    days = current_app.config["SIGNATURE_CONFIRM_MAX_AGE"] // 86400
    return (
        signature["email"],
        words(language)["mail_subject"].format(title=version_text.title),
        # The template alone, without the page context processors (a mail needs none of them).
        # Nothing typed into the form goes in: anyone can sign with anyone's address, and the
        # mail must not carry a stranger's words (a name, a link) to that address.
        current_app.jinja_env.get_template(f"declarations/email/confirm_{language}.txt").render(
            title=version_text.title,
            link=link,
            days=days,
        ),
        f"signature-confirm:{signature['id']}:{signature['confirmations_sent']}",
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
    fields = ("id", "email", "email_key", "language", "confirmations_sent")
    _queue_confirmation(
        {name: getattr(signature, name) for name in fields},
        signature.version,
        signature.declaration.slug,
    )
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
        if signature.consent_updates and signature.person_id:
            from crm.mailings.consent import record_consent

            record_consent(
                signature.person,
                "campaign_updates",
                True,
                basis="consent",
                source=f"declaration:{declaration.slug}",
                wording_version=f"v{signature.version.number}",
                wording=signature.consent_wording,
                when=signature.confirmed_at,
            )
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
