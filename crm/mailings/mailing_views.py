"""Mailings, staff side: the list, drafts (new, edit, attachments) and a mailing's page.
Preview, test send and the state changes are in mailing_send_views.py; reports in
mailing_report_views.py. Thin views over services.py: validate, call the service, commit once."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.audit.services import events_for
from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.extensions import db
from crm.formutil import choices
from crm.mailings import attachments, bp, reports, services
from crm.mailings.audience_models import Audience
from crm.mailings.forms import (
    KIND_LABELS,
    STATUS_LABELS,
    ActionForm,
    AttachmentForm,
    ListFilterForm,
    MailingForm,
    ScheduleForm,
    SendTestForm,
    default_timezone,
    to_local,
    to_utc,
)
from crm.mailings.models import Mailing, MailingAttachment, MailingKind, MailingStatus
from crm.mailings.preflight import preflight
from crm.mailings.rendering import MERGE_FIELDS
from crm.policy.models import Campaign
from crm.web import accepts_files, page_arg

# Officers write drafts and preview them; only communications and the secretariat send.
EDITORS = STAFF
SENDERS = (Role.ADMIN, Role.COMMS)
PER_PAGE = 25
MERGE_FIELD_HELP = {
    "first_name": "the recipient's first name",
    "last_name": "the recipient's last name",
    "organisation": "the recipient's organisation",
    "country": "the organisation's country code",
    "unsubscribe_url": "one-click unsubscribe link (required)",
    "preferences_url": "the recipient's preference centre",
    "web_version_url": "this mail on the web",
}


def audience_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(select(Audience.id, Audience.name).where(Audience.id.in_(ids)))
    return {row.id: row.name for row in rows}


@bp.get("/mailings")
@roles_required(*STAFF)
def mailings():
    """Every mailing, newest first, filtered by status and kind, with its delivery counts."""
    form = ListFilterForm(request.args)
    stmt = select(Mailing).order_by(Mailing.created_at.desc(), Mailing.id.desc())
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None
    if status:
        stmt = stmt.where(Mailing.status == status)
    if kind:
        stmt = stmt.where(Mailing.kind == kind)
    page = db.paginate(stmt, page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "mailings/mailing_list.html",
        page=page,
        form=form,
        args={k: v for k, v in (("status", status), ("kind", kind)) if v},
        counts=reports.list_counts([m.id for m in page.items]),
        audiences=audience_names(m.audience_id for m in page.items),
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
    )


def _form_choices(form: MailingForm) -> None:
    form.purpose.choices = choices(
        [("", "Default for the kind")]
        + [(key, label) for key, (label, _) in services.purposes().items()]
    )
    rows = db.session.execute(
        select(Audience.id, Audience.name)
        .where(Audience.scope_association_id.is_(None))
        .order_by(Audience.name)
    )
    form.audience_id.choices = choices([(0, "— choose —")] + [(r.id, r.name) for r in rows])
    campaigns = db.session.execute(select(Campaign.id, Campaign.title).order_by(Campaign.title))
    form.campaign_id.choices = choices([(0, "— none —")] + [(r.id, r.title) for r in campaigns])


def _data(form: MailingForm) -> dict:
    data = {f: form[f].data for f in services.DRAFT_FIELDS if f in form}
    data["embargo_until"] = to_utc(form.embargo_at.data, form.timezone.data)
    return data


def _refuse(error: services.MailingError, form) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "danger")


def _editor(template: str, form, mailing=None, **extra):
    return render_template(
        template,
        form=form,
        mailing=mailing,
        merge_fields=[(f, MERGE_FIELD_HELP.get(f, "")) for f in MERGE_FIELDS],
        **extra,
    )


@bp.route("/mailings/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_mailing():
    """Start a draft: the kind's purpose, the default sender and a body with the footer."""
    form = MailingForm()
    _form_choices(form)
    if request.method == "GET":
        form.kind.data = (
            request.args.get("kind")
            if request.args.get("kind") in KIND_LABELS
            else (MailingKind.NEWSLETTER)
        )
        form.from_name.data, form.from_email.data = services.default_sender()
        form.body.data = services.new_body()
        form.timezone.data = default_timezone()
        form.campaign_id.data = request.args.get("campaign_id", type=int) or 0
    if form.validate_on_submit():
        try:
            mailing = services.create_mailing(_data(form))
        except services.MailingError as error:
            db.session.rollback()
            _refuse(error, form)
        else:
            db.session.commit()
            flash("Draft saved.", "success")
            return redirect(url_for("mailings.mailing", mailing_id=mailing.id))
    return _editor("mailings/mailing_form.html", form)


