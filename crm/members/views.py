"""Directory, organisation pages and the forms that change them."""

from datetime import date

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.audit.services import events_for_organisation
from crm.auth.decorators import login_required_any_role, roles_required
from crm.auth.roles import STAFF, Role
from crm.csvutil import csv_stream
from crm.extensions import db
from crm.formutil import choices
from crm.members import access, bp, services
from crm.members.directory import SORT_LABELS, STATUS_FILTERS, DirectoryQuery, directory_select
from crm.members.forms import ConfirmForm, MembershipForm, OrganisationForm, PersonForm
from crm.members.models import Membership, Organisation, Person
from crm.members.vocab import COUNTRY_CHOICES, OrgKind
from crm.web import page_arg

DIRECTORY_ROLES = (*STAFF, Role.ASSOCIATION)


def association_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.acronym, Organisation.country)
        .where(Organisation.kind == OrgKind.ASSOCIATION)
        .order_by(Organisation.sort_name)
    )
    return [(r.id, f"{r.acronym or r.name} ({r.country})") for r in rows]


def _form_errors_from(error: services.MemberError, form) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        flash(str(error), "danger")


@bp.get("/organisations")
@roles_required(*DIRECTORY_ROLES)
def directory():
    """Search, filter, sort and page through the organisations the user may see."""
    query = DirectoryQuery.from_args(request.args)
    page = db.paginate(
        directory_select(query, current_user), page=page_arg(), per_page=50, error_out=False
    )
    return render_template(
        "members/directory.html",
        page=page,
        query=query,
        countries=COUNTRY_CHOICES,
        associations=association_choices(),
        sorts=SORT_LABELS,
        statuses=STATUS_FILTERS,
    )


@bp.get("/organisations/export.csv")
@roles_required(*DIRECTORY_ROLES)
def export_directory():
    """The filtered directory as CSV, one row per organisation with its primary contact."""
    query = DirectoryQuery.from_args(request.args)
    stmt = directory_select(query, current_user).options(selectinload(Organisation.people))
    header = [
        "id",
        "name",
        "acronym",
        "kind",
        "country",
        "city",
        "address",
        "postcode",
        "email",
        "phone",
        "website",
        "vat_number",
        "sme_size",
        "association",
        "membership_status",
        "contact_first_name",
        "contact_last_name",
        "contact_email",
    ]

    def rows():
        for org in db.session.scalars(stmt.execution_options(yield_per=500)):
            contact = next((p for p in org.people if p.is_primary_contact), None) or (
                org.people[0] if org.people else None
            )
            yield [
                org.id,
                org.name,
                org.acronym,
                org.kind,
                org.country,
                org.city,
                org.address,
                org.postcode,
                org.email,
                org.phone,
                org.website,
                org.vat_number,
                org.sme_size,
                org.association.acronym or org.association.name if org.association else "",
                org.membership_status,
                contact.first_name if contact else "",
                contact.last_name if contact else "",
                contact.email if contact else "",
            ]

    filename = f"organisations-{date.today().isoformat()}.csv"
    return Response(
        stream_with_context(csv_stream(header, rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@roles_required(*access.DIRECTORY_EDITORS)
def new_organisation():
    """Create an organisation."""
    form = OrganisationForm()
    form.association_id.choices = choices([(0, "— none —")] + association_choices())
    del form.move_membership
    if form.validate_on_submit():
        try:
            org = services.create_organisation(form.data)
        except services.MemberError as error:
            _form_errors_from(error, form)
        else:
            db.session.commit()
            flash(f"{org.name} created.", "success")
            return redirect(url_for("members.organisation", org_id=org.id))
    return render_template("members/organisation_form.html", form=form, org=None)


@bp.get("/organisations/<int:org_id>")
@login_required_any_role
def organisation(org_id: int):
    """An organisation with its people, memberships, association, timeline and audit trail."""
    # Imported here: the policy package imports the members models, which import this module.
    from crm.policy.timeline import for_organisation, timeline_page

    org = access.require_view(db.get_or_404(Organisation, org_id))
    member_count = None
    if org.is_association:
        member_count = db.session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.association_id == org.id)
        )
    return render_template(
        "members/organisation.html",
        org=org,
        events=events_for_organisation(org.id, internal=current_user.is_staff),
        can_edit=access.can_edit_organisation(current_user, org),
        can_manage_memberships=access.can_manage_memberships(current_user),
        member_count=member_count,
        delete_form=ConfirmForm(),
        timeline=timeline_page(
            for_organisation(org.id), current_user, page=request.args.get("tpage", 1, type=int)
        ),
    )


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@login_required_any_role
def edit_organisation(org_id: int):
    """Edit an organisation; a change of association never drops its memberships."""
    org = access.require_edit(db.get_or_404(Organisation, org_id))
    form = OrganisationForm(obj=org)
    form.association_id.choices = choices([(0, "— none —")] + association_choices())
    may_move = current_user.role in access.DIRECTORY_EDITORS
    if not may_move:
        # Scoped users cannot move a company between associations, change what kind of
        # organisation it is, or read the secretariat's internal notes.
        del form.association_id
        del form.move_membership
        del form.kind
        del form.notes
    if request.method == "GET" and may_move:
        form.association_id.data = org.association_id or 0
    if form.validate_on_submit():
        data = {
            k: v for k, v in form.data.items() if k in services.ORG_FIELDS and k != "association_id"
        }
        try:
            services.update_organisation(org, data)
            if may_move:
                # A national association belongs to no other association.
                target = None if org.is_association else form.association_id.data
                change = services.change_association(
                    org, target, move_membership=form.move_membership.data
                )
                if change.closed:
                    flash(
                        "The membership through the old association was closed and kept in "
                        "history; a new period continues through the new one.",
                        "info",
                    )
                elif change.moved:
                    flash(
                        "The membership now runs through the new association, same dates.", "info"
                    )
        except services.MemberError as error:
            db.session.rollback()
            _form_errors_from(error, form)
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("members.organisation", org_id=org.id))
    return render_template("members/organisation_form.html", form=form, org=org)


