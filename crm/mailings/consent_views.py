"""Consent per purpose and topic interests on a person's record, and the suppression list
(staff)."""

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import delete, insert, or_, select

from crm.audit.models import AuditEvent
from crm.audit.services import record
from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.csvutil import csv_stream
from crm.extensions import db
from crm.formutil import choices
from crm.mailings import bp
from crm.mailings import consent as service
from crm.mailings.audience_forms import ConsentForm, InterestsForm, SuppressionForm
from crm.mailings.audience_models import PersonInterest, Suppression
from crm.members.forms import ConfirmForm
from crm.members.models import Person
from crm.members.vocab import CURRENT_STATUSES
from crm.policy.models import Priority
from crm.web import page_arg

MANAGERS = (Role.ADMIN, Role.COMMS)


@bp.app_template_global("consent_summaries")
def consent_summaries(people) -> dict[int, str]:
    """One consent line per person, for the organisation page's people list (staff only)."""
    if not (current_user.is_authenticated and current_user.role in STAFF):
        return {}
    return service.summaries([p.id for p in people])


def _interests_form(person: Person, formdata=None) -> InterestsForm:
    form = InterestsForm(formdata=formdata)
    form.priority_ids.choices = choices(
        db.session.execute(select(Priority.id, Priority.title).order_by(Priority.title))
    )
    if formdata is None:
        form.priority_ids.data = list(
            db.session.scalars(
                select(PersonInterest.priority_id).where(PersonInterest.person_id == person.id)
            )
        )
    return form


def _consent_form(person: Person) -> ConsentForm:
    form = ConsentForm()
    form.journalist = service.is_journalist(person.id)
    return form


def _consent_page(person, form=None, interests_form=None, status=200):
    consents = service.consents_of(person.id)
    org = person.organisation
    member = org is not None and org.membership_status in CURRENT_STATUSES
    history = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "consent",
            AuditEvent.entity_id.in_([c.id for c in consents.values()] or [0]),
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(50)
    )
    return (
        render_template(
            "mailings/consent_person.html",
            person=person,
            consents=consents,
            purposes=service.PURPOSES,
            bases=service.BASIS_LABELS,
            reachable={
                p: service.is_reachable(consents.get(p), p, current_member=member)
                for p in service.PURPOSES
            },
            suppressed=bool(person.email) and service.is_suppressed(person.email),
            can_record=current_user.role in MANAGERS,
            form=form or _consent_form(person),
            interests_form=interests_form or _interests_form(person),
            history=list(history),
        ),
        status,
    )


@bp.get("/people/<int:person_id>/consent")
@roles_required(*STAFF)
def person_consent(person_id: int):
    """A person's consent per purpose and topic interests (comms and admins record answers)."""
    return _consent_page(db.get_or_404(Person, person_id))


@bp.post("/people/<int:person_id>/consent")
@roles_required(*MANAGERS)
def record_person_consent(person_id: int):
    """Record a person's answer for one purpose, with the staff member as its source."""
    person = db.get_or_404(Person, person_id)
    form = _consent_form(person)
    if not form.validate_on_submit():
        return _consent_page(person, form, status=400)
    try:
        service.record_consent(
            person,
            form.purpose.data,
            form.granted.data == "yes",
            basis=form.basis.data,
            source=f"staff: {current_user.email}",
            wording_version=form.wording_version.data,
            wording=form.wording.data,
        )
    except service.ConsentError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None) or form.purpose
        field.errors = list(field.errors) + [str(error)]
        return _consent_page(person, form, status=400)
    db.session.commit()
    flash(f"{service.PURPOSES[form.purpose.data][0]}: answer recorded.", "success")
    return redirect(url_for("mailings.person_consent", person_id=person.id))