@bp.route("/mailings/<int:mailing_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_mailing(mailing_id: int):
    """Edit a draft (only drafts change); attachments of press releases below the form."""
    mailing = db.get_or_404(Mailing, mailing_id)
    if mailing.status != MailingStatus.DRAFT:
        flash(f"This mailing is {mailing.status}: only drafts can be edited.", "warning")
        return redirect(url_for("mailings.mailing", mailing_id=mailing.id))
    form = MailingForm(obj=mailing)
    _form_choices(form)
    if request.method == "GET":
        form.timezone.data = default_timezone()
        form.embargo_at.data = to_local(mailing.embargo_until, form.timezone.data)
        form.audience_id.data = mailing.audience_id or 0
        form.campaign_id.data = mailing.campaign_id or 0
    if form.validate_on_submit():
        try:
            changed = services.update_mailing(mailing, _data(form))
        except services.MailingError as error:
            db.session.rollback()
            _refuse(error, form)
        else:
            db.session.commit()
            flash("Draft saved: send a new test." if changed else "Nothing changed.", "success")
            return redirect(url_for("mailings.mailing", mailing_id=mailing.id))
    return _editor(
        "mailings/mailing_form.html",
        form,
        mailing,
        attachment_form=AttachmentForm(formdata=None),
        action_form=ActionForm(formdata=None),
        max_attachment=attachments.max_bytes(),
    )


@bp.get("/mailings/<int:mailing_id>")
@roles_required(*STAFF)
def mailing(mailing_id: int):
    """A mailing: its settings, preflight checks, test send, scheduling and state buttons."""
    return mailing_page(db.get_or_404(Mailing, mailing_id))


def mailing_page(item: Mailing, *, test_form=None, schedule_form=None) -> str:
    """The mailing's page, with a form that came back with errors when there is one."""
    if schedule_form is None:
        schedule_form = ScheduleForm(formdata=None)
        schedule_form.timezone.data = default_timezone()
    return render_template(
        "mailings/mailing.html",
        mailing=item,
        checks=preflight(item) if item.status == MailingStatus.DRAFT else [],
        report=reports.mailing_report(item.id) if item.status != MailingStatus.DRAFT else None,
        audience=db.session.get(Audience, item.audience_id) if item.audience_id else None,
        campaign=db.session.get(Campaign, item.campaign_id) if item.campaign_id else None,
        purpose_label=services.purposes().get(item.purpose, (item.purpose,))[0],
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        test_form=test_form or SendTestForm(formdata=None),
        schedule_form=schedule_form,
        action_form=ActionForm(formdata=None),
        can_send=current_user.role in SENDERS,
        events=events_for("mailing", item.id),
    )


@bp.post("/mailings/<int:mailing_id>/attachments")
@accepts_files("file")
@roles_required(*EDITORS)
def add_attachment(mailing_id: int):
    """Upload a PDF to a draft press release."""
    mailing = db.get_or_404(Mailing, mailing_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(url_for("mailings.edit_mailing", mailing_id=mailing.id))
    try:
        attachment = attachments.add_attachment(mailing, form.file.data, form.title.data)
    except (attachments.UploadError, services.MailingError) as error:
        db.session.rollback()
        flash(f"Not attached: {error}", "danger")
    else:
        db.session.commit()
        flash(f"Attached {attachment.original_name}: send a new test.", "success")
    return redirect(url_for("mailings.edit_mailing", mailing_id=mailing.id) + "#attachments")


def _attachment(mailing_id: int, attachment_id: int) -> tuple[Mailing, MailingAttachment]:
    mailing = db.get_or_404(Mailing, mailing_id)
    attachment = db.session.get(MailingAttachment, attachment_id)
    if attachment is None or attachment.mailing_id != mailing.id:
        abort(404)
    return mailing, attachment


@bp.post("/mailings/<int:mailing_id>/attachments/<int:attachment_id>/delete")
@roles_required(*EDITORS)
def remove_attachment(mailing_id: int, attachment_id: int):
    """Remove an attachment of a draft; its file goes once the removal is committed."""
    if not ActionForm().validate_on_submit():
        abort(400)
    mailing, attachment = _attachment(mailing_id, attachment_id)
    try:
        stored_name = attachments.remove_attachment(mailing, attachment)
    except (attachments.UploadError, services.MailingError) as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        attachments.remove_file(stored_name)
        flash("Attachment removed: send a new test.", "success")
    return redirect(url_for("mailings.edit_mailing", mailing_id=mailing_id) + "#attachments")


@bp.get("/mailings/<int:mailing_id>/attachments/<int:attachment_id>")
@roles_required(*STAFF)
def download_attachment(mailing_id: int, attachment_id: int):
    """Staff read an attachment before publication (always as a download)."""
    _, attachment = _attachment(mailing_id, attachment_id)
    return send_attachment(attachment)


def send_attachment(attachment: MailingAttachment):
    """The stored PDF as a download, never rendered inline."""
    path = attachments.path_of(attachment.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=attachments.CONTENT_TYPE,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


from crm.mailings import mailing_report_views, mailing_send_views  # noqa: E402, F401
