"""Who hears from us: audiences, consent per purpose, suppressed addresses, topic interests."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import TimestampMixin, UTCDateTime, utcnow
from crm.extensions import db


class Audience(TimestampMixin, db.Model):
    """A saved segment (filters resolved at send time) or a static list of people."""

    __tablename__ = "audience"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10), default="segment")  # segment | static
    # {"include": {criteria}, "exclude": {criteria}}; see audiences.CRITERIA.
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # A national association's saved follow-up of its own members stays within them.
    scope_association_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )

    entries: Mapped[list["AudienceEntry"]] = relationship(
        back_populates="audience", cascade="all, delete-orphan", passive_deletes=True
    )


class AudienceEntry(db.Model):
    """One person on a static list (the press list by country and beat, for example)."""

    __tablename__ = "audience_entry"
    __table_args__ = (UniqueConstraint("audience_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience_id: Mapped[int] = mapped_column(ForeignKey("audience.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audience: Mapped[Audience] = relationship(back_populates="entries")


class Consent(TimestampMixin, db.Model):
    """A person's current answer for one purpose, with the basis and where it came from.

    Every change is also written to the audit log, which keeps the history.
    """

    __tablename__ = "consent"
    __table_args__ = (
        UniqueConstraint("person_id", "purpose"),
        Index("ix_consent_purpose_granted", "purpose", "granted", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(30))
    granted: Mapped[bool] = mapped_column(Boolean)
    # consent | legitimate_interest | contract
    basis: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the answer was given: "declaration:fair-digital-deals", "import", "preferences", ...
    source: Mapped[str | None] = mapped_column(String(120))
    wording_version: Mapped[str | None] = mapped_column(String(40))
    wording: Mapped[str | None] = mapped_column(String(500))


class Suppression(db.Model):
    """An address that is never mailed in bulk again: unsubscribed, hard-bounced, complained,
    or erased (then only the hash is kept)."""

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the lower-cased address: survives erasure of the address itself.
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    # unsubscribed | hard_bounce | complaint | erased
    reason: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(120))
    mailing_id: Mapped[int | None] = mapped_column(ForeignKey("mailing.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonInterest(db.Model):
    """A policy priority a person wants to hear about (used by audiences)."""

    __tablename__ = "person_interest"
    __table_args__ = (UniqueConstraint("person_id", "priority_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    priority_id: Mapped[int] = mapped_column(
        ForeignKey("priority.id", ondelete="CASCADE"), index=True
    )


class BounceEvent(db.Model):
    """A delivery status notification or complaint, as parsed from the bounce mailbox."""

    __tablename__ = "bounce_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_key: Mapped[str | None] = mapped_column(String(254), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # hard | soft | complaint
    status_code: Mapped[str | None] = mapped_column(String(20))
    diagnostic: Mapped[str | None] = mapped_column(String(500))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery.id", ondelete="SET NULL"), index=True
    )
    mailing_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailing.id", ondelete="SET NULL"), index=True
    )
    # The notification's own Message-ID: the same report read twice is recorded once.
    report_id: Mapped[str | None] = mapped_column(String(300))
    __table_args__ = (UniqueConstraint("report_id", "email_key"),)