@bp.post("/people/<int:person_id>/interests")
@roles_required(*STAFF)
def person_interests(person_id: int):
    """Replace a person's topic interests with the ticked priorities."""
    person = db.get_or_404(Person, person_id)
    form = _interests_form(person, request.form)
    if not form.validate_on_submit():
        return _consent_page(person, interests_form=form, status=400)
    before = sorted(
        db.session.scalars(
            select(PersonInterest.priority_id).where(PersonInterest.person_id == person.id)
        )
    )
    chosen = sorted(set(form.priority_ids.data or []))
    db.session.execute(delete(PersonInterest).where(PersonInterest.person_id == person.id))
    if chosen:
        db.session.execute(
            insert(PersonInterest), [{"person_id": person.id, "priority_id": p} for p in chosen]
        )
    record(
        "update",
        "person",
        person.id,
        f"Topic interests of {person.full_name} changed",
        before={"interests": before},
        after={"interests": chosen},
        organisation_id=person.organisation_id,
    )
    db.session.commit()
    flash("Topic interests saved.", "success")
    return redirect(url_for("mailings.person_consent", person_id=person.id))


# --- the suppression list --------------------------------------------------------------------


def _suppression_page(form=None, status=200):
    q = (request.args.get("q") or "").strip()[:254]
    stmt = select(Suppression).order_by(Suppression.created_at.desc(), Suppression.id.desc())
    if q:
        key = q.lower()
        like = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                Suppression.email_key.like(like, escape="\\"),
                Suppression.email_hash == service.email_hash(key),
            )
        )
    page = db.paginate(stmt, page=page_arg(), per_page=50, error_out=False)
    return (
        render_template(
            "mailings/suppression_list.html",
            page=page,
            q=q,
            form=form or SuppressionForm(),
            lift_form=ConfirmForm(),
            reasons=service.REASON_LABELS,
            liftable=service.LIFTABLE,
        ),
        status,
    )


@bp.get("/mailings/suppressions")
@roles_required(*MANAGERS)
def suppressions():
    """Addresses never mailed in bulk: search, add one, lift an unsubscribe."""
    return _suppression_page()


@bp.post("/mailings/suppressions")
@roles_required(*MANAGERS)
def add_suppression():
    """Suppress an address by hand (it stays suppressed whoever has it)."""
    form = SuppressionForm()
    if not form.validate_on_submit():
        return _suppression_page(form, status=400)
    try:
        service.suppress(form.email.data, form.reason.data, source=f"staff: {current_user.email}")
    except service.ConsentError as error:
        db.session.rollback()
        form.email.errors = list(form.email.errors) + [str(error)]
        return _suppression_page(form, status=400)
    db.session.commit()
    flash(f"{form.email.data.strip()} is suppressed.", "success")
    return redirect(url_for("mailings.suppressions"))


@bp.post("/mailings/suppressions/<int:suppression_id>/lift")
@roles_required(*MANAGERS)
def lift_suppression(suppression_id: int):
    """Lift an unsubscribe (bounces, complaints and erasures stay)."""
    entry = db.get_or_404(Suppression, suppression_id)
    if not ConfirmForm().validate_on_submit() or not entry.email_key:
        flash("This entry cannot be lifted.", "danger")
        return redirect(url_for("mailings.suppressions"))
    key = entry.email_key
    try:
        service.unsuppress(key)
    except service.ConsentError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("mailings.suppressions"))
    db.session.commit()
    flash(f"{key} may be mailed again.", "success")
    return redirect(url_for("mailings.suppressions"))


@bp.get("/mailings/suppressions/export.csv")
@roles_required(*MANAGERS)
def export_suppressions():
    """The suppression list as CSV (erased entries as their hash only)."""
    stmt = select(Suppression).order_by(Suppression.id).execution_options(yield_per=500)

    def rows():
        for s in db.session.scalars(stmt):
            yield (
                s.email_key or "",
                s.email_hash,
                s.reason,
                s.source or "",
                s.mailing_id or "",
                s.created_at.isoformat(),
            )

    header = ["email", "email_sha256", "reason", "source", "mailing_id", "created_at"]
    return Response(
        stream_with_context(csv_stream(header, rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="suppressions.csv"'},
    )
