"""Milestones: staff write and unpublish them; the public reads the published ones."""

from itertools import groupby

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.decorators import roles_required
from crm.extensions import db
from crm.formutil import choices
from crm.members.forms import ConfirmForm
from crm.policy import bp, services
from crm.policy.forms import MilestoneForm
from crm.policy.models import Milestone
from crm.policy.viewutil import POLICY_EDITORS, POLICY_READERS, form_error, priority_choices


@bp.get("/milestones")
def public_milestones():
    """Public on purpose: the association's published milestones, newest first, by year."""
    items = db.session.scalars(
        select(Milestone)
        .where(Milestone.published.is_(True))
        .order_by(Milestone.happened_on.desc(), Milestone.id.desc())
    ).all()
    years = [(year, list(group)) for year, group in groupby(items, lambda m: m.happened_on.year)]
    return render_template("policy/milestones_public.html", years=years)


@bp.get("/milestones/manage")
@roles_required(*POLICY_READERS)
def milestones():
    """Every milestone, published or not, for staff."""
    items = db.session.scalars(
        select(Milestone)
        .options(joinedload(Milestone.priority))
        .order_by(Milestone.happened_on.desc(), Milestone.id.desc())
    ).all()
    return render_template("policy/milestones.html", milestones=items, confirm_form=ConfirmForm())


def _form(item: Milestone | None) -> MilestoneForm:
    form = MilestoneForm(obj=item)
    form.priority_id.choices = choices([(0, "— none —"), *priority_choices()])
    return form


@bp.route("/milestones/new", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def new_milestone():
    """Write a milestone."""
    form = _form(None)
    if form.validate_on_submit():
        try:
            services.create_milestone(form.data)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Milestone saved.", "success")
            return redirect(url_for("policy.milestones"))
    return render_template("policy/milestone_form.html", form=form, milestone=None)


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def edit_milestone(milestone_id: int):
    """Edit a milestone."""
    item = db.get_or_404(Milestone, milestone_id)
    form = _form(item)
    if form.validate_on_submit():
        try:
            services.update_milestone(item, form.data)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Milestone saved.", "success")
            return redirect(url_for("policy.milestones"))
    return render_template("policy/milestone_form.html", form=form, milestone=item)


@bp.post("/milestones/<int:milestone_id>/publish")
@roles_required(*POLICY_EDITORS)
def toggle_milestone(milestone_id: int):
    """Unpublish a milestone (it is kept), or publish it again."""
    item = db.get_or_404(Milestone, milestone_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_milestone_published(item, not item.published)
    db.session.commit()
    flash("Milestone published." if item.published else "Milestone unpublished.", "success")
    return redirect(url_for("policy.milestones"))