@bp.post("/organisations/<int:org_id>/delete")
@roles_required(Role.ADMIN)
def delete_organisation(org_id: int):
    """Delete an organisation that nothing depends on any more."""
    org = db.get_or_404(Organisation, org_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_organisation(org)
    except services.MemberError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("members.organisation", org_id=org_id))
    db.session.commit()
    flash("Organisation deleted.", "success")
    return redirect(url_for("members.directory"))


@bp.route("/organisations/<int:org_id>/people/new", methods=["GET", "POST"])
@login_required_any_role
def new_person(org_id: int):
    """Add a contact to an organisation."""
    org = access.require_edit(db.get_or_404(Organisation, org_id))
    form = PersonForm()
    if form.validate_on_submit():
        try:
            services.create_person({**form.data, "organisation_id": org.id})
        except services.MemberError as error:
            _form_errors_from(error, form)
        else:
            db.session.commit()
            flash("Contact added.", "success")
            return redirect(url_for("members.organisation", org_id=org.id))
    return render_template("members/person_form.html", form=form, org=org, person=None)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required_any_role
def edit_person(person_id: int):
    """Edit a contact."""
    person = access.require_person_edit(db.get_or_404(Person, person_id))
    form = PersonForm(obj=person)
    if form.validate_on_submit():
        try:
            services.update_person(
                person, {k: v for k, v in form.data.items() if k in services.PERSON_FIELDS}
            )
        except services.MemberError as error:
            _form_errors_from(error, form)
        else:
            db.session.commit()
            flash("Contact saved.", "success")
            return redirect(
                url_for("members.organisation", org_id=person.organisation_id)
                if person.organisation_id
                else url_for("members.directory")
            )
    return render_template(
        "members/person_form.html",
        form=form,
        org=person.organisation,
        person=person,
        delete_form=ConfirmForm(),
    )


@bp.post("/people/<int:person_id>/delete")
@login_required_any_role
def delete_person(person_id: int):
    """Delete a contact."""
    person = access.require_person_edit(db.get_or_404(Person, person_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    org_id = person.organisation_id
    services.delete_person(person)
    db.session.commit()
    flash("Contact deleted.", "success")
    return redirect(
        url_for("members.organisation", org_id=org_id) if org_id else url_for("dashboard.index")
    )


def _membership_form(org: Organisation, membership: Membership | None):
    form = MembershipForm(obj=membership)
    form.via_association_id.choices = choices([(0, "—")] + association_choices())
    if request.method == "GET" and membership is None:
        form.start_date.data = date.today()
        if org.association_id:
            form.route.data = "association"
            form.via_association_id.data = org.association_id
    return form


@bp.route("/organisations/<int:org_id>/memberships/new", methods=["GET", "POST"])
@roles_required(*access.DIRECTORY_EDITORS)
def new_membership(org_id: int):
    """Open a membership period."""
    org = db.get_or_404(Organisation, org_id)
    form = _membership_form(org, None)
    if form.validate_on_submit():
        try:
            services.create_membership(org, form.data)
        except services.MemberError as error:
            _form_errors_from(error, form)
        else:
            db.session.commit()
            flash("Membership added.", "success")
            return redirect(url_for("members.organisation", org_id=org.id))
    return render_template("members/membership_form.html", form=form, org=org, membership=None)


@bp.route("/memberships/<int:membership_id>/edit", methods=["GET", "POST"])
@roles_required(*access.DIRECTORY_EDITORS)
def edit_membership(membership_id: int):
    """Change a membership's dates (renewal, resignation) or route."""
    membership = db.get_or_404(Membership, membership_id)
    org = membership.organisation
    form = _membership_form(org, membership)
    if form.validate_on_submit():
        data = {
            k: v
            for k, v in form.data.items()
            if k
            in ("route", "via_association_id", "start_date", "end_date", "resigned_on", "notes")
        }
        try:
            services.update_membership(membership, data)
        except services.MemberError as error:
            db.session.rollback()
            _form_errors_from(error, form)
        else:
            db.session.commit()
            flash("Membership saved.", "success")
            return redirect(url_for("members.organisation", org_id=org.id))
    return render_template(
        "members/membership_form.html", form=form, org=org, membership=membership
    )
