"""Declarations that members and the public sign online, their versioned texts and signatures."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import TimestampMixin, UTCDateTime, utcnow
from crm.extensions import db

# Optional fields a declaration may ask of its signers (name and email are always asked).
OPTIONAL_FIELDS = ("organisation", "country", "job_title", "city", "comment")
SIGNER_KINDS = ("organisation", "individual", "both")
# A confirmed signature is counted and listed only in one of these moderation states.
PUBLISHED_STATES = ("approved", "not_needed")


class Declaration(TimestampMixin, db.Model):
    __tablename__ = "declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    open_on: Mapped[date] = mapped_column(Date)
    close_on: Mapped[date | None] = mapped_column(Date)
    target: Mapped[int | None] = mapped_column(Integer)
    # Who may sign: on behalf of an organisation, as an individual, or both.
    signer_kinds: Mapped[str] = mapped_column(String(12), default="both")
    asked_fields: Mapped[list] = mapped_column(JSON, default=list)
    list_publicly: Mapped[bool] = mapped_column(Boolean, default=True)
    # Individual signatures are published at once unless this is set; organisation signatures
    # always wait for an officer's approval.
    moderate_individuals: Mapped[bool] = mapped_column(Boolean, default=False)
    ask_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    default_language: Mapped[str] = mapped_column(String(5), default="en")

    campaign = relationship("Campaign")
    versions: Mapped[list["DeclarationVersion"]] = relationship(
        back_populates="declaration", order_by="DeclarationVersion.number"
    )


class DeclarationVersion(db.Model):
    """One version of the text, in every language it exists in. Editing the text once the
    declaration has opened creates a new version; each signature keeps the one it signed."""

    __tablename__ = "declaration_version"
    __table_args__ = (
        UniqueConstraint("declaration_id", "number", name="uq_declaration_version_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("declaration.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    declaration: Mapped[Declaration] = relationship(back_populates="versions")
    texts: Mapped[list["DeclarationText"]] = relationship(
        back_populates="version", cascade="all, delete-orphan"
    )


class DeclarationText(db.Model):
    """A version's text in one language."""

    __tablename__ = "declaration_text"
    __table_args__ = (
        UniqueConstraint("version_id", "language", name="uq_declaration_text_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("declaration_version.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200))
    # Markdown written by staff, rendered to sanitised HTML for the public page.
    body: Mapped[str] = mapped_column(Text)
    consent_label: Mapped[str | None] = mapped_column(String(500))

    version: Mapped[DeclarationVersion] = relationship(back_populates="texts")


class Signature(db.Model):
    """One signature. It counts only once confirmed by a click on the emailed link."""

    __tablename__ = "signature"
    __table_args__ = (
        # One signature per email and declaration, whatever the race.
        UniqueConstraint("declaration_id", "email_key", name="uq_signature_declaration_email"),
        Index("ix_signature_count", "declaration_id", "status", "moderation"),
        Index("ix_signature_match", "match_status", "declaration_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("declaration_version.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    signing_as: Mapped[str] = mapped_column(String(12))  # organisation | individual
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    job_title: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(String(1000))
    language: Mapped[str] = mapped_column(String(5), default="en")
    list_publicly: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    # The consent question exactly as shown, kept as evidence of what was agreed to.
    consent_wording: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="unconfirmed")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmations_sent: Mapped[int] = mapped_column(Integer, default=0)
    # pending (waits for an officer) | approved | rejected | not_needed (published at once)
    moderation: Mapped[str] = mapped_column(String(12), default="pending")
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderation_reason: Mapped[str | None] = mapped_column(String(500))
    # Matching to the directory: matched by email, or a suggested organisation for staff.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    match_status: Mapped[str] = mapped_column(String(10), default="none")
    suggested_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )

    declaration: Mapped[Declaration] = relationship()
    version: Mapped[DeclarationVersion] = relationship()
    person = relationship("Person")
    organisation = relationship("Organisation", foreign_keys=[organisation_id])
    suggested_organisation = relationship("Organisation", foreign_keys=[suggested_organisation_id])
