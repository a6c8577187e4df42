"""Reading a declaration for its public pages. A page renders ORM objects; a signing POST, the
busiest public request, needs only a few columns, read with one prebuilt Core query into plain
tuples that sign() takes in place of the models (same attribute names)."""

from datetime import date
from functools import cache
from typing import NamedTuple

from flask import abort
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased, contains_eager

from crm.declarations.models import Declaration, DeclarationText, DeclarationVersion
from crm.extensions import db

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
def _signing_statement(dialect: str):
    # On PostgreSQL the same round trip reserves the id of the signature about to be written, so
    # that its confirmation mail (whose link names it) goes in the signature's own INSERT.
    reserve = (
        [select(func.nextval("signature_id_seq")).scalar_subquery().label("reserved_id")]
        if dialect == "postgresql"
        else []
    )
    return (
        select(
            *(getattr(Declaration, name) for name in DeclarationRow._fields),
            DeclarationVersion.id.label("version_id"),
            DeclarationText.language,
            DeclarationText.title,
            DeclarationText.consent_label,
            *reserve,
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


def signing_target(slug: str) -> tuple[DeclarationRow, VersionRow, int | None]:
    """What a signing POST needs of the declaration and its current version (no text bodies),
    in one Core query without ORM objects, and on PostgreSQL an id reserved for the signature
    (None elsewhere); 404 without a version that has a text."""
    if len(slug) > MAX_SLUG:
        abort(404)
    connection = db.session.connection()
    statement = _signing_statement(connection.dialect.name)
    rows = connection.execute(statement, {"slug": slug}).all()
    if not rows:
        abort(404)
    first = rows[0]
    width = len(DeclarationRow._fields)
    declaration = DeclarationRow(*first[:width])
    texts = tuple(TextRow(*row[width + 1 : width + 4]) for row in rows)
    reserved = first[width + 4] if len(first) > width + 4 else None
    return declaration, VersionRow(first[width], declaration.id, texts), reserved
