"""Member labels register releases for a Sales Award and raise them; the label's users and
staff read registrations and download their evidence."""

import json

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.awards import bp, evidence, levels
from crm.awards import registration as services
from crm.awards.forms import EMPTY_ROWS, RegistrationForm
from crm.awards.models import FORMATS, STATUSES, AwardEvidence, AwardRegistration
from crm.extensions import db
from crm.web import accepts_files, page_arg

READERS = (Role.MEMBER, *STAFF)


def _levels_json(on) -> str:
    """The levels in force on the day, for the page's live total (a data- attribute)."""
    return json.dumps(
        [{"name": lv.name, "threshold": lv.threshold} for lv in levels.levels_in_force(on)]
    )


def _details(form) -> dict:
    return {key: getattr(form, key).data for key in services.DETAIL_FIELDS}


def _field_error(error: services.RegistrationError, form) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and error.field != "units":
        field.errors = list(field.errors) + [str(error)]
    else:
        flash(str(error), "danger")


def _handle_form(
    form: RegistrationForm, registration: AwardRegistration | None, mode: str = "register"
):
    """The shared flow of registering, raising and answering: add a row, check, or save.
    Returns a redirect once saved, else the page's context. A raise must reach a higher level;
    an answer the same level or a higher one, under the levels of the day it was registered."""
    assessment = None
    not_higher = False
    answering = mode == "answer"
    current = registration.level if registration else None
    on = registration.registered_on if answering else services.today()
    if form.is_submitted():
        if form.add_row.data:
            form.add_empty_row()
        elif form.validate():
            assessment = services.assess(form.units_by_country(), on)
            not_higher = bool(
                assessment.level
                and current
                and (
                    assessment.level.threshold < current.threshold
                    if answering
                    else assessment.level.threshold <= current.threshold
                )
            )
            if not form.check.data and assessment.qualifies and not not_higher:
                saved = _save(form, registration, mode)
                if saved is not None:
                    return saved, {}
    return None, {
        "form": form,
        "mode": mode,
        "registration": registration,
        "assessment": assessment,
        "not_higher": not_higher,
        "current_level": current,
        "not_qualifying": services.not_qualifying_message(assessment) if assessment else "",
        "levels_json": _levels_json(on),
        "allowed": evidence.ALLOWED_LABEL,
        "max_mb": evidence.max_bytes() / 1024 / 1024,
        "max_each": evidence.max_bytes(),
        "each_label": evidence.megabytes(evidence.max_bytes()),
        "max_total": evidence.max_total_bytes(),
        "total_label": evidence.megabytes(evidence.request_limit()),
        "max_files": evidence.MAX_FILES,
        "accept": ",".join(f".{ext}" for ext in evidence.ALLOWED),
    }


def _save(form: RegistrationForm, registration: AwardRegistration | None, mode: str):
    ok = True
    if not form.confirm.data:
        form.confirm.errors.append("Confirm that the figures are accurate.")
        ok = False
    checked = []
    try:
        checked = evidence.check_all(form.evidence.data)
    except evidence.UploadError as error:
        form.evidence.errors.append(f"{error} Nothing was saved.")
        ok = False
    else:
        if not checked and not (mode == "answer" and registration.evidence):
            form.evidence.errors.append(
                f"Upload at least one statement showing the figures ({evidence.ALLOWED_LABEL})."
            )
            ok = False
    if not ok:
        return None
    try:
        if registration is None:
            registration = services.register(
                current_user.organisation_id,
                _details(form),
                form.units_by_country(),
                checked,
                current_user.id,
            )
        elif mode == "answer":
            services.resubmit(
                registration, _details(form), form.units_by_country(), checked, current_user.id
            )
        else:
            services.raise_figures(
                registration, _details(form), form.units_by_country(), checked, current_user.id
            )
    except services.RegistrationError as error:
        db.session.rollback()
        _field_error(error, form)
        return None
    stored = [item.stored_name for item in registration.evidence]
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        evidence.remove_all(name for name in stored if not _is_recorded(name))
        raise
    done = {"answer": "Answer sent", "raise": "New figures saved"}.get(mode, "Registered")
    flash(
        f"{done}: {registration.total_units:,} units, "
        f"{registration.level.name}. The secretariat will review the figures.",
        "success",
    )
    return redirect(url_for("awards.registration", registration_id=registration.id))


