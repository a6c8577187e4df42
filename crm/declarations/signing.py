"""Public signing with double opt-in: sign() stores an unconfirmed signature and queues the
confirmation mail in the same transaction; confirm() marks it confirmed from the emailed token.
The caller (a view) commits once. Nothing here touches the directory (matching.py does)."""

import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask import current_app, render_template, url_for
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crm.audit.models import AuditEvent
from crm.audit.services import current_actor, record
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
from crm.mailings.models import Delivery, DeliveryStatus, Priority
from crm.mailings.outbox import make_message_id, queue_email
from crm.members.normalise import email_key

# Confirmation mails per signature (the first included), and the least time between two.
MAX_CONFIRMATION_MAILS = 3
RESEND_INTERVAL = timedelta(minutes=5)
_FORM_TO_COLUMN = {"organisation": "organisation_name"}
# Every column a new signature sets; those the declaration does not ask stay NULL.
_NEW_COLUMNS = (
    "declaration_id",
    "version_id",
    "created_at",
    "email",
    "email_key",
    "first_name",
    "last_name",
    "signing_as",
    "organisation_name",
    "country",
    "job_title",
    "city",
    "comment",
    "language",
    "list_publicly",
    "consent_updates",
    "consent_wording",
    "status",
    "moderation",
    "match_status",
    "confirmations_sent",
    "confirmation_sent_at",
)
# INSERT ... ON CONFLICT DO NOTHING, in the dialects the CRM runs on.
_UPSERT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_insert_statements: dict = {}


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
    reserved_id: int | None = None,
) -> SignResult:
    """Record a signature and queue its confirmation mail. The same email again creates nothing;
    while still unconfirmed it resends the mail (throttled).

    A new signature costs three INSERTs (signature, audit entry, mail) and no read: the
    signature's INSERT ... ON CONFLICT DO NOTHING lets the unique constraint decide, so two
    requests racing with the same email never raise; the loser waits for the winner's commit,
    inserts nothing and carries on with the winner's signature. Given `reserved_id` (a value of
    the signature id sequence, on PostgreSQL), the three are one statement: the mail and the
    audit entry are INSERT ... SELECT from the signature's, so they exist only if it does.

    `form_data` has first_name, last_name, email, and as the declaration asks: signing_as,
    organisation, country, job_title, city, comment, list_publicly, consent_updates. `language`
    is the language the text was shown in (its text, title and consent label are the ones kept),
    `version` the version shown (by default the current one): the signature records that one.
    `ip` is logged at debug level only, never stored."""
    key = email_key(form_data.get("email"))
    if not key:
        raise ValueError("an email is required")
    if version is None or version.declaration_id != declaration.id:
        version = current_version(declaration)
    values = _signature_values(declaration, version, form_data, key, language)
    summary = f"Unconfirmed signature on {declaration.slug} ({values['signing_as']})"
    connection = db.session.connection()
    for _attempt in range(2):
        if reserved_id is not None and connection.dialect.name == "postgresql":
            values["id"] = reserved_id
            rows = {
                **values,
                **_audit_row(reserved_id, summary, prefix="audit_"),
                **_mail_row({**values, "id": reserved_id}, version, declaration.slug, "mail_"),
            }
            signature_id = connection.execute(_all_in_one_statement(), rows).scalar()
            reserved_id = None  # a second attempt takes a fresh id
        else:
            values.pop("id", None)
            signature_id = connection.execute(_insert_statement(), values).scalar()
            if signature_id is not None:
                connection.execute(_audit_insert(), _audit_row(signature_id, summary))
                connection.execute(
                    _mail_insert(),
                    _mail_row({**values, "id": signature_id}, version, declaration.slug),
                )
        if signature_id is not None:
            current_app.logger.debug(
                "signature %s on %s from %s", signature_id, declaration.slug, ip
            )
            return SignResult(signature_id, created=True, mailed=True)
        existing = _find(declaration.id, key)
        if existing is not None:
            return SignResult(existing.id, created=False, mailed=resend_confirmation(existing))
        # The row that refused ours was deleted meanwhile: try the insert once more.
    raise RuntimeError(f"a signature on {declaration.slug} was neither inserted nor found")


def _insert_statement():
    """INSERT ... ON CONFLICT (declaration, email) DO NOTHING RETURNING id: None when this email
    has signed this declaration already. Built once per dialect (building it costs more than
    running it)."""
    dialect = db.session.get_bind().dialect.name
    statement = _insert_statements.get(dialect)
    if statement is None:
        table = Signature.__table__
        statement = (
            _UPSERT_INSERT[dialect](table)
            .values({name: bindparam(name) for name in _NEW_COLUMNS})
            .on_conflict_do_nothing(index_elements=["declaration_id", "email_key"])
            .returning(table.c.id)
        )
        _insert_statements[dialect] = statement
    return statement


