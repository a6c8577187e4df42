"""Campaigns: the list, a campaign's page (actions, declarations, mailings, results), edits."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from crm.auth.decorators import roles_required
from crm.extensions import db
from crm.formutil import choices
from crm.policy import bp, vocab
from crm.policy import services_campaigns as services
from crm.policy.forms import CampaignForm
from crm.policy.models import Campaign, JointLetterSignatory, Priority
from crm.policy.services import PolicyError
from crm.policy.timeline import for_campaign, timeline_page
from crm.policy.viewutil import (
    POLICY_EDITORS,
    POLICY_READERS,
    form_error,
    id_arg,
    log_action_url,
    owner_choices,
    priority_choices,
)
from crm.web import page_arg


@bp.get("/campaigns")
@roles_required(*POLICY_READERS)
def campaigns():
    """Campaigns, filterable by kind and status, the most recent first."""
    kind = request.args.get("kind") if request.args.get("kind") in vocab.CAMPAIGN_KINDS else None
    status = (
        request.args.get("status")
        if request.args.get("status") in vocab.CAMPAIGN_STATUSES
        else None
    )
    stmt = select(Campaign).options(joinedload(Campaign.priority), joinedload(Campaign.owner))
    if kind:
        stmt = stmt.where(Campaign.kind == kind)
    if status:
        stmt = stmt.where(Campaign.status == status)
    stmt = stmt.order_by(Campaign.starts_on.desc().nulls_last(), Campaign.title)
    return render_template(
        "policy/campaigns.html",
        campaigns=db.session.scalars(stmt).all(),
        kind=kind,
        status=status,
        vocab=vocab,
    )


def signatory_counts(campaign_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(JointLetterSignatory.status, func.count())
        .where(JointLetterSignatory.campaign_id == campaign_id)
        .group_by(JointLetterSignatory.status)
    )
    counts = {status: 0 for status in vocab.JOINT_LETTER_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


@bp.get("/campaigns/<int:campaign_id>")
@roles_required(*POLICY_READERS)
def campaign(campaign_id: int):
    """A campaign with its actions, declarations, mailings, co-signers and results."""
    item = db.get_or_404(Campaign, campaign_id)
    signatories = []
    if item.kind == "joint_letter":
        signatories = db.session.scalars(
            select(JointLetterSignatory)
            .where(JointLetterSignatory.campaign_id == item.id)
            .options(joinedload(JointLetterSignatory.organisation))
            .order_by(JointLetterSignatory.status, JointLetterSignatory.id)
        ).all()
    return render_template(
        "policy/campaign.html",
        campaign=item,
        vocab=vocab,
        signatories=signatories,
        counts=signatory_counts(item.id),
        deadline_passed=services.deadline_passed(item),
        timeline=timeline_page(for_campaign(item.id), current_user, page=page_arg("tpage")),
        timeline_url=url_for("policy.campaign", campaign_id=item.id),
        log_url=log_action_url(campaign_id=item.id, priority_id=item.priority_id),
    )


def _form(item: Campaign | None) -> CampaignForm:
    form = CampaignForm(obj=item)
    form.priority_id.choices = choices(priority_choices())
    form.owner_id.choices = choices(owner_choices())
    if request.method == "GET":
        if item is None:
            form.priority_id.data = id_arg("priority_id")
            form.kind.data = request.args.get("kind") or "lobbying"
            form.owner_id.data = current_user.id
        else:
            form.owner_id.data = item.owner_id or 0
    return form


@bp.route("/campaigns/new", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def new_campaign():
    """Create a campaign under a priority."""
    if db.session.scalar(select(Priority.id).limit(1)) is None:
        flash("Create a priority first: every campaign belongs to one.", "info")
        return redirect(url_for("policy.new_priority"))
    form = _form(None)
    if form.validate_on_submit():
        try:
            item = services.create_campaign(form.data)
        except PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash(f"Campaign {item.title} created.", "success")
            return redirect(url_for("policy.campaign", campaign_id=item.id))
    return render_template("policy/campaign_form.html", form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def edit_campaign(campaign_id: int):
    """Edit a campaign: status, dates, goals, results, the letter."""
    item = db.get_or_404(Campaign, campaign_id)
    form = _form(item)
    if form.validate_on_submit():
        try:
            services.update_campaign(item, form.data)
        except PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Campaign saved.", "success")
            return redirect(url_for("policy.campaign", campaign_id=item.id))
    return render_template("policy/campaign_form.html", form=form, campaign=item)
