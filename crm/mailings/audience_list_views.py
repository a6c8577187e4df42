"""Static lists (add people by search or by address, remove them) and the CSV export of an
audience: comms and admins only."""

from flask import Response, abort, flash, redirect, stream_with_context, url_for
from sqlalchemy import func, select

from crm.auth.decorators import roles_required
from crm.csvutil import csv_stream
from crm.extensions import db
from crm.mailings import audience_services as services
from crm.mailings import bp
from crm.mailings.audience_forms import EntriesForm, RemoveEntriesForm
from crm.mailings.audience_models import Audience, AudienceEntry
from crm.mailings.audience_views import MANAGERS, _purpose, _show_audience
from crm.mailings.audiences import AudienceError, filters_problem, recipients
from crm.members.models import Organisation, Person
from crm.policy.models import StakeholderProfile


@bp.post("/mailings/audiences/<int:audience_id>/entries")
@roles_required(*MANAGERS)
def add_audience_entries(audience_id: int):
    """Add ticked people or addresses (one a line) to a static list."""
    audience = db.get_or_404(Audience, audience_id)
    form = EntriesForm()
    if audience.kind != "static":
        abort(404)
    if not form.validate_on_submit():
        return _show_audience(audience, form, status=400)
    try:
        added = services.add_people(audience, form.person_ids.data or [])
        result = services.add_emails(audience, form.emails.data or "")
    except AudienceError as error:
        db.session.rollback()
        form.emails.errors = list(form.emails.errors) + [str(error)]
        return _show_audience(audience, form, status=400)
    db.session.commit()
    total = added + result.added
    flash(f"{total} {'person' if total == 1 else 'people'} added to {audience.name}.", "success")
    if result.problems:
        # Keep only the lines that were not added, so they can be corrected and sent again.
        form.emails.data = "\n".join(text for _, text, _ in result.problems)
        return _show_audience(audience, form, problems=result.problems)
    return redirect(url_for("mailings.audience", audience_id=audience.id))


@bp.post("/mailings/audiences/<int:audience_id>/entries/remove")
@roles_required(*MANAGERS)
def remove_audience_entries(audience_id: int):
    """Take the ticked people off a static list."""
    audience = db.get_or_404(Audience, audience_id)
    form = RemoveEntriesForm()
    if audience.kind != "static":
        abort(404)
    if not form.validate_on_submit():
        flash("Tick the people to remove.", "danger")
        return redirect(url_for("mailings.audience", audience_id=audience.id))
    removed = services.remove_people(audience, form.person_ids.data or [])
    db.session.commit()
    flash(f"{removed} {'person' if removed == 1 else 'people'} removed.", "success")
    return redirect(url_for("mailings.audience", audience_id=audience.id))


EXPORT_HEADER = [
    "person_id",
    "first_name",
    "last_name",
    "email",
    "organisation",
    "country",
    "language",
]


@bp.get("/mailings/audiences/<int:audience_id>/export.csv")
@roles_required(*MANAGERS)
def export_audience(audience_id: int):
    """A static list's people, or a segment's recipients for the purpose, as CSV."""
    audience = db.get_or_404(Audience, audience_id)
    purpose = _purpose()
    static = audience.kind == "static"
    invalid = None if static else filters_problem(audience)
    if invalid is not None:
        flash(invalid[:1].upper() + invalid[1:], "danger")
        return redirect(url_for("mailings.audience", audience_id=audience.id, purpose=purpose))
    stmt = _static_rows(audience) if static else recipients(audience, purpose)

    def rows():
        for row in db.session.execute(stmt.execution_options(yield_per=500)):
            yield (
                row.person_id,
                row.first_name,
                row.last_name,
                row.email,
                row.organisation,
                row.country,
                row.language,
            )

    filename = f"audience-{audience.id}.csv"
    return Response(
        stream_with_context(csv_stream(EXPORT_HEADER, rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _static_rows(audience: Audience):
    """Everyone on the list, mailable or not (the list's own content)."""
    return (
        select(
            Person.id.label("person_id"),
            Person.first_name,
            Person.last_name,
            Person.email,
            Organisation.name.label("organisation"),
            func.coalesce(Organisation.country, StakeholderProfile.country).label("country"),
            Person.language,
        )
        .join(AudienceEntry, AudienceEntry.person_id == Person.id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(StakeholderProfile, StakeholderProfile.person_id == Person.id)
        .where(AudienceEntry.audience_id == audience.id)
        .order_by(Person.id)
    )
