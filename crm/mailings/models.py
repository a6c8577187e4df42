"""Mailings and the outbox: one delivery row per message and recipient, written in the
transaction that caused it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
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


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Priority:
    """Lower numbers leave first: a password reset never waits behind a newsletter."""

    TRANSACTIONAL = 0
    BULK = 10


class MailingKind(StrEnum):
    PRESS_RELEASE = "press_release"
    NEWSLETTER = "newsletter"
    MEMBER_UPDATE = "member_update"
    CAMPAIGN_UPDATE = "campaign_update"


class MailingStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # deliveries written, first one due at scheduled_at
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    SENT = "sent"  # no delivery is queued or in flight any more


class Mailing(TimestampMixin, db.Model):
    """A press release or a newsletter: what is said, to which audience, and when."""

    __tablename__ = "mailing"
    __table_args__ = (Index("ix_mailing_kind_published", "kind", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=MailingKind.NEWSLETTER)
    # The consent purpose recipients must not have withdrawn (see consent.PURPOSES).
    purpose: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    from_name: Mapped[str] = mapped_column(String(100))
    from_email: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    # Markdown with merge fields such as {{ first_name }}; rendered and sanitised per recipient.
    body: Mapped[str] = mapped_column(Text, default="")
    audience_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=MailingStatus.DRAFT, index=True)
    status_reason: Mapped[str | None] = mapped_column(String(300))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Press releases: the public page shows the release from this moment (the embargo lifts).
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Public /press slug and publication time (press releases only; set when scheduled).
    slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    test_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    attachments: Mapped[list["MailingAttachment"]] = relationship(
        back_populates="mailing", cascade="all, delete-orphan", order_by="MailingAttachment.id"
    )

    def __repr__(self) -> str:
        return f"<Mailing {self.id} {self.kind} {self.status} {self.subject!r}>"


class MailingAttachment(db.Model):
    """A PDF that goes with a press release: linked from the mail and the public page."""

    __tablename__ = "mailing_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(
        ForeignKey("mailing.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mailing: Mapped[Mailing] = relationship(back_populates="attachments")


class Delivery(db.Model):
    """One message to one recipient. Transactional mail carries its rendered text; a mailing's
    delivery carries only the recipient's merge values and is rendered when it is sent."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_due", "status", "priority", "next_attempt_at", "id"),
        # A recipient gets each mailing once, however the audience lists them.
        UniqueConstraint("mailing_id", "recipient_key", name="uq_delivery_mailing_recipient"),
        Index("ix_delivery_mailing_status", "mailing_id", "status"),
        Index("ix_delivery_recipient_key", "recipient_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(default=Priority.TRANSACTIONAL)
    to_email: Mapped[str] = mapped_column(String(254))
    # Lower-cased address: what suppression, bounces and the once-per-mailing rule compare.
    recipient_key: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)
    mailing_id: Mapped[int | None] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    # A mailing's recipient values: first_name, last_name, organisation, country, language.
    merge: Mapped[dict | None] = mapped_column(JSON)
    # Deterministic per message and recipient, so a resend after a crash is recognisable.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Set from a delivery status notification after the server accepted the message.
    bounce: Mapped[str | None] = mapped_column(String(10))  # hard | soft | complaint
