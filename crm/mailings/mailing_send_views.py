"""Preview a mailing as any recipient, send it as a test, and move it between states (schedule,
unschedule, pause, resume, cancel). Every state change is a POST; a click that lost a race
to another member of staff (or to the worker) says so instead of doing anything."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF
from crm.db import utcnow
from crm.extensions import db
from crm.mailings import bp, mailing_states, services
from crm.mailings.audience_models import Audience
from crm.mailings.forms import ActionForm, RecipientForm, ScheduleForm, SendTestForm
from crm.mailings.mailing_views import SENDERS, mailing_page
from crm.mailings.models import Mailing
from crm.mailings.rendering import Rendered, compile_mailing
from crm.mailings.tokens import recipient_links
from crm.members.models import Person

PREVIEW_CANDIDATES = 10
# The preview frame: no script, no forms, no plugins, nothing loaded from elsewhere; the
# sanitised HTML can only show text, links and images over https.
PREVIEW_CSP = "sandbox; default-src 'none'; img-src https: data:; frame-ancestors 'self'"


def _candidates(mailing: Mailing) -> list:
    """The audience's first recipients: the people a preview is most likely wanted for."""
    from crm.mailings.audiences import preview

    audience = db.session.get(Audience, mailing.audience_id) if mailing.audience_id else None
    if audience is None:
        return []
    return preview(audience, mailing.purpose, PREVIEW_CANDIDATES)


def _render(mailing: Mailing, person: Person | None) -> Rendered:
    """The copy `person` would get (their values and links); neutral values without one."""
    merge = services.sample_values(person)
    key = (person.email_key if person is not None else None) or "preview@example.invalid"
    links = recipient_links(key, mailing.purpose, mailing.id, None)
    return compile_mailing(mailing, now=utcnow()).render(merge, links)


def _chosen_person(mailing: Mailing, form: RecipientForm, candidates: list) -> Person | None:
    if form.person_id.data:
        person = db.session.get(Person, form.person_id.data)
        if person is None:
            form.person_id.errors = [*form.person_id.errors, "No person has this id."]
        return person
    return db.session.get(Person, candidates[0].person_id) if candidates else None


@bp.get("/mailings/<int:mailing_id>/preview")
@roles_required(*STAFF)
def preview(mailing_id: int):
    """Subject, HTML (in a sandboxed frame) and text part as a chosen recipient gets them."""
    mailing = db.get_or_404(Mailing, mailing_id)
    form = RecipientForm(request.args)
    form.validate()
    candidates = _candidates(mailing)
    person = _chosen_person(mailing, form, candidates) if not form.errors else None
    return render_template(
        "mailings/mailing_preview.html",
        mailing=mailing,
        form=form,
        candidates=candidates,
        person=person,
        rendered=_render(mailing, person),
        test_form=SendTestForm(formdata=None, person_id=person.id if person else None),
        can_send=current_user.role in SENDERS,
    )


@bp.get("/mailings/<int:mailing_id>/preview.html")
@roles_required(*STAFF)
def preview_html(mailing_id: int):
    """The HTML part alone, for the preview's frame, under a sandboxing CSP."""
    mailing = db.get_or_404(Mailing, mailing_id)
    form = RecipientForm(request.args)
    person = None
    if form.validate() and form.person_id.data:
        person = db.session.get(Person, form.person_id.data) or abort(404)
    html = render_template(
        "mailings/mailing_preview_frame.html",
        subject=_render(mailing, person).subject,
        body=Markup(_render(mailing, person).html),  # noqa: S704 (sanitised by rendering)
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


@bp.post("/mailings/<int:mailing_id>/test")
@roles_required(*SENDERS)
def send_test(mailing_id: int):
    """Queue a "[TEST]" copy to up to ten addresses, rendered as a chosen person (or you)."""
    mailing = db.get_or_404(Mailing, mailing_id)
    form = SendTestForm()
    if form.validate_on_submit():
        person = (
            db.session.get(Person, form.person_id.data)
            if form.person_id.data
            else services.tester_person()
        )
        if form.person_id.data and person is None:
            form.person_id.errors = [*form.person_id.errors, "No person has this id."]
        else:
            try:
                services.send_test(mailing, form.parsed, person)
            except services.MailingError as error:
                db.session.rollback()
                flash(f"Test not sent: {error}", "danger")
            else:
                db.session.commit()
                flash(f"Test queued to {', '.join(form.parsed)}.", "success")
            return redirect(url_for("mailings.mailing", mailing_id=mailing.id) + "#test")
    return mailing_page(mailing, test_form=form)


@bp.post("/mailings/<int:mailing_id>/schedule")
@roles_required(*SENDERS)
def schedule(mailing_id: int):
    """Run the checks again and queue one delivery per recipient, now or at the chosen time."""
    mailing = db.get_or_404(Mailing, mailing_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return mailing_page(mailing, schedule_form=form)
    try:
        count = mailing_states.schedule(mailing, form.send_at_utc())
    except services.MailingError as error:
        db.session.rollback()
        flash(str(error), "warning" if isinstance(error, services.StateChanged) else "danger")
    else:
        db.session.commit()
        flash(
            f"Scheduled for {count:,} recipients from {mailing.scheduled_at:%Y-%m-%d %H:%M} UTC.",
            "success",
        )
    return redirect(url_for("mailings.mailing", mailing_id=mailing.id))


def _state_change(mailing_id: int, change, done: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    mailing = db.get_or_404(Mailing, mailing_id)
    try:
        change(mailing)
    except services.MailingError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash(done.format(status=mailing.status), "success")
    return redirect(url_for("mailings.mailing", mailing_id=mailing_id))


@bp.post("/mailings/<int:mailing_id>/unschedule")
@roles_required(*SENDERS)
def unschedule(mailing_id: int):
    """Back to draft while nothing has been sent (its queued deliveries are removed)."""
    return _state_change(mailing_id, mailing_states.unschedule, "Back to draft: nothing was sent.")


@bp.post("/mailings/<int:mailing_id>/pause")
@roles_required(*SENDERS)
def pause(mailing_id: int):
    """Stop sending for now; messages already on their way finish."""
    return _state_change(mailing_id, mailing_states.pause, "Paused.")


@bp.post("/mailings/<int:mailing_id>/resume")
@roles_required(*SENDERS)
def resume(mailing_id: int):
    """Carry on sending where it stopped."""
    return _state_change(mailing_id, mailing_states.resume, "Resumed: the mailing is {status}.")


@bp.post("/mailings/<int:mailing_id>/cancel")
@roles_required(*SENDERS)
def cancel(mailing_id: int):
    """Stop for good: queued deliveries are cancelled; in-flight ones finish."""
    return _state_change(mailing_id, mailing_states.cancel, "Cancelled.")
