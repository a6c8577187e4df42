"""The action log: log, show, edit and delete actions; the participant search; my follow-ups."""

from datetime import date
from urllib.parse import urlsplit

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm.audit.services import events_for
from crm.auth.decorators import roles_required
from crm.auth.models import User
from crm.extensions import db
from crm.formutil import choices
from crm.members.forms import ConfirmForm
from crm.members.models import Organisation, Person
from crm.members.people_search import escape_like, find_people
from crm.policy import actions as services
from crm.policy import bp
from crm.policy.actions_forms import ActionForm
from crm.policy.followups import open_followups
from crm.policy.models import Action, ActionParticipant, Campaign, Dossier, Priority
from crm.policy.services import PolicyError
from crm.policy.viewutil import POLICY_EDITORS, POLICY_READERS, form_error, id_arg
from crm.policy.vocab import ACTION_KINDS

SEARCH_LIMIT = 15


@bp.app_template_filter("action_kind")
def action_kind_label(kind: str) -> str:
    """An action kind's label, for templates anywhere (the timeline is on member pages too)."""
    return ACTION_KINDS.get(kind, kind)


def _subject_choices(form: ActionForm) -> None:
    priorities = db.session.execute(
        select(Priority.id, Priority.title).order_by(Priority.position, Priority.title)
    )
    form.priority_id.choices = choices([(0, "— none —")] + [(r.id, r.title) for r in priorities])
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.title, Priority.title.label("priority"))
        .join(Priority, Campaign.priority_id == Priority.id)
        .order_by(Priority.position, Priority.title, Campaign.title)
    )
    form.campaign_id.choices = choices(
        [(0, "— none —")] + [(r.id, f"{r.title} ({r.priority})") for r in campaigns]
    )
    dossiers = db.session.execute(
        select(Dossier.id, Dossier.title, Dossier.reference).order_by(Dossier.title)
    )
    form.dossier_id.choices = choices(
        [(0, "— none —")]
        + [(r.id, f"{r.title} ({r.reference})" if r.reference else r.title) for r in dossiers]
    )
    assignees = db.session.execute(
        select(User.id, User.email)
        .where(User.role.in_([r.value for r in services.FOLLOWUP_ROLES]), User.active.is_(True))
        .order_by(User.email)
    )
    form.followup_assignee_id.choices = choices(
        [(0, "— none —")] + [(r.id, r.email) for r in assignees]
    )


def _participant_labels(tokens: list[str]) -> list[tuple[str, str]]:
    """(token, label) for the participants the form shows as checked boxes."""
    try:
        known = services.participants_from_tokens(tokens)
    except PolicyError:
        return []
    person_ids = [p.person_id for p in known if p.person_id]
    org_ids = [p.organisation_id for p in known if p.organisation_id]
    user_ids = [p.user_id for p in known if p.user_id]
    labels: dict[str, str] = {}
    for person in db.session.scalars(
        select(Person).where(Person.id.in_(person_ids)).options(joinedload(Person.organisation))
    ):
        org = f" ({person.organisation.name})" if person.organisation else ""
        labels[f"person:{person.id}"] = f"{person.full_name}{org}"
    for org in db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
    ):
        labels[f"organisation:{org.id}"] = org.name
    for user in db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids))):
        labels[f"user:{user.id}"] = f"{user.email} (staff)"
    return [(p.token, labels[p.token]) for p in known if p.token in labels]


def _arg_record(model, name: str):
    """The record a query-string id names, or None for anything that is not a sane id."""
    value = id_arg(name)
    return db.session.get(model, value) if value else None


def _prefill(form: ActionForm) -> None:
    """Subject and participants from the page the officer came from (bad ids are ignored)."""
    form.occurred_on.data = date.today()
    if current_user.role in services.FOLLOWUP_ROLES:
        form.followup_assignee_id.data = current_user.id
    campaign = _arg_record(Campaign, "campaign_id")
    dossier = _arg_record(Dossier, "dossier_id")
    priority = _arg_record(Priority, "priority_id")
    if campaign:
        form.campaign_id.data = campaign.id
    if dossier:
        form.dossier_id.data = dossier.id
    subject = priority or campaign or dossier
    if subject is not None:
        form.priority_id.data = priority.id if priority else subject.priority_id
    tokens = []
    person = _arg_record(Person, "person_id")
    if person:
        tokens.append(f"person:{person.id}")
    org = _arg_record(Organisation, "organisation_id")
    if org:
        tokens.append(f"organisation:{org.id}")
    form.participant.data = tokens


def _save(form: ActionForm, action: Action | None):
    data = {k: v for k, v in form.data.items() if k in services.ACTION_FIELDS}
    try:
        participants = services.resolve_participants(
            form.participant.data, form.participant_emails.data
        )
        if action is None:
            action = services.create_action(data, participants, logged_by=current_user)
        else:
            services.update_action(action, data, participants, edited_by=current_user)
    except PolicyError as error:
        db.session.rollback()
        form_error(error, form)
        return None
    db.session.commit()
    return action