def _is_recorded(stored_name: str) -> bool:
    return (
        db.session.scalar(
            db.select(AwardEvidence.id).where(AwardEvidence.stored_name == stored_name)
        )
        is not None
    )


@bp.route("/awards/register", methods=["GET", "POST"])
@accepts_files("evidence")
@roles_required(Role.MEMBER)
def register():
    """Register a release of the user's label: figures per country, evidence, confirmation."""
    if not current_user.organisation_id:
        abort(403)
    form = RegistrationForm()
    saved, context = _handle_form(form, None)
    if saved is not None:
        return saved
    return render_template("awards/register.html", **context)


@bp.route("/awards/registrations/<int:registration_id>/raise", methods=["GET", "POST"])
@accepts_files("evidence")
@roles_required(Role.MEMBER)
def raise_registration(registration_id: int):
    """Raise a registration with new figures reaching a higher level, or answer a request for
    more information (the same level will do)."""
    # On a save, lock the row (PostgreSQL): two raises at once cannot both take revision n+1.
    registration = db.session.get(
        AwardRegistration, registration_id, with_for_update=request.method == "POST"
    )
    if registration is None:
        abort(404)
    services.require_raise(registration)
    # While the secretariat waits for more information, the same page is the label's answer:
    # corrected figures at the same level or a higher one.
    mode = "answer" if registration.status == "info_requested" else "raise"
    saved, context = _handle_form(_prefilled_form(registration), registration, mode)
    if saved is not None:
        return saved
    return render_template("awards/register.html", **context)


def _prefilled_form(registration: AwardRegistration) -> RegistrationForm:
    """On GET, the form filled with the registration's details and figures."""
    if request.method != "GET":
        return RegistrationForm()
    data = {key: getattr(registration, key) for key in services.DETAIL_FIELDS}
    data["units"] = [{"country": u.country, "units": u.units} for u in registration.units]
    form = RegistrationForm(data=data)
    for _ in range(min(2, EMPTY_ROWS)):
        form.add_empty_row()
    return form


@bp.get("/awards/registrations")
@roles_required(*READERS)
def registrations():
    """The label's registrations (for its users), or every registration (for staff)."""
    stmt = services.registrations_for(current_user).options(
        selectinload(AwardRegistration.level), selectinload(AwardRegistration.organisation)
    )
    page = db.paginate(stmt, page=page_arg(), per_page=50, error_out=False)
    return render_template(
        "awards/my_registrations.html", page=page, formats=FORMATS, statuses=STATUSES
    )


@bp.get("/awards/registrations/<int:registration_id>")
@roles_required(*READERS)
def registration(registration_id: int):
    """A registration: figures per country, level, status, evidence and history."""
    item = services.require_view(db.get_or_404(AwardRegistration, registration_id))
    return render_template(
        "awards/registration.html",
        registration=item,
        formats=FORMATS,
        statuses=STATUSES,
        can_raise=services.can_raise(current_user, item) and item.status != "info_requested",
        can_answer=services.can_answer(current_user, item),
    )


@bp.get("/awards/evidence/<int:evidence_id>")
@roles_required(*READERS)
def download_evidence(evidence_id: int):
    """An evidence file, only for the label's users and staff; always as an attachment."""
    item = db.get_or_404(AwardEvidence, evidence_id)
    services.require_view(item.registration)
    try:
        path = evidence.path_of(item.stored_name)
    except evidence.UploadError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.original_name or item.stored_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
