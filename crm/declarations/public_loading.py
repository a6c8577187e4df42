"""Reading a declaration for its public pages. A page renders ORM objects; a signing POST, the
busiest public request, needs only a few columns, read with one prebuilt Core query into plain
tuples that sign() takes in place of the models (same attribute names), and kept by the process
for SIGNING_TARGET_CACHE_SECONDS (a second or two) so that most signing requests read nothing.

What a kept copy may get wrong for those seconds is mostly what a visitor's open page gets
wrong: the form stamp names the version of the text shown, and a stamp for a newer version than
the copy's, or a copy saying "closed", makes the request read afresh; a change committed through
the declaration services drops this process's copies at once. Other processes keep theirs up to
their lifetime: for that moment they still take signatures at a slug just changed (allowed only
before the first signature) and record a consent label edited in place on a version not yet
signed as it was before the edit."""

import threading
import time
from datetime import date
from functools import cache
from typing import NamedTuple

from flask import abort, current_app, has_app_context
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session, aliased, contains_eager

from crm.db import autocommit_engine
from crm.declarations.models import Declaration, DeclarationText, DeclarationVersion
from crm.extensions import app_state, db

MAX_SLUG = 80


class TextRow(NamedTuple):
    language: str
    title: str
    consent_label: str | None


class VersionRow(NamedTuple):
    id: int
    declaration_id: int
    texts: tuple[TextRow, ...]


class DeclarationRow(NamedTuple):
    id: int
    slug: str
    open_on: date
    close_on: date | None
    signer_kinds: str
    asked_fields: list
    list_publicly: bool
    ask_consent: bool
    default_language: str


def _newest_number():
    other = aliased(DeclarationVersion)
    return (
        select(func.max(other.number))
        .where(other.declaration_id == Declaration.id)
        .correlate(Declaration)
        .scalar_subquery()
    )


# Both statements are built once: building one costs more than running it.
@cache
def _page_statement():
    return (
        select(DeclarationVersion)
        .join(DeclarationVersion.declaration)
        .outerjoin(DeclarationVersion.texts)
        .where(Declaration.slug == bindparam("slug"), DeclarationVersion.number == _newest_number())
        .options(
            contains_eager(DeclarationVersion.declaration),
            contains_eager(DeclarationVersion.texts),
        )
    )


@cache
def _signing_statement():
    return (
        select(
            *(getattr(Declaration, name) for name in DeclarationRow._fields),
            DeclarationVersion.id.label("version_id"),
            DeclarationText.language,
            DeclarationText.title,
            DeclarationText.consent_label,
        )
        .join(DeclarationVersion, DeclarationVersion.declaration_id == Declaration.id)
        .join(DeclarationText, DeclarationText.version_id == DeclarationVersion.id)
        .where(Declaration.slug == bindparam("slug"), DeclarationVersion.number == _newest_number())
    )


def page_objects(slug: str) -> tuple[Declaration, DeclarationVersion]:
    """The declaration and its current version with every text, in one query; 404 without."""
    if len(slug) > MAX_SLUG:
        abort(404)
    version = db.session.scalars(_page_statement(), {"slug": slug}).unique().one_or_none()
    if version is None or not version.texts:
        abort(404)
    return version.declaration, version


def signing_target(slug: str, fresh: bool = False) -> tuple[DeclarationRow, VersionRow]:
    """What a signing POST needs of the declaration and its current version (no text bodies):
    this process's copy if younger than SIGNING_TARGET_CACHE_SECONDS (unless `fresh`), else read
    afresh with one Core query. 404 without a version that has a text."""
    if len(slug) > MAX_SLUG:
        abort(404)
    copies = _copies()
    now = time.monotonic()
    kept = None if fresh else copies.kept.get(slug)
    if kept and kept[0] > now:
        return kept[1], kept[2]
    generation = copies.generation
    # Outside the session: the write takes a connection next (see crm.db.autocommit_engine).
    with autocommit_engine().connect() as connection:
        rows = connection.execute(_signing_statement(), {"slug": slug}).all()
    if not rows:
        copies.kept.pop(slug, None)
        abort(404)
    first = rows[0]
    width = len(DeclarationRow._fields)
    declaration = DeclarationRow(*first[:width])
    texts = tuple(TextRow(*row[width + 1 : width + 4]) for row in rows)
    version = VersionRow(first[width], declaration.id, texts)
    ttl = current_app.config["SIGNING_TARGET_CACHE_SECONDS"]
    if ttl > 0:
        with copies.lock:
            # A change committed while this read ran may be missing from it: keep it only if
            # no change was committed since the read began.
            if copies.generation == generation:
                if len(copies.kept) >= _MOST_KEPT:
                    copies.kept.clear()  # slugs are few; unknown ones are never kept (404)
                copies.kept[slug] = (now + ttl, declaration, version)
    return declaration, version


def note_declaration_change() -> None:
    """Called by the declaration services on every change (texts, dates, fields, slug): once the
    session commits it, this process drops its copies."""
    db.session.info["declarations_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session) -> None:
    if session.info.pop("declarations_changed", False) and has_app_context():
        forget_signing_targets()


def forget_signing_targets() -> None:
    """Drop this process's copies (other processes keep theirs at most their lifetime)."""
    copies = _copies()
    with copies.lock:
        copies.generation += 1
        copies.kept.clear()


class _Copies:
    def __init__(self):
        self.lock = threading.Lock()
        self.generation = 0
        self.kept: dict[str, tuple[float, DeclarationRow, VersionRow]] = {}


_MOST_KEPT = 256


def _copies() -> _Copies:
    return app_state("crm.signing_targets", _Copies)
