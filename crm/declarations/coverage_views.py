"""Coverage of the membership for staff, and for an association over its own members."""

from flask import Response, abort, flash, redirect, render_template, stream_with_context, url_for
from flask_login import current_user

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.csvutil import csv_stream
from crm.declarations import bp, coverage
from crm.declarations.models import Declaration
from crm.declarations.signatories import title_for
from crm.extensions import db
from crm.web import page_arg

COVERAGE_READERS = (*STAFF, Role.ASSOCIATION)
PAGE_SIZE = 50


@bp.get("/declarations/<int:declaration_id>/coverage")
@roles_required(*COVERAGE_READERS)
def coverage_page(declaration_id: int):
    """Share of current member companies that signed, overall, by country and association."""
    declaration = db.get_or_404(Declaration, declaration_id)
    countries = coverage.by_country(declaration.id, current_user)
    page = db.paginate(
        coverage.non_signers_stmt(declaration.id, current_user),
        page=page_arg(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "declarations/staff_coverage.html",
        declaration=declaration,
        title=title_for(declaration),
        overall=coverage.overall(declaration.id, current_user),
        countries=countries,
        associations=coverage.by_association(declaration.id, current_user),
        chart=coverage.chart_rows(countries),
        page=page,
        scoped=current_user.role == Role.ASSOCIATION,
    )


@bp.get("/declarations/<int:declaration_id>/coverage/non-signers.csv")
@roles_required(*COVERAGE_READERS)
def non_signers_csv(declaration_id: int):
    """The current members in the user's scope that have not signed, as CSV."""
    declaration = db.get_or_404(Declaration, declaration_id)
    # The rows are produced while the response streams: bind the user object now.
    rows = coverage.non_signer_rows(declaration.id, current_user._get_current_object())
    return Response(
        stream_with_context(csv_stream(coverage.NON_SIGNER_HEADER, rows)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="non-signers-{declaration.slug}.csv"'
        },
    )


@bp.post("/declarations/<int:declaration_id>/coverage/audience")
@roles_required(*COVERAGE_READERS)
def save_non_signers_audience(declaration_id: int):
    """Save the non-signing members in the user's scope as a mailing audience (a segment)."""
    from flask_wtf import FlaskForm

    from crm.mailings.audience_services import save_non_signers
    from crm.mailings.audiences import AudienceError

    declaration = db.get_or_404(Declaration, declaration_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        audience = save_non_signers(declaration, title_for(declaration), current_user)
    except AudienceError as error:
        # A name taken at the same moment by someone else, say: tell the user, never a 500.
        db.session.rollback()
        flash(f"The audience was not saved: {error}", "danger")
        return redirect(url_for("declarations.coverage_page", declaration_id=declaration_id))
    db.session.commit()
    if current_user.role == Role.ASSOCIATION:
        # Association users do not open mailing pages: the secretariat mails from this segment.
        flash(f"Saved as the audience “{audience.name}” for the secretariat's mailings.", "success")
        return redirect(url_for("declarations.coverage_page", declaration_id=declaration.id))
    flash(f"Saved as the audience “{audience.name}”.", "success")
    return redirect(url_for("mailings.audience", audience_id=audience.id))
