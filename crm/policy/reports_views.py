"""Reports on the action log, for officers, the secretariat and comms (read only)."""

from datetime import date

from flask import Response, render_template, request, stream_with_context
from sqlalchemy import select

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF
from crm.csvutil import csv_stream
from crm.extensions import db
from crm.policy import bp, reports
from crm.policy.actions_forms import PeriodForm
from crm.policy.models import Campaign, Priority

REPORT_READERS = STAFF


def _period_form() -> PeriodForm:
    """The period from the query string; a fresh page defaults to the current year so far."""
    form = PeriodForm(formdata=request.args if request.args else None)
    if not request.args:
        today = date.today()
        form.date_from.data, form.date_to.data = date(today.year, 1, 1), today
    return form


@bp.get("/reports")
@roles_required(*REPORT_READERS)
def reports_index():
    """The reports, and the campaigns that have one."""
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.title, Campaign.status, Priority.title.label("priority"))
        .join(Priority, Priority.id == Campaign.priority_id)
        .order_by(Priority.position, Priority.title, Campaign.title)
    ).all()
    return render_template("policy/reports.html", form=_period_form(), campaigns=campaigns)


@bp.get("/reports/eu-meetings")
@roles_required(*REPORT_READERS)
def report_eu_meetings():
    """Meetings and calls with EU officials in a period, on screen, with the CSV link."""
    form = _period_form()
    rows = None
    if request.args and form.validate():
        rows = reports.eu_meetings(form.date_from.data, form.date_to.data)
    return render_template(
        "policy/reports_eu_meetings.html", form=form, rows=rows, header=reports.EU_MEETINGS_HEADER
    )


@bp.get("/reports/eu-meetings.csv")
@roles_required(*REPORT_READERS)
def report_eu_meetings_csv():
    """The same rows as CSV, formula-safe, for transparency-register reporting."""
    form = PeriodForm(formdata=request.args)
    if not form.validate():
        return render_template(
            "policy/reports_eu_meetings.html",
            form=form,
            rows=None,
            header=reports.EU_MEETINGS_HEADER,
        )
    rows = reports.eu_meetings(form.date_from.data, form.date_to.data)
    filename = f"eu-meetings-{form.date_from.data.isoformat()}-{form.date_to.data.isoformat()}.csv"
    return Response(
        stream_with_context(csv_stream(reports.EU_MEETINGS_HEADER, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/reports/actions-by-priority")
@roles_required(*REPORT_READERS)
def report_priorities():
    """Actions per priority per month over the last twelve months, as a chart and a table."""
    table = reports.actions_per_priority(date.today())
    return render_template("policy/reports_priorities.html", table=table)


@bp.get("/reports/campaigns/<int:campaign_id>")
@roles_required(*REPORT_READERS)
def report_campaign(campaign_id: int):
    """One campaign: actions by kind and month, participants, follow-ups and results."""
    campaign = db.get_or_404(Campaign, campaign_id)
    report = reports.campaign_report(campaign, date.today())
    return render_template("policy/reports_campaign.html", report=report)
