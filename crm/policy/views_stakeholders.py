"""The stakeholder directory: policymakers and journalists, their profiles and timelines."""

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import literal, or_, select
from sqlalchemy.orm import contains_eager

from crm.auth.decorators import roles_required
from crm.extensions import db
from crm.formutil import choices
from crm.members.models import Organisation, Person
from crm.members.people_search import escape_like
from crm.members.vocab import COUNTRY_CHOICES, OrgKind
from crm.policy import bp, vocab
from crm.policy import services_stakeholders as services
from crm.policy.forms import StakeholderForm
from crm.policy.models import StakeholderProfile
from crm.policy.services import PolicyError
from crm.policy.timeline import for_person, timeline_page
from crm.policy.viewutil import (
    POLICY_EDITORS,
    POLICY_READERS,
    form_error,
    log_action_url,
)
from crm.web import page_arg

PAGE_SIZE = 50


@dataclass
class StakeholderQuery:
    q: str = ""
    kind: str = ""
    committee: str = ""
    group: str = ""
    country: str = ""

    @classmethod
    def from_args(cls, args) -> "StakeholderQuery":
        def pick(name, allowed):
            value = args.get(name, "")
            return value if value in allowed else ""

        return cls(
            q=args.get("q", "").strip()[:200],
            kind=pick("kind", vocab.STAKEHOLDER_KINDS),
            committee=pick("committee", vocab.EP_COMMITTEES),
            group=pick("group", vocab.EP_GROUPS),
            country=pick("country", dict(COUNTRY_CHOICES)),
        )

    def args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v}

    def select(self):
        """Profiles with their person and organisation, loaded in the same statement."""
        stmt = (
            select(StakeholderProfile)
            .join(StakeholderProfile.person)
            .options(contains_eager(StakeholderProfile.person).joinedload(Person.organisation))
            .order_by(Person.last_name, Person.first_name, StakeholderProfile.id)
        )
        for word in self.q.split()[:6]:
            pattern = f"%{escape_like(word)}%"
            stmt = stmt.where(
                or_(
                    Person.first_name.ilike(pattern, escape="\\"),
                    Person.last_name.ilike(pattern, escape="\\"),
                    StakeholderProfile.institution.ilike(pattern, escape="\\"),
                )
            )
        if self.kind:
            stmt = stmt.where(StakeholderProfile.kind == self.kind)
        if self.committee:
            # Codes are stored space-separated: pad both sides so that a code matches whole.
            padded = literal(" ") + StakeholderProfile.committees + literal(" ")
            stmt = stmt.where(padded.like(f"% {self.committee} %"))
        if self.group:
            stmt = stmt.where(StakeholderProfile.political_group == self.group)
        if self.country:
            stmt = stmt.where(StakeholderProfile.country == self.country)
        return stmt


@bp.get("/stakeholders")
@roles_required(*POLICY_READERS)
def stakeholders():
    """Search and filter policymakers and journalists."""
    query = StakeholderQuery.from_args(request.args)
    page = db.paginate(
        query.select(), page=page_arg(), per_page=PAGE_SIZE, max_per_page=100, error_out=False
    )
    return render_template(
        "policy/stakeholders.html",
        page=page,
        query=query,
        vocab=vocab,
        countries=COUNTRY_CHOICES,
    )


@bp.get("/stakeholders/<int:stakeholder_id>")
@roles_required(*POLICY_READERS)
def stakeholder(stakeholder_id: int):
    """A stakeholder's profile and the actions they took part in."""
    profile = db.get_or_404(StakeholderProfile, stakeholder_id)
    return render_template(
        "policy/stakeholder.html",
        profile=profile,
        person=profile.person,
        vocab=vocab,
        timeline=timeline_page(
            for_person(profile.person_id),
            current_user,
            page=page_arg("tpage"),
        ),
        timeline_url=url_for("policy.stakeholder", stakeholder_id=profile.id),
        log_url=log_action_url(person_id=profile.person_id),
    )


def _organisation_choices(current_id: int | None) -> list[tuple[int, str]]:
    stmt = select(Organisation.id, Organisation.name).where(
        or_(Organisation.kind == OrgKind.OTHER, Organisation.id == (current_id or 0))
    )
    rows = db.session.execute(stmt.order_by(Organisation.sort_name))
    return [(0, "— none —")] + [(r.id, r.name) for r in rows]


def _form(profile: StakeholderProfile | None) -> StakeholderForm:
    person = profile.person if profile else None
    form = StakeholderForm(obj=profile)
    form.organisation_id.choices = choices(
        _organisation_choices(person.organisation_id if person else None)
    )
    if request.method == "GET" and profile is not None:
        for field in ("first_name", "last_name", "email", "phone"):
            getattr(form, field).data = getattr(person, field)
        form.organisation_id.data = person.organisation_id or 0
        form.committees.data = (profile.committees or "").split()
        form.political_group.data = profile.political_group or ""
        form.country.data = profile.country or ""
    return form


@bp.route("/stakeholders/new", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def new_stakeholder():
    """Add a policymaker or journalist (a person in the directory, with a profile)."""
    form = _form(None)
    if form.validate_on_submit():
        try:
            profile = services.create_stakeholder(form.data)
        except PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash(f"{profile.person.full_name} added.", "success")
            return redirect(url_for("policy.stakeholder", stakeholder_id=profile.id))
    return render_template("policy/stakeholder_form.html", form=form, profile=None)


@bp.route("/stakeholders/<int:stakeholder_id>/edit", methods=["GET", "POST"])
@roles_required(*POLICY_EDITORS)
def edit_stakeholder(stakeholder_id: int):
    """Edit a stakeholder's person record and profile."""
    profile = db.get_or_404(StakeholderProfile, stakeholder_id)
    form = _form(profile)
    if form.validate_on_submit():
        try:
            services.update_stakeholder(profile, form.data)
        except PolicyError as error:
            db.session.rollback()
            form_error(error, form)
        else:
            db.session.commit()
            flash("Stakeholder saved.", "success")
            return redirect(url_for("policy.stakeholder", stakeholder_id=profile.id))
    return render_template("policy/stakeholder_form.html", form=form, profile=profile)
