"""Writes to declarations and their versioned texts. Each adds, flushes and audits; the caller
commits once. Also the read helpers for a declaration's current text in a language."""

from datetime import date

from sqlalchemy import func, select

from crm.audit.services import current_actor, record, snapshot
from crm.db import conflict_raises
from crm.declarations.models import (
    OPTIONAL_FIELDS,
    SIGNER_KINDS,
    Declaration,
    DeclarationText,
    DeclarationVersion,
    Signature,
)
from crm.declarations.public_loading import note_declaration_change
from crm.extensions import db
from crm.policy.models import Campaign
from crm.policy.services import clean, unique_slug

# Languages whose texts officers edit on the declaration's page (more may exist).
EDITED_LANGUAGES = ("en", "fr", "de")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch"}
DECLARATION_FIELDS = (
    "campaign_id",
    "open_on",
    "close_on",
    "target",
    "signer_kinds",
    "asked_fields",
    "list_publicly",
    "moderate_individuals",
    "ask_consent",
    "default_language",
)


SLUG_RACE = "Another declaration took this slug at the same moment; nothing was saved."
TEXT_RACE = (
    "Someone else saved this declaration's text at the same moment; nothing was saved. "
    "Reload the page to see their version, then make your change again."
)


class DeclarationError(ValueError):
    """A user-facing reason a change was refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _check(data: dict) -> None:
    if data.get("signer_kinds") not in SIGNER_KINDS:
        raise DeclarationError("Choose who may sign.", "signer_kinds")
    unknown = set(data.get("asked_fields") or ()) - set(OPTIONAL_FIELDS)
    if unknown:
        raise DeclarationError("Unknown optional field.", "asked_fields")
    if not isinstance(data.get("open_on"), date):
        raise DeclarationError("Give the opening date.", "open_on")
    close_on = data.get("close_on")
    if close_on and close_on < data["open_on"]:
        raise DeclarationError("The closing date is before the opening date.", "close_on")
    campaign_id = data.get("campaign_id")
    if campaign_id and db.session.get(Campaign, campaign_id) is None:
        raise DeclarationError("Choose a campaign.", "campaign_id")
    if data.get("target") is not None and data["target"] < 1:
        raise DeclarationError("The target must be at least 1.", "target")


def _apply(declaration: Declaration, data: dict) -> None:
    for field in DECLARATION_FIELDS:
        if field in data:
            value = clean(data[field])
            if field == "asked_fields":
                value = [f for f in OPTIONAL_FIELDS if f in (value or ())]
            setattr(declaration, field, value)


def create_declaration(data: dict, texts: dict[str, dict]) -> Declaration:
    """Create a declaration with its first version; `texts` maps a language to its title, body
    and consent label. The slug comes from `data["slug"]` or the default language's title."""
    data = {"signer_kinds": "both", "default_language": "en", **data}
    _check(data)
    texts = {lang: t for lang, t in texts.items() if clean(t.get("title"))}
    if data["default_language"] not in texts:
        raise DeclarationError("Write the title and text in the default language.", "title")
    declaration = Declaration()
    _apply(declaration, data)
    title = texts[data["default_language"]]["title"]
    declaration.slug = _slug(clean(data.get("slug")), title)
    # _slug() checked the slug was free; another officer creating a declaration with the same
    # slug at the same moment can still take it first: the unique constraint then says so.
    taken = SLUG_RACE + (
        " Choose another slug." if clean(data.get("slug")) else " Save again for another one."
    )
    with conflict_raises(DeclarationError(taken, "slug")):
        db.session.add(declaration)
        db.session.flush()
    version = DeclarationVersion(
        declaration_id=declaration.id, number=1, created_by_id=current_actor()[0]
    )
    for language, text in texts.items():
        version.texts.append(_text(language, text))
    db.session.add(version)
    db.session.flush()
    record(
        "create",
        "declaration",
        declaration.id,
        f"Created declaration {declaration.slug}",
        after={**snapshot(declaration), "texts": {k: _text_snapshot(v) for k, v in texts.items()}},
    )
    return declaration


def _slug(wanted: str | None, title: str, exclude_id: int | None = None) -> str:
    from crm.policy.services import PolicyError

    try:
        return unique_slug(Declaration, wanted, title, exclude_id)
    except PolicyError as error:
        raise DeclarationError(str(error), "slug") from error


def update_declaration(declaration: Declaration, data: dict) -> None:
    """Change a declaration's settings (not its text: see save_text)."""
    merged = {f: getattr(declaration, f) for f in DECLARATION_FIELDS}
    merged.update({k: v for k, v in data.items() if k in DECLARATION_FIELDS})
    _check(merged)
    version = current_version(declaration)
    if version is not None and text_for(version, merged["default_language"]) is None:
        raise DeclarationError(
            "The text has no version in this language yet: add it before making it the default.",
            "default_language",
        )
    slug = declaration.slug
    if clean(data.get("slug")) and data["slug"].strip() != declaration.slug:
        if _any_signature(declaration):
            # Confirmation links already mailed carry the slug; keep the public address stable.
            raise DeclarationError(
                "The slug cannot change once the declaration has signatures.", "slug"
            )
        slug = _slug(data["slug"].strip(), "", declaration.id)
    before = snapshot(declaration)
    _apply(declaration, merged)
    declaration.slug = slug
    with conflict_raises(DeclarationError(f"{SLUG_RACE} Choose another slug.", "slug")):
        db.session.flush()
    note_declaration_change()
    after = snapshot(declaration)
    if after != before:
        record(
            "update",
            "declaration",
            declaration.id,
            f"Edited declaration {declaration.slug}",
            before=before,
            after=after,
        )


