"""The staff review queue of award registrations."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.awards import bp, review
from crm.awards.models import FORMATS, STATUSES, AwardRegistration
from crm.extensions import db

# Decisions publish an award: the secretariat and officers; comms reads the queue.
DECIDERS = (Role.ADMIN, Role.OFFICER)
# The evidence download of views_registrations.py; names are listed (unlinked) without it.
EVIDENCE_ENDPOINTS = ("awards.download_evidence",)


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf(["verify", "reject", "info"])])
    note = TextAreaField("Reason or question", validators=[Length(max=2000)])
    # The newest revision shown when the page was opened: a decision applies to those figures.
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0)])


def evidence_url(evidence) -> str | None:
    """The download link of an evidence file, if the evidence views offer one."""
    for endpoint in EVIDENCE_ENDPOINTS:
        if endpoint not in current_app.view_functions:
            continue
        for args in (
            {"evidence_id": evidence.id},
            {"registration_id": evidence.registration_id, "evidence_id": evidence.id},
        ):
            try:
                return url_for(endpoint, **args)
            except BuildError:
                continue
    return None


@bp.get("/awards/review")
@roles_required(*STAFF)
def review_queue():
    """Registrations waiting for a decision, oldest first, with figures, evidence and history."""
    registrations = review.review_queue()
    return render_template(
        "awards/review_queue.html",
        registrations=registrations,
        history=review.history([r.id for r in registrations]),
        statuses=STATUSES,
        formats=FORMATS,
        can_decide=current_user.role in DECIDERS,
        evidence_url=evidence_url,
        form=DecisionForm(),
        latest_revision=review.latest_revision,
    )


@bp.post("/awards/review/<int:registration_id>")
@roles_required(*DECIDERS)
def decide_registration(registration_id: int):
    """Verify, reject (with a reason) or ask for more information (with a question)."""
    registration = db.get_or_404(AwardRegistration, registration_id)
    form = DecisionForm()
    back = redirect(url_for(".review_queue"))
    if not form.validate_on_submit():
        flash("Choose a decision (a reason or question has at most 2,000 characters).", "danger")
        return back
    try:
        revision = form.revision.data
        if form.decision.data == "verify":
            review.verify(registration, current_user.id, revision)
        elif form.decision.data == "reject":
            review.reject(registration, current_user.id, form.note.data, revision)
        else:
            review.request_info(registration, current_user.id, form.note.data, revision)
    except review.ReviewError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return back
    db.session.commit()
    done = {"verify": "verified", "reject": "rejected", "info": "sent back with your question"}
    flash(f"{registration.artist} – {registration.title}: {done[form.decision.data]}.", "success")
    return back