# The audit entry and the outbox row of a new signature, written with Core: the same rows
# crm.audit.services.record() and crm.mailings.outbox.queue_email() would add through the ORM
# (whose flush costs more than the rest of the request's writes together).
_AUDIT_COLUMNS = (
    "created_at",
    "actor_id",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "organisation_id",
    "summary",
    "before",
    "after",
)
_MAIL_COLUMNS = (
    "created_at",
    "kind",
    "priority",
    "to_email",
    "subject",
    "text_body",
    "html_body",
    "headers",
    "message_id",
    "status",
    "attempts",
    "next_attempt_at",
)


def _audit_row(signature_id: int, summary: str, prefix: str = "") -> dict:
    actor_id, actor = current_actor()
    row = {
        "created_at": utcnow(),
        "actor_id": actor_id,
        "actor": actor,
        "action": "create",
        "entity_type": "signature",
        "entity_id": signature_id,
        "organisation_id": None,
        "summary": summary[:300],
        "before": None,
        "after": None,
    }
    return {prefix + name: value for name, value in row.items()} if prefix else row


def _mail_row(signature: dict, version, slug: str, prefix: str = "") -> dict:
    to_email, subject, body, key = _confirmation_mail(signature, version, slug)
    now = utcnow()
    row = {
        "created_at": now,
        "kind": "signature-confirm",
        "priority": Priority.TRANSACTIONAL,
        "to_email": to_email,
        "subject": subject,
        "text_body": body,
        "html_body": None,
        "headers": None,
        "message_id": make_message_id(key),
        "status": DeliveryStatus.QUEUED.value,
        "attempts": 0,
        "next_attempt_at": now,
    }
    return {prefix + name: value for name, value in row.items()} if prefix else row


@cache
def _audit_insert():
    table = AuditEvent.__table__
    return insert(table).values({name: bindparam(name) for name in _AUDIT_COLUMNS})


@cache
def _mail_insert():
    table = Delivery.__table__
    return insert(table).values({name: bindparam(name) for name in _MAIL_COLUMNS})


@cache
def _all_in_one_statement():
    """PostgreSQL: the signature (id given), its audit entry and its mail in one statement,
    RETURNING the signature id, or no row when the email had signed already (nothing written).
    Data-modifying CTEs run once and in full whether or not the outer query reads them."""
    signature = Signature.__table__
    new = (
        postgresql.insert(signature)
        .values({name: bindparam(name) for name in ("id", *_NEW_COLUMNS)})
        .on_conflict_do_nothing(index_elements=["declaration_id", "email_key"])
        .returning(signature.c.id)
        .cte("new_signature")
    )

    def copied(table, prefix: str, columns: tuple[str, ...]):
        return insert(table).from_select(
            columns,
            select(
                *(
                    new.c.id
                    if (table is AuditEvent.__table__ and name == "entity_id")
                    else bindparam(prefix + name, type_=table.c[name].type)
                    for name in columns
                )
            ).select_from(new),
            include_defaults=False,
        )

    audit = copied(AuditEvent.__table__, "audit_", _AUDIT_COLUMNS).cte("new_audit")
    mail = copied(Delivery.__table__, "mail_", _MAIL_COLUMNS).cte("new_mail")
    return select(new.c.id).add_cte(audit, mail)


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
    values = dict.fromkeys(_NEW_COLUMNS)
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
        status="unconfirmed",
        moderation="pending",
        match_status="none",
        # Counted as mailed from the start, so a racing duplicate never finds it "unsent".
        confirmations_sent=1,
        confirmation_sent_at=now,
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
    signature's id, email, email_key, first_name, language and confirmations_sent."""
    to_email, subject, body, key = _confirmation_mail(signature, version, slug)
    queue_email(to_email, subject, body, kind="signature-confirm", key=key)


def _confirmation_mail(signature: dict, version, slug: str) -> tuple[str, str, str, str]:
    """Recipient, subject, text and outbox key of confirmation mail `confirmations_sent`."""
    language = signature["language"] if signature["language"] in MAIL_LANGUAGES else "en"
    version_text = text_for(version, signature["language"]) or version.texts[0]
    token = tokens.make_confirm_token(signature["id"], signature["email_key"])
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "declarations.confirm_signature", slug=slug, token=token
    )
    days = current_app.config["SIGNATURE_CONFIRM_MAX_AGE"] // 86400
    return (
        signature["email"],
        words(language)["mail_subject"].format(title=version_text.title),
        render_template(
            f"declarations/email/confirm_{language}.txt",
            signature=signature,  # the templates read signature.first_name
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
    fields = ("id", "email", "email_key", "first_name", "language", "confirmations_sent")
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
