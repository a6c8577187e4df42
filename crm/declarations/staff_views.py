"""Staff pages of a declaration: signatures overview, moderation, matching and the CSV export."""

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, Length

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.csvutil import csv_stream
from crm.declarations import bp, matching, moderation
from crm.declarations.exports import (
    HEADER,
    STATUS_FILTERS,
    ExportFilter,
    ExportFilterForm,
    export_rows,
)
from crm.declarations.models import Declaration, Signature
from crm.declarations.signatories import title_for
from crm.extensions import db
from crm.web import MAX_INT

# Moderation and matching decide what is published and counted: officers and the secretariat.
DECIDERS = (Role.ADMIN, Role.OFFICER)


class ModerationForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf(["approve", "reject"])])
    reason = StringField("Reason", validators=[Length(max=500)])


class MatchForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf(["confirm", "reject"])])


@bp.get("/staff/declarations/<int:declaration_id>/signatures")
@roles_required(*STAFF)
def staff_signatures(declaration_id: int):
    """A declaration's signatures for staff: counts, export filters, decisions taken."""
    declaration = db.get_or_404(Declaration, declaration_id)
    counts = moderation.counts(declaration.id)
    suggested = db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(
            Signature.declaration_id == declaration.id,
            Signature.status == "confirmed",
            Signature.match_status == "suggested",
        )
    )
    return render_template(
        "declarations/staff_signatures.html",
        declaration=declaration,
        title=title_for(declaration),
        counts=counts,
        confirmed=sum(n for (status, _), n in counts.items() if status == "confirmed"),
        unconfirmed=sum(n for (status, _), n in counts.items() if status != "confirmed"),
        pending=counts.get(("confirmed", "pending"), 0),
        suggested=suggested,
        states=moderation.MODERATION_STATES,
        form=ExportFilterForm(),
        status_filters=STATUS_FILTERS,
        events=moderation.decisions(declaration.id),
    )


@bp.get("/staff/declarations/<int:declaration_id>/signatures.csv")
@roles_required(*STAFF)
def export_signatures(declaration_id: int):
    """Signatures as CSV: confirmed only unless the filter asks for all."""
    declaration = db.get_or_404(Declaration, declaration_id)
    form = ExportFilterForm(request.args)
    if not form.validate():
        problems = "; ".join(
            f"{form[name].label.text}: {errs[0]}" for name, errs in form.errors.items()
        )
        abort(400, f"The export filters are not valid ({problems}).")
    filters = ExportFilter.from_form(form)
    filename = f"signatures-{declaration.slug}-{filters.filename_part}.csv"
    return Response(
        stream_with_context(csv_stream(HEADER, export_rows(declaration.id, filters))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/staff/declarations/<int:declaration_id>/moderation")
@roles_required(*DECIDERS)
def moderation_queue(declaration_id: int):
    """Confirmed signatures waiting for an officer's approval."""
    declaration = db.get_or_404(Declaration, declaration_id)
    return render_template(
        "declarations/staff_moderation.html",
        declaration=declaration,
        title=title_for(declaration),
        signatures=moderation.queue(declaration.id),
    )


@bp.post("/staff/signatures/<int:signature_id>/moderate")
@roles_required(*DECIDERS)
def moderate_signature(signature_id: int):
    """Approve or reject one signature (a reason is required to reject)."""
    signature = db.get_or_404(Signature, signature_id)
    form = ModerationForm()
    back = redirect(url_for(".moderation_queue", declaration_id=signature.declaration_id))
    if not form.validate_on_submit():
        flash("Choose approve or reject (a reason has at most 500 characters).", "danger")
        return back
    try:
        if form.decision.data == "approve":
            moderation.approve(signature, current_user.id, form.reason.data)
        else:
            moderation.reject(signature, current_user.id, form.reason.data)
    except moderation.ModerationError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return back
    db.session.commit()
    verb = "approved" if form.decision.data == "approve" else "rejected"
    flash(f"Signature of {signature.first_name} {signature.last_name} {verb}.", "success")
    return back


@bp.get("/staff/declarations/matches")
@roles_required(*DECIDERS)
def match_queue():
    """Signatures whose organisation was recognised by name and country: confirm or reject."""
    declaration_id = request.args.get("declaration", type=int)
    if declaration_id is not None and not 0 < declaration_id <= MAX_INT:
        declaration_id = None
    return render_template(
        "declarations/staff_matches.html",
        signatures=matching.suggestion_queue(declaration_id),
        title_for=title_for,
    )


@bp.post("/staff/signatures/<int:signature_id>/match")
@roles_required(*DECIDERS)
def resolve_match(signature_id: int):
    """Confirm or reject the suggested organisation of one signature."""
    signature = db.get_or_404(Signature, signature_id)
    form = MatchForm()
    back = redirect(url_for(".match_queue"))
    if not form.validate_on_submit():
        flash("Choose confirm or reject.", "danger")
        return back
    try:
        if form.decision.data == "confirm":
            matching.confirm_suggestion(signature)
        else:
            matching.reject_suggestion(signature)
    except matching.MatchError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return back
    db.session.commit()
    flash(
        "Match confirmed." if form.decision.data == "confirm" else "Suggestion rejected.", "success"
    )
    return back
