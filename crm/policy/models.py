"""Priorities, EU dossiers, stakeholders, campaigns, the action log, milestones, joint letters."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.db import TimestampMixin, UTCDateTime
from crm.extensions import db


class Priority(TimestampMixin, db.Model):
    """One of the association's policy priorities (value gap, VAT on music, ...)."""

    __tablename__ = "priority"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    position: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    owner = relationship("User")
    dossiers: Mapped[list["Dossier"]] = relationship(
        back_populates="priority", order_by="Dossier.title"
    )
    campaigns: Mapped[list["Campaign"]] = relationship(
        back_populates="priority", order_by="Campaign.starts_on.desc()"
    )
    documents: Mapped[list["PriorityDocument"]] = relationship(
        back_populates="priority", order_by="PriorityDocument.created_at.desc()"
    )


class PriorityDocument(db.Model):
    """A linked web page or an uploaded file (kept under instance/uploads, never in static/)."""

    __tablename__ = "priority_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority_id: Mapped[int] = mapped_column(
        ForeignKey("priority.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    stored_name: Mapped[str | None] = mapped_column(String(100), unique=True)
    original_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    priority: Mapped[Priority] = relationship(back_populates="documents")


class Dossier(TimestampMixin, db.Model):
    """An EU file followed under a priority, through the stages of the procedure."""

    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority_id: Mapped[int] = mapped_column(
        ForeignKey("priority.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(250))
    # The institutions' reference, e.g. "2016/0280(COD)" or "COM(2016) 593".
    reference: Mapped[str | None] = mapped_column(String(80))
    stage: Mapped[str] = mapped_column(String(20), default="consultation")
    summary: Mapped[str | None] = mapped_column(Text)
    asks: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)

    priority: Mapped[Priority] = relationship(back_populates="dossiers")
    dates: Mapped[list["DossierDate"]] = relationship(
        back_populates="dossier", order_by="DossierDate.due_on", cascade="all, delete-orphan"
    )


class DossierDate(db.Model):
    """A key date or deadline of a dossier (a committee vote, a consultation closing)."""

    __tablename__ = "dossier_date"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="deadline")
    due_on: Mapped[date] = mapped_column(Date, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    dossier: Mapped[Dossier] = relationship(back_populates="dates")


class StakeholderProfile(TimestampMixin, db.Model):
    """What makes a person a policymaker or journalist: the person record stays in members."""

    __tablename__ = "stakeholder_profile"
    __table_args__ = (Index("ix_stakeholder_profile_kind_country", "kind", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    institution: Mapped[str | None] = mapped_column(String(200))
    # Space-separated committee codes (CULT JURI ...), searched with LIKE on a short column.
    committees: Mapped[str | None] = mapped_column(String(200))
    political_group: Mapped[str | None] = mapped_column(String(30))
    country: Mapped[str | None] = mapped_column(String(2))
    directorate: Mapped[str | None] = mapped_column(String(120))  # a DG, a unit, a cabinet
    role: Mapped[str | None] = mapped_column(String(200))
    beat: Mapped[str | None] = mapped_column(String(200))  # what a journalist covers
    notes: Mapped[str | None] = mapped_column(Text)

    person = relationship("Person")


class Campaign(TimestampMixin, db.Model):
    """A campaign under a priority: a declaration, lobbying, awareness or a joint letter."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority_id: Mapped[int] = mapped_column(
        ForeignKey("priority.id", ondelete="RESTRICT"), index=True
    )
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="planned")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # For joint letters: co-signers must answer by this date.
    deadline: Mapped[date | None] = mapped_column(Date)
    goals: Mapped[str | None] = mapped_column(Text)
    results: Mapped[str | None] = mapped_column(Text)
    letter_text: Mapped[str | None] = mapped_column(Text)

    priority: Mapped[Priority] = relationship(back_populates="campaigns")
    owner = relationship("User")
    signatories: Mapped[list["JointLetterSignatory"]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )


class JointLetterSignatory(TimestampMixin, db.Model):
    """An organisation invited to co-sign a joint letter, and its answer."""

    __tablename__ = "joint_letter_signatory"
    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "organisation_id", name="uq_joint_letter_signatory_campaign_org"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="invited")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))

    campaign: Mapped[Campaign] = relationship(back_populates="signatories")
    organisation = relationship("Organisation")


class Action(TimestampMixin, db.Model):
    """One logged piece of policy work: a meeting, a letter, a consultation response, ..."""

    __tablename__ = "action"
    __table_args__ = (
        Index("ix_action_occurred", "occurred_on", "id"),
        Index("ix_action_followup", "followup_assignee_id", "followup_done_at", "followup_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(250))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    priority_id: Mapped[int | None] = mapped_column(
        ForeignKey("priority.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    dossier_id: Mapped[int | None] = mapped_column(
        ForeignKey("dossier.id", ondelete="SET NULL"), index=True
    )
    logged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Member and association users see an action only when it is shared and they took part.
    shared_with_members: Mapped[bool] = mapped_column(Boolean, default=False)
    followup_note: Mapped[str | None] = mapped_column(String(500))
    followup_due_on: Mapped[date | None] = mapped_column(Date)
    followup_assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    followup_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    priority = relationship("Priority")
    campaign = relationship("Campaign")
    dossier = relationship("Dossier")
    logged_by = relationship("User", foreign_keys=[logged_by_id])
    followup_assignee = relationship("User", foreign_keys=[followup_assignee_id])
    participants: Mapped[list["ActionParticipant"]] = relationship(
        back_populates="action", cascade="all, delete-orphan"
    )


class ActionParticipant(db.Model):
    """Who took part: a person (stakeholder or member contact), an organisation, or staff."""

    __tablename__ = "action_participant"
    __table_args__ = (
        Index("ix_action_participant_person", "person_id", "action_id"),
        Index("ix_action_participant_organisation", "organisation_id", "action_id"),
        Index("ix_action_participant_user", "user_id", "action_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))

    action: Mapped[Action] = relationship(back_populates="participants")
    person = relationship("Person")
    organisation = relationship("Organisation")
    user = relationship("User")


class Milestone(TimestampMixin, db.Model):
    """An achievement of the association, on the public timeline at /milestones."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    happened_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(250))
    body: Mapped[str | None] = mapped_column(Text)
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("priority.id", ondelete="SET NULL"))
    published: Mapped[bool] = mapped_column(Boolean, default=True)

    priority = relationship("Priority")