def _text(language: str, data: dict) -> DeclarationText:
    return DeclarationText(
        language=language,
        title=clean(data.get("title")),
        body=clean(data.get("body")) or "",
        consent_label=clean(data.get("consent_label")),
    )


def _text_snapshot(data) -> dict:
    get = data.get if isinstance(data, dict) else lambda k: getattr(data, k)
    return {k: clean(get(k)) for k in ("title", "body", "consent_label")}


def current_version(declaration: Declaration | int) -> DeclarationVersion | None:
    """The newest version of the text: the one new signatures sign."""
    declaration_id = declaration if isinstance(declaration, int) else declaration.id
    return db.session.scalar(
        select(DeclarationVersion)
        .where(DeclarationVersion.declaration_id == declaration_id)
        .order_by(DeclarationVersion.number.desc())
        .limit(1)
    )


def text_for(version: DeclarationVersion, language: str) -> DeclarationText | None:
    """The version's text in a language, if it has one."""
    return next((t for t in version.texts if t.language == language), None)


def _any_signature(declaration: Declaration) -> bool:
    return (
        db.session.scalar(
            select(Signature.id).where(Signature.declaration_id == declaration.id).limit(1)
        )
        is not None
    )


def has_signatures(version: DeclarationVersion) -> bool:
    return (
        db.session.scalar(
            select(func.count()).select_from(Signature).where(Signature.version_id == version.id)
        )
        > 0
    )


def needs_new_version(declaration: Declaration, version: DeclarationVersion) -> bool:
    """Whether a text change must go into a new version rather than edit `version` in place.

    Once signed, always: each signature keeps the words it signed. Once the declaration has
    opened, too, even before its first signature and even if it has closed since: a visitor
    may have the form loaded (the page's form stamp does not expire, and a closed declaration
    can reopen), and the stamp binds the version's id, not its words. An edit in place would
    keep the id, so the next signature would record (and its consent question claim) wording
    the signer never saw; a new version makes the signing page show the updated text first.
    Only a declaration that has not opened yet is edited in place."""
    # The date first: a declaration that has opened needs no look at its signatures.
    return declaration.open_on <= date.today() or has_signatures(version)


def save_text(declaration: Declaration, language: str, data: dict) -> DeclarationVersion:
    """Save one language's text. Until the declaration opens (and while the current version is
    unsigned) that version is edited in place; afterwards a new version is made (every language
    copied, this one changed; see needs_new_version), so each signature keeps the words its
    signer read. An empty title removes the language."""
    version = current_version(declaration)
    existing = text_for(version, language)
    new = _text_snapshot(data)
    old = _text_snapshot(existing) if existing else None
    if new == old:
        return version
    if not new["title"] and (language == declaration.default_language or existing is None):
        raise DeclarationError("Give a title.", "title")
    if not new["title"] and len(version.texts) <= 1:
        raise DeclarationError("This is the last text of the declaration: give a title.", "title")
    if needs_new_version(declaration, version):
        copy = DeclarationVersion(
            declaration_id=declaration.id,
            number=version.number + 1,
            created_by_id=current_actor()[0],
        )
        for text in version.texts:
            if text.language != language:
                copy.texts.append(_text(text.language, _text_snapshot(text)))
        if new["title"]:
            copy.texts.append(_text(language, new))
        # Two officers saving at the same moment both make version N+1: the second is told,
        # by the unique (declaration, number) constraint, instead of a 500.
        with conflict_raises(DeclarationError(TEXT_RACE)):
            db.session.add(copy)
            db.session.flush()
        summary = f"New version {copy.number} of {declaration.slug} ({language} text changed)"
        target = copy
    else:
        if existing is None:
            version.texts.append(_text(language, new))
        elif not new["title"]:
            version.texts.remove(existing)
        else:
            existing.title, existing.body = new["title"], new["body"] or ""
            existing.consent_label = new["consent_label"]
        # Two officers adding the same language at once meet the (version, language) constraint.
        with conflict_raises(DeclarationError(TEXT_RACE)):
            db.session.flush()
        summary = f"Edited the {language} text of {declaration.slug} (version {version.number})"
        target = version
    note_declaration_change()
    record(
        "update",
        "declaration",
        declaration.id,
        summary,
        before={"version": version.number, "language": language, "text": old},
        after={"version": target.number, "language": language, "text": new},
    )
    return target
