"""Dossiers: the list (next deadline first), a dossier's page with its key dates, create/edit."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from crm.auth.decorators import roles_required
from crm.extensions import db
from crm.formutil import choices
from crm.members.forms import ConfirmForm
from crm.policy import bp, services, vocab
from crm.policy.forms import DossierDateForm, DossierForm
from crm.policy.models import Dossier, DossierDate, Priority
from crm.policy.timeline import for_dossier, timeline_page
from crm.policy.viewutil import (
    POLICY_EDITORS,
    POLICY_READERS,
    form_error,
    id_arg,
    log_action_url,
    priority_choices,
)
from crm.web import page_arg


def dossier_list(stage: str | None = None, priority_id: int | None = None):
    """(dossier, next open date) pairs: dossiers with the nearest open date first (overdue ones
    before upcoming ones), then those with no open date, by title."""
    next_due = (
        select(func.min(DossierDate.due_on))
        .where(DossierDate.dossier_id == Dossier.id, DossierDate.done.is_(False))
        .correlate(Dossier)
        .scalar_subquery()
    )
    stmt = (
        select(Dossier, next_due.label("next_due"))
        .options(joinedload(Dossier.priority))
        .order_by(case((next_due.is_(None), 1), else_=0), next_due, Dossier.title, Dossier.id)
    )
    if stage:
        stmt = stmt.where(Dossier.stage == stage)
    if priority_id:
        stmt = stmt.where(Dossier.priority_id == priority_id)
    return db.session.execute(stmt).all()


@bp.get("/dossiers")
@roles_required(*POLICY_READERS)
def dossiers():
    """Dossiers filtered by stage and priority, the nearest deadline first."""
    stage = request.args.get("stage") or None
    if stage not in vocab.DOSSIER_STAGES:
        stage = None
    priority_id = id_arg("priority")
    return render_template(
        "policy/dossiers.html",
        rows=dossier_list(stage, priority_id),
        stage=stage,
        priority_id=priority_id,
        stages=vocab.DOSSIER_STAGES,
        priorities=priority_choices(),
        today=date.today(),
    )


def _render_dossier(item: Dossier, date_form: DossierDateForm, status: int = 200):
    return (
        render_template(
            "policy/dossier.html",
            dossier=item,
            vocab=vocab,
            date_form=date_form,
            confirm_form=ConfirmForm(),
            today=date.today(),
            timeline=timeline_page(for_dossier(item.id), current_user, page=page_arg("tpage")),
            timeline_url=url_for("policy.dossier", dossier_id=item.id),
            log_url=log_action_url(dossier_id=item.id, priority_id=item.priority_id),
        ),
        status,
    )


@bp.get("/dossiers/<int:dossier_id>")
@roles_required(*POLICY_READERS)
def dossier(dossier_id: int):
    """A dossier with its key dates and timeline."""
    return _render_dossier(db.get_or_404(Dossier, dossier_id), DossierDateForm(formdata=None))


def _dossier_form(item: Dossier | None) -> DossierForm:
    form = DossierForm(obj=item)
    form.priority_id.choices = choices(priority_choices())
    if request.method == "GET" and item is None:
        form.priority_id.data = id_arg("priority_id")
    return form


@bp.route("/dossiers/new", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def new_dossier():
    """Create a dossier under a priority."""
    if db.session.scalar(select(Priority.id).limit(1)) is None:
        flash("Create a priority first: every dossier belongs to one.", "info")
        return redirect(url_for("policy.new_priority"))
    form = _dossier_form(None)
    if form.validate_on_submit():
        try:
            item = services.create_dossier(form.data)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash(f"Dossier {item.title} created.", "success")
            return redirect(url_for("policy.dossier", dossier_id=item.id))
    return render_template("policy/dossier_form.html", form=form, dossier=None)


@bp.route("/dossiers/<int:dossier_id>/edit", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def edit_dossier(dossier_id: int):
    """Edit a dossier: its stage, asks and outcome as the file moves on."""
    item = db.get_or_404(Dossier, dossier_id)
    form = _dossier_form(item)
    if form.validate_on_submit():
        try:
            services.update_dossier(item, form.data)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Dossier saved.", "success")
            return redirect(url_for("policy.dossier", dossier_id=item.id))
    return render_template("policy/dossier_form.html", form=form, dossier=item)


@bp.post("/dossiers/<int:dossier_id>/dates")
@roles_required(*POLICY_EDITORS)
def add_dossier_date(dossier_id: int):
    """Add a key date; a refused form comes back on the dossier page with its errors."""
    item = db.get_or_404(Dossier, dossier_id)
    form = DossierDateForm()
    if form.validate_on_submit():
        try:
            services.add_dossier_date(item, form.data)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Date added.", "success")
            return redirect(url_for("policy.dossier", dossier_id=item.id))
    return _render_dossier(item, form)


def _date_or_400(date_id: int) -> DossierDate:
    item = db.get_or_404(DossierDate, date_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return item


@bp.post("/dossier-dates/<int:date_id>/done")
@roles_required(*POLICY_EDITORS)
def toggle_dossier_date(date_id: int):
    """Mark a key date done, or open again."""
    item = _date_or_400(date_id)
    services.set_dossier_date_done(item, not item.done)
    db.session.commit()
    return redirect(url_for("policy.dossier", dossier_id=item.dossier_id))


@bp.post("/dossier-dates/<int:date_id>/delete")
@roles_required(*POLICY_EDITORS)
def delete_dossier_date(date_id: int):
    """Remove a key date."""
    item = _date_or_400(date_id)
    dossier_id = item.dossier_id
    services.delete_dossier_date(item)
    db.session.commit()
    flash("Date removed.", "success")
    return redirect(url_for("policy.dossier", dossier_id=dossier_id))
