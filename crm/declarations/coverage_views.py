"""Coverage of the membership for staff, and for an association over its own members."""

from flask import Response, render_template, stream_with_context
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
