"""Sales Awards: levels as data, registrations with their figures, evidence and history."""

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

FORMATS = {"single": "Single", "album": "Album", "download": "Download", "other": "Other"}
STATUSES = {
    "submitted": "Submitted",
    "info_requested": "More information requested",
    "verified": "Verified",
    "rejected": "Rejected",
}


class AwardLevel(db.Model):
    """A level such as Silver (20,000 units), in force between two dates. Admins add levels
    (Triple Silver, a new scheme) without a deploy."""

    __tablename__ = "award_level"
    __table_args__ = (Index("ix_award_level_valid", "valid_from", "valid_to", "threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    threshold: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    scheme: Mapped[str] = mapped_column(String(60))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class AwardRegistration(TimestampMixin, db.Model):
    """A release a member label registered for an award."""

    __tablename__ = "award_registration"
    __table_args__ = (Index("ix_award_registration_status", "status", "registered_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    artist: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))
    release_date: Mapped[date] = mapped_column(Date)
    catalogue_number: Mapped[str | None] = mapped_column(String(60))
    isrc: Mapped[str | None] = mapped_column(String(15))
    upc: Mapped[str | None] = mapped_column(String(14))
    # The date whose levels apply: the day it was registered (or last raised).
    registered_on: Mapped[date] = mapped_column(Date)
    total_units: Mapped[int] = mapped_column(Integer)
    level_id: Mapped[int | None] = mapped_column(ForeignKey("award_level.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    figures_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decision_note: Mapped[str | None] = mapped_column(Text)

    organisation = relationship("Organisation")
    level: Mapped[AwardLevel | None] = relationship()
    units: Mapped[list["AwardUnits"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="AwardUnits.country"
    )
    evidence: Mapped[list["AwardEvidence"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )
    revisions: Mapped[list["AwardRevision"]] = relationship(
        back_populates="registration", order_by="AwardRevision.number"
    )


class AwardUnits(db.Model):
    """Units shipped in one country."""

    __tablename__ = "award_units"
    __table_args__ = (
        UniqueConstraint("registration_id", "country", name="uq_award_units_country"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("award_registration.id", ondelete="CASCADE")
    )
    country: Mapped[str] = mapped_column(String(2))
    units: Mapped[int] = mapped_column(Integer)

    registration: Mapped[AwardRegistration] = relationship(back_populates="units")


class AwardEvidence(db.Model):
    """A distributor or collecting-society statement, stored under the instance folder."""

    __tablename__ = "award_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("award_registration.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[AwardRegistration] = relationship(back_populates="evidence")


class AwardRevision(db.Model):
    """The figures and level as they stood at each registration or raise: the history."""

    __tablename__ = "award_revision"
    __table_args__ = (
        UniqueConstraint("registration_id", "number", name="uq_award_revision_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("award_registration.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    registered_on: Mapped[date] = mapped_column(Date)
    total_units: Mapped[int] = mapped_column(Integer)
    units: Mapped[dict] = mapped_column(JSON)  # {"DE": 12000, "FR": 9000}
    level_id: Mapped[int | None] = mapped_column(ForeignKey("award_level.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16))

    registration: Mapped[AwardRegistration] = relationship(back_populates="revisions")
    level: Mapped[AwardLevel | None] = relationship()
