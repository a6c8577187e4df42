"""Sales Award statistics and the CSV export of verified awards, for staff."""

from datetime import date

from flask import Response, render_template, stream_with_context

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF
from crm.awards import bp, stats
from crm.csvutil import csv_stream
from crm.members.vocab import country_name


@bp.get("/awards/stats")
@roles_required(*STAFF)
def stats_page():
    """Awards per year and per level, units certified, units by country: charts and tables."""
    numbers = stats.award_stats()
    return render_template(
        "awards/stats.html",
        stats=numbers,
        year_rows=[(str(y), n) for y, n in numbers.per_year],
        country_rows=[(country_name(c), n) for c, n in numbers.by_country],
    )


@bp.get("/awards/stats/verified.csv")
@roles_required(*STAFF)
def export_verified():
    """Every verified award as CSV, formula-safe."""
    filename = f"sales-awards-verified-{date.today().isoformat()}.csv"
    return Response(
        stream_with_context(csv_stream(stats.EXPORT_HEADER, stats.export_rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
