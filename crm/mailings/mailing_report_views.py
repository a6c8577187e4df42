"""A mailing's report: counts, bounces, unsubscribes, sent over time, the recipient table and
its CSV export. Staff read it."""

from flask import Response, render_template, request, stream_with_context

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF
from crm.csvutil import csv_stream
from crm.extensions import db
from crm.mailings import bp, reports
from crm.mailings.forms import KIND_LABELS
from crm.mailings.models import Mailing
from crm.web import page_arg


def _status_arg() -> str | None:
    status = request.args.get("status", "")
    return status if status in reports.STATUSES else None


@bp.get("/mailings/<int:mailing_id>/report")
@roles_required(*STAFF)
def mailing_report(mailing_id: int):
    """Counts, the sent-over-time chart and the recipient table (filtered by status)."""
    mailing = db.get_or_404(Mailing, mailing_id)
    status = _status_arg()
    page = db.paginate(
        reports.recipients_select(mailing.id, status),
        page=page_arg(),
        per_page=reports.PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "mailings/mailing_report.html",
        mailing=mailing,
        report=reports.mailing_report(mailing.id),
        page=page,
        status=status,
        statuses=reports.STATUSES,
        kinds=KIND_LABELS,
        args={"mailing_id": mailing.id, **({"status": status} if status else {})},
    )


@bp.get("/mailings/<int:mailing_id>/report.csv")
@roles_required(*STAFF)
def mailing_report_csv(mailing_id: int):
    """The recipient table as CSV (the same status filter), streamed."""
    mailing = db.get_or_404(Mailing, mailing_id)
    rows = reports.csv_rows(mailing.id, _status_arg())
    return Response(
        stream_with_context(csv_stream(reports.CSV_HEADER, rows)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="mailing-{mailing.id}.csv"'},
    )
