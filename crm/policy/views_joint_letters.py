"""Joint letters: staff invite co-signing organisations and record their answers; members
answer their own organisation's invitation until the deadline; the signatory list and CSV."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from crm.auth.decorators import roles_required
from crm.auth.roles import Role
from crm.csvutil import csv_stream
from crm.extensions import db
from crm.members.directory import DirectoryQuery, directory_select
from crm.policy import bp, vocab
from crm.policy import services_campaigns as services
from crm.policy.forms import AnswerForm, InviteForm, MemberAnswerForm
from crm.policy.models import Campaign, JointLetterSignatory
from crm.policy.services import PolicyError
from crm.policy.viewutil import POLICY_EDITORS, POLICY_READERS, form_error

SEARCH_LIMIT = 25


def _joint_letter_or_404(campaign_id: int) -> Campaign:
    campaign = db.get_or_404(Campaign, campaign_id)
    if campaign.kind != "joint_letter":
        abort(404)
    return campaign


def _render_invite(campaign: Campaign, form: InviteForm, status: int = 200):
    q = request.args.get("q", "").strip()[:200]
    matches = []
    if q:
        matches = db.session.scalars(
            directory_select(DirectoryQuery(q=q), current_user).limit(SEARCH_LIMIT)
        ).all()
    invited = set(
        db.session.scalars(
            select(JointLetterSignatory.organisation_id).where(
                JointLetterSignatory.campaign_id == campaign.id
            )
        )
    )
    return (
        render_template(
            "policy/joint_letter_invite.html",
            campaign=campaign,
            form=form,
            q=q,
            matches=matches,
            invited=invited,
            limit=SEARCH_LIMIT,
        ),
        status,
    )


@bp.get("/campaigns/<int:campaign_id>/invite")
@roles_required(*POLICY_EDITORS)
def invite_organisations(campaign_id: int):
    """Search the member directory for organisations to invite to co-sign."""
    return _render_invite(_joint_letter_or_404(campaign_id), InviteForm(formdata=None))


@bp.post("/campaigns/<int:campaign_id>/invite")
@roles_required(*POLICY_EDITORS)
def invite_organisation(campaign_id: int):
    """Invite one organisation; inviting it again changes nothing, and says so."""
    campaign = _joint_letter_or_404(campaign_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = services.invite(campaign, form.organisation_id.data)
        except PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            name = invitation.signatory.organisation.name
            if invitation.created:
                flash(f"{name} is invited to co-sign.", "success")
            else:
                flash(
                    f"{name} was already invited (answer: {invitation.signatory.status}); "
                    "nothing changed.",
                    "info",
                )
            return redirect(
                url_for(
                    "policy.invite_organisations",
                    campaign_id=campaign.id,
                    q=request.args.get("q", ""),
                )
            )
    for error in form.organisation_id.errors:
        flash(f"Organisation: {error}", "danger")
    return _render_invite(campaign, form)


@bp.route("/signatories/<int:signatory_id>/answer", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def signatory_answer(signatory_id: int):
    """Staff record an organisation's answer (any time: they record what was said)."""
    signatory = db.get_or_404(JointLetterSignatory, signatory_id)
    form = AnswerForm(obj=signatory)
    if form.validate_on_submit():
        try:
            services.record_answer(signatory, form.status.data, form.note.data)
        except PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Answer recorded.", "success")
            return redirect(url_for("policy.campaign", campaign_id=signatory.campaign_id))
    return render_template("policy/signatory_answer.html", form=form, signatory=signatory)


def agreed_signatories(campaign: Campaign) -> list[JointLetterSignatory]:
    """The organisations that agreed, by country name and then by name."""
    rows = db.session.scalars(
        select(JointLetterSignatory)
        .join(JointLetterSignatory.organisation)
        .where(
            JointLetterSignatory.campaign_id == campaign.id,
            JointLetterSignatory.status == "agreed",
        )
        .options(joinedload(JointLetterSignatory.organisation))
    ).all()
    return sorted(rows, key=lambda s: (s.organisation.country_name, s.organisation.sort_name, s.id))


@bp.get("/campaigns/<int:campaign_id>/signatories")
@roles_required(*POLICY_READERS)
def signatories(campaign_id: int):
    """The signatory list of a joint letter: agreed organisations only."""
    campaign = _joint_letter_or_404(campaign_id)
    return render_template(
        "policy/signatories.html",
        campaign=campaign,
        signatories=agreed_signatories(campaign),
        deadline_passed=services.deadline_passed(campaign),
    )


@bp.get("/campaigns/<int:campaign_id>/signatories.csv")
@roles_required(*POLICY_READERS)
def signatories_csv(campaign_id: int):
    """The signatory list as CSV that spreadsheets cannot mistake for formulas."""
    campaign = _joint_letter_or_404(campaign_id)
    rows = [
        [
            s.organisation.name,
            s.organisation.acronym,
            s.organisation.country,
            s.organisation.country_name,
            s.responded_at.date().isoformat() if s.responded_at else "",
        ]
        for s in agreed_signatories(campaign)
    ]
    header = ["organisation", "acronym", "country", "country_name", "agreed_on"]
    filename = f"signatories-{campaign.slug}-{date.today().isoformat()}.csv"
    return Response(
        csv_stream(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- the member's side -------------------------------------------------------------------------


@bp.get("/joint-letters")
@roles_required(Role.MEMBER)
def my_invitations():
    """The joint letters the member's own organisation is invited to co-sign."""
    items = db.session.scalars(
        select(JointLetterSignatory)
        .join(JointLetterSignatory.campaign)
        .where(
            JointLetterSignatory.organisation_id == current_user.organisation_id,
            Campaign.kind == "joint_letter",
        )
        .options(contains_eager(JointLetterSignatory.campaign))
        .order_by(JointLetterSignatory.id.desc())
    ).all()
    return render_template("policy/my_invitations.html", invitations=items, today=date.today())


@bp.route("/joint-letters/<int:signatory_id>", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def my_invitation(signatory_id: int):
    """Read the letter and answer for one's own organisation, until the deadline."""
    signatory = db.get_or_404(JointLetterSignatory, signatory_id)
    if signatory.campaign.kind != "joint_letter":
        abort(404)  # staff made it another kind of campaign: no longer a letter to answer
    if (
        current_user.organisation_id is None
        or signatory.organisation_id != current_user.organisation_id
    ):
        abort(403)
    campaign = signatory.campaign
    closed = services.deadline_passed(campaign)
    form = MemberAnswerForm()
    if request.method == "GET" and signatory.status in ("agreed", "declined"):
        form.status.data = signatory.status
    if request.method == "POST":
        if closed:
            flash(
                f"The deadline to answer was {campaign.deadline}: answers are closed. "
                "Contact the secretariat if your answer has changed.",
                "danger",
            )
        elif form.validate_on_submit():
            try:
                services.record_answer(signatory, form.status.data, form.note.data, by_member=True)
            except PolicyError as error:
                db.session.rollback()
                form_error(error, form)
            else:
                db.session.commit()
                flash("Thank you: your answer is recorded.", "success")
                return redirect(url_for("policy.my_invitation", signatory_id=signatory.id))
    return render_template(
        "policy/my_invitation.html",
        signatory=signatory,
        campaign=campaign,
        form=form,
        closed=closed,
        statuses=vocab.JOINT_LETTER_STATUSES,
    )
