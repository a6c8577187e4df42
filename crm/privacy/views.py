"""Staff pages for a person's personal data: what is held, the JSON export, erasure.

Admins only: the export carries the person's account and audit trail, which only the
secretariat sees elsewhere, and answering access and erasure requests is the secretariat's duty.
"""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from crm.auth.decorators import roles_required
from crm.auth.roles import Role
from crm.extensions import db
from crm.members.models import Person
from crm.privacy import bp, erasure, export, lookup
from crm.privacy.personal_data import MAP


class ExportForm(FlaskForm):
    submit = SubmitField("Download the JSON export")


class EraseForm(FlaskForm):
    confirmation = StringField(
        "Type the person's email address to confirm",
        validators=[InputRequired(), Length(max=254)],
    )
    submit = SubmitField("Erase this person's personal data")


def confirmation_text(person: Person) -> str:
    """What the admin must type: the email, or the full name of a person without one."""
    return person.email_key or person.full_name


def _page(person: Person, erase_form: EraseForm, status: int = 200):
    subject = lookup.subject_for_person(person)
    counts = lookup.counts(subject)
    rows = [(name, MAP[name].about, MAP[name].on_erase, counts[name]) for name in sorted(counts)]
    if not person.email_key:
        erase_form.confirmation.label.text = "Type the person's full name to confirm"
    return render_template(
        "privacy/person.html",
        person=person,
        rows=rows,
        erased=erasure.erasure_event(person.id),
        export_form=ExportForm(),
        erase_form=erase_form,
    ), status


@bp.get("/people/<int:person_id>/personal-data")
@roles_required(Role.ADMIN)
def person_data(person_id: int):
    """What the CRM holds about a person, with the export and erasure forms."""
    return _page(db.get_or_404(Person, person_id), EraseForm())


@bp.post("/people/<int:person_id>/personal-data/export")
@roles_required(Role.ADMIN)
def export_person(person_id: int):
    """Download everything held about the person as JSON (the download is audited)."""
    person = db.get_or_404(Person, person_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    document = export.export_subject(lookup.subject_for_person(person), "web")
    db.session.commit()
    return Response(
        export.dumps(document),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="personal-data-person-{person_id}.json"'
        },
    )


@bp.post("/people/<int:person_id>/personal-data/erase")
@roles_required(Role.ADMIN)
def erase_person(person_id: int):
    """Erase the person's personal data once the admin has typed their email to confirm."""
    person = db.get_or_404(Person, person_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _page(person, form, 400)
    expected = confirmation_text(person).strip().lower()
    if form.confirmation.data.strip().lower() != expected:
        form.confirmation.errors = ["This does not match; nothing was erased."]
        return _page(person, form, 400)
    try:
        erasure.erase_person(person)
    except erasure.ErasureError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".person_data", person_id=person_id))
    db.session.commit()
    flash("The person's personal data has been erased.", "success")
    return redirect(url_for(".person_data", person_id=person_id))