def _render_form(form: ActionForm, action: Action | None):
    return render_template(
        "policy/action_form.html",
        form=form,
        action=action,
        chosen=_participant_labels(form.participant.data or []),
        back=request.args.get("next") if _safe_next(request.args.get("next")) else None,
    )


def _safe_next(target: str | None) -> bool:
    """A path on this site only: browsers drop tabs and newlines and read "\\" as "/", so
    "/<tab>/evil.example" or "/\\evil.example" would leave the site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@bp.route("/actions/new", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def new_action():
    """Log an action; the subject and participants come prefilled from the record page."""
    form = ActionForm()
    if request.method == "GET":
        _prefill(form)
    _subject_choices(form)
    if form.validate_on_submit():
        action = _save(form, None)
        if action is not None:
            flash("Action logged.", "success")
            target = request.args.get("next")
            if _safe_next(target):
                return redirect(target)
            return redirect(url_for("policy.action", action_id=action.id))
    return _render_form(form, None)


def _load(action_id: int) -> Action:
    action = db.session.scalar(
        select(Action)
        .where(Action.id == action_id)
        .options(
            joinedload(Action.priority),
            joinedload(Action.campaign),
            joinedload(Action.dossier),
            joinedload(Action.logged_by),
            joinedload(Action.followup_assignee),
            selectinload(Action.participants).options(
                joinedload(ActionParticipant.person).joinedload(Person.organisation),
                joinedload(ActionParticipant.organisation),
                joinedload(ActionParticipant.user),
            ),
        )
    )
    if action is None:
        abort(404)
    return action


@bp.get("/actions/<int:action_id>")
@roles_required(*POLICY_READERS)
def action(action_id: int):
    """One action with its participants, subject, follow-up and audit trail."""
    item = _load(action_id)
    return render_template(
        "policy/action.html",
        action=item,
        events=events_for("action", item.id),
        confirm_form=ConfirmForm(),
        today=date.today(),
    )


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def edit_action(action_id: int):
    """Change an action, its participants or its follow-up."""
    item = _load(action_id)
    form = ActionForm(obj=item)
    if request.method == "GET":
        form.participant.data = sorted(
            services.Participant(p.person_id, p.organisation_id, p.user_id).token
            for p in item.participants
        )
    _subject_choices(form)
    if form.validate_on_submit() and _save(form, item) is not None:
        flash("Action saved.", "success")
        return redirect(url_for("policy.action", action_id=item.id))
    return _render_form(form, item)


@bp.post("/actions/<int:action_id>/delete")
@roles_required(*POLICY_EDITORS)
def delete_action(action_id: int):
    """Delete an action."""
    item = db.get_or_404(Action, action_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.delete_action(item)
    db.session.commit()
    flash("Action deleted.", "success")
    return redirect(url_for("policy.followups"))


@bp.post("/actions/<int:action_id>/follow-up/done")
@roles_required(*POLICY_EDITORS)
def complete_followup(action_id: int):
    """Mark an action's follow-up done."""
    item = db.get_or_404(Action, action_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.complete_followup(item):
        db.session.commit()
        flash("Follow-up marked done.", "success")
    else:
        flash("There is no open follow-up on this action.", "info")
    target = request.form.get("next")
    if _safe_next(target):
        return redirect(target)
    return redirect(url_for("policy.followups"))


@bp.get("/follow-ups")
@roles_required(*POLICY_READERS)
def followups():
    """My open follow-ups: overdue first, then due this week, then later."""
    return render_template(
        "policy/followups.html",
        groups=open_followups(current_user.id, date.today()),
        confirm_form=ConfirmForm(),
        today=date.today(),
    )


@bp.get("/actions/participants.json")
@roles_required(*POLICY_READERS)
def participants_json():
    """People, organisations and staff users matching ?q=, for the participant search."""
    q = (request.args.get("q") or "").strip()[:100]
    if len(q) < 2:
        return jsonify(results=[])
    like = escape_like(q) + "%"
    results = []
    people = find_people(q, SEARCH_LIMIT)
    for person in people:
        org = person.organisation.name if person.organisation else None
        results.append(
            {
                "token": f"person:{person.id}",
                "label": person.full_name + (f" ({org})" if org else ""),
                "email": person.email,
                "type": "person",
            }
        )
    orgs = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(
            or_(
                Organisation.name.ilike(like, escape="\\"),
                Organisation.sort_name.ilike(like, escape="\\"),
            )
        )
        .order_by(Organisation.sort_name, Organisation.id)
        .limit(SEARCH_LIMIT)
    )
    for org in orgs:
        results.append(
            {"token": f"organisation:{org.id}", "label": org.name, "type": "organisation"}
        )
    users = db.session.execute(
        select(User.id, User.email)
        .where(services.STAFF_USER, User.email.like(like.lower(), escape="\\"))
        .order_by(User.email)
        .limit(SEARCH_LIMIT)
    )
    for user in users:
        results.append(
            {"token": f"user:{user.id}", "label": f"{user.email} (staff)", "type": "user"}
        )
    return jsonify(results=results)
