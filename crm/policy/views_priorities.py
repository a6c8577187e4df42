"""Priorities: the list, a priority's page, create/edit, and its linked or uploaded documents."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth.decorators import roles_required
from crm.extensions import db
from crm.formutil import choices
from crm.members.forms import ConfirmForm
from crm.policy import bp, services, uploads, vocab
from crm.policy.forms import DocumentForm, PriorityForm
from crm.policy.models import Priority, PriorityDocument
from crm.policy.timeline import for_priority, timeline_page
from crm.policy.viewutil import (
    POLICY_EDITORS,
    POLICY_READERS,
    form_error,
    log_action_url,
    owner_choices,
)
from crm.web import accepts_files, page_arg


@bp.get("/priorities")
@roles_required(*POLICY_READERS)
def priorities():
    """The priorities in their set order."""
    items = db.session.scalars(
        select(Priority)
        .options(selectinload(Priority.owner), selectinload(Priority.dossiers))
        .order_by(Priority.position, Priority.title)
    ).all()
    return render_template(
        "policy/priorities.html", priorities=items, statuses=vocab.PRIORITY_STATUSES
    )


@bp.get("/priorities/<int:priority_id>")
@roles_required(*POLICY_READERS)
def priority(priority_id: int):
    """A priority with its documents, dossiers, campaigns and timeline."""
    item = db.get_or_404(Priority, priority_id)
    return render_template(
        "policy/priority.html",
        priority=item,
        vocab=vocab,
        timeline=timeline_page(for_priority(item.id), current_user, page=page_arg("tpage")),
        timeline_url=url_for("policy.priority", priority_id=item.id),
        log_url=log_action_url(priority_id=item.id),
        delete_form=ConfirmForm(),
    )


def _priority_form(item: Priority | None) -> PriorityForm:
    form = PriorityForm(obj=item)
    form.owner_id.choices = choices(owner_choices())
    if request.method == "GET" and item is not None:
        form.owner_id.data = item.owner_id or 0
    return form


@bp.route("/priorities/new", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def new_priority():
    """Create a priority."""
    form = _priority_form(None)
    if form.validate_on_submit():
        try:
            item = services.create_priority(form.data)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash(f"Priority {item.title} created.", "success")
            return redirect(url_for("policy.priority", priority_id=item.id))
    return render_template("policy/priority_form.html", form=form, priority=None)


@bp.route("/priorities/<int:priority_id>/edit", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def edit_priority(priority_id: int):
    """Edit a priority."""
    item = db.get_or_404(Priority, priority_id)
    form = _priority_form(item)
    if form.validate_on_submit():
        try:
            services.update_priority(item, form.data)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Priority saved.", "success")
            return redirect(url_for("policy.priority", priority_id=item.id))
    return render_template("policy/priority_form.html", form=form, priority=item)


@bp.route("/priorities/<int:priority_id>/documents/new", methods=["GET", "POST"])
@accepts_files("file")
@roles_required(*POLICY_EDITORS)
def new_document(priority_id: int):
    """Link a web page to a priority or upload a file for it."""
    item = db.get_or_404(Priority, priority_id)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            if form.url.data:
                services.add_link(item, form.title.data, form.url.data, current_user.id)
            else:
                services.add_upload(item, form.title.data, form.file.data, current_user.id)
        except services.PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Document added.", "success")
            return redirect(url_for("policy.priority", priority_id=item.id))
    return render_template(
        "policy/document_form.html",
        form=form,
        priority=item,
        allowed=uploads.ALLOWED_LABEL,
        max_mb=uploads.max_bytes() / 1024 / 1024,
    )


@bp.get("/documents/<int:document_id>")
@roles_required(*POLICY_READERS)
def download_document(document_id: int):
    """An uploaded file, as an attachment with the type checked at upload."""
    document = db.get_or_404(PriorityDocument, document_id)
    if not document.stored_name:
        abort(404)
    path = uploads.path_of(document.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.original_name or document.stored_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/documents/<int:document_id>/delete")
@roles_required(*POLICY_EDITORS)
def delete_document(document_id: int):
    """Delete a document, and its stored file once the deletion is committed."""
    document = db.get_or_404(PriorityDocument, document_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    priority_id = document.priority_id
    stored_name = services.delete_document(document)
    db.session.commit()
    uploads.remove(stored_name)
    flash("Document deleted.", "success")
    return redirect(url_for("policy.priority", priority_id=priority_id))
