"""Upload, preview and confirm a CSV import of organisations and people."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy.exc import IntegrityError

from crm.auth.decorators import roles_required
from crm.auth.roles import Role
from crm.extensions import db
from crm.members import bp, importing
from crm.members.forms import ConfirmForm, ImportForm
from crm.web import accepts_files


@bp.route("/import", methods=["GET", "POST"])
@accepts_files("file")
@roles_required(Role.ADMIN)
def import_upload():
    """Take a CSV file, keep it, and show what importing it would do."""
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        token = importing.store_upload(current_app.instance_path, data)
        result = importing.check(data)
        db.session.rollback()
        return render_template(
            "members/import_preview.html",
            result=result,
            token=token,
            filename=form.file.data.filename,
            confirm_form=ConfirmForm() if result.has_changes else None,
        )
    return render_template("members/import_upload.html", form=form, columns=importing.COLUMNS)


@bp.post("/import/<token>/confirm")
@roles_required(Role.ADMIN)
def import_confirm(token: str):
    """Check the kept file again and import it in one transaction."""
    path = importing.stored_upload(current_app.instance_path, token)
    if path is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = importing.run_import(path.read_bytes())
    except IntegrityError:
        db.session.rollback()
        flash(
            "The directory changed while importing, so nothing was saved. Upload the file "
            "again to check it against the current records.",
            "danger",
        )
        return redirect(url_for("members.import_upload"))
    if not result.applied:
        db.session.rollback()
        return render_template(
            "members/import_preview.html",
            result=result,
            token=token,
            filename=None,
            confirm_form=None,
        ), 422
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(result.summary().capitalize() + ".", "success")
    return redirect(url_for("members.directory"))
