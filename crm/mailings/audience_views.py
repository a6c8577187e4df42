"""Audiences and static lists (staff): comms and admins manage them, officers see them and their
counts; association and member users never."""

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.extensions import db
from crm.mailings import audience_services as services
from crm.mailings import bp
from crm.mailings.audience_forms import (
    AudienceForm,
    EntriesForm,
    RemoveEntriesForm,
    criteria_choices,
    set_choices,
)
from crm.mailings.audience_models import Audience, AudienceEntry
from crm.mailings.audiences import (
    CRITERIA,
    AudienceError,
    count_of,
    filters_problem,
    preview_of,
    recipients,
    recipients_for_filters,
    safe_count,
)
from crm.mailings.consent import PURPOSES
from crm.members.forms import ConfirmForm
from crm.members.models import Person
from crm.members.people_search import find_people
from crm.web import page_arg

MANAGERS = (Role.ADMIN, Role.COMMS)
READERS = STAFF
PREVIEW_SIZE = 50
SEARCH_LIMIT = 20
INDEX_PAGE = 20


def _purpose() -> str:
    purpose = request.values.get("purpose", "")
    return purpose if purpose in PURPOSES else "member_communications"


def _form_error(error: AudienceError, form) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        flash(str(error), "danger")


def _filters(form: AudienceForm) -> dict:
    return {"include": form.include.form.criteria(), "exclude": form.exclude.form.criteria()}


def describe(filters: dict, found: dict) -> list[tuple[str, str, str]]:
    """(section, criterion label, values) lines that say what a segment's filters mean; stored
    filters that are no longer valid are shown as they are, never a 500."""
    lines = []
    for section in ("include", "exclude"):
        criteria = filters.get(section) if isinstance(filters, dict) else None
        for key, values in (criteria if isinstance(criteria, dict) else {}).items():
            if key not in CRITERIA:
                continue
            names = dict(found.get(key, []))
            if isinstance(values, list):
                shown = ", ".join(
                    str(names.get(v, v) if isinstance(v, int | str) else v) for v in values
                )
            else:
                shown = str(values)
            lines.append((section, CRITERIA[key][0], shown))
    return lines


@bp.get("/mailings/audiences")
@roles_required(*READERS)
def audiences():
    """The audiences a page at a time, each with how many people it reaches for the purpose."""
    purpose = _purpose()
    # A count is one statement over the person table: a page bounds them to INDEX_PAGE.
    page = db.paginate(
        select(Audience).order_by(Audience.name, Audience.id),
        page=page_arg(),
        per_page=INDEX_PAGE,
        error_out=False,
    )
    rows = [(audience, *safe_count(audience, purpose)) for audience in page.items]
    return render_template(
        "mailings/audiences.html",
        page=page,
        rows=rows,
        purpose=purpose,
        purposes=PURPOSES,
        can_manage=current_user.role in MANAGERS,
    )


def _show_form(form, audience, count=None, rows=None):
    return render_template(
        "mailings/audience_form.html",
        form=form,
        audience=audience,
        count=count,
        rows=rows,
        purpose_label=PURPOSES.get(form.purpose.data, PURPOSES["member_communications"])[0],
    )


def _submit(form: AudienceForm, audience: Audience | None):
    """Validate; with "Preview" show the count and first recipients, with "Save" save."""
    kind = audience.kind if audience else form.kind.data
    if not form.validate_on_submit():
        return _show_form(form, audience)
    filters = _filters(form)
    if kind == "static":
        filters["include"] = {}
    if form.preview.data:
        try:
            if kind == "static" and audience is not None:
                probe = Audience(
                    id=audience.id,
                    kind="static",
                    filters=filters,
                    scope_association_id=audience.scope_association_id,
                )
                stmt = recipients(probe, form.purpose.data)
            elif kind == "static":
                flash("A new static list has nobody on it yet: save it, then add people.", "info")
                return _show_form(form, audience)
            else:
                scope = audience.scope_association_id if audience else None
                stmt = recipients_for_filters(filters, form.purpose.data, scope)
            return _show_form(form, audience, count_of(stmt), preview_of(stmt))
        except AudienceError as error:
            _form_error(error, form)
            return _show_form(form, audience)
    data = {
        "name": form.name.data,
        "description": form.description.data,
        "kind": kind,
        "filters": filters,
    }
    try:
        if audience is None:
            audience = services.create_audience(data, current_user)
        else:
            services.update_audience(audience, data)
    except AudienceError as error:
        db.session.rollback()
        _form_error(error, form)
        return _show_form(form, audience)
    db.session.commit()
    flash(f"Audience {audience.name} saved.", "success")
    return redirect(
        url_for("mailings.audience", audience_id=audience.id, purpose=form.purpose.data)
    )


@bp.route("/mailings/audiences/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_audience():
    """A new saved segment or static list; "Preview" shows who is in without saving."""
    form = AudienceForm()
    if request.method == "GET" and request.args.get("kind") in services.KINDS:
        form.kind.data = request.args["kind"]
    set_choices(form)
    return _submit(form, None)


@bp.route("/mailings/audiences/<int:audience_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_audience(audience_id: int):
    """Change an audience's name, description and filters."""
    audience = db.get_or_404(Audience, audience_id)
    form = AudienceForm(data=_initial(audience) if request.method == "GET" else None)
    del form.kind
    set_choices(form)
    return _submit(form, audience)


def _initial(audience: Audience) -> dict:
    filters = audience.filters if isinstance(audience.filters, dict) else {}

    def side(name):
        criteria = filters.get(name)
        return criteria if isinstance(criteria, dict) else {}

    return {
        "name": audience.name,
        "description": audience.description,
        "include": side("include"),
        "exclude": side("exclude"),
        "purpose": _purpose(),
    }


def _entries_page(audience: Audience):
    return db.paginate(
        select(Person)
        .join(AudienceEntry, AudienceEntry.person_id == Person.id)
        .where(AudienceEntry.audience_id == audience.id)
        .options(joinedload(Person.organisation))
        .order_by(Person.last_name, Person.first_name, Person.id),
        page=page_arg(),
        per_page=50,
        error_out=False,
    )


def _show_audience(audience: Audience, entries_form=None, problems=None, status=200):
    purpose = _purpose()
    invalid = filters_problem(audience)
    stmt = recipients(audience, purpose) if invalid is None else None
    static = audience.kind == "static"
    manage = current_user.role in MANAGERS
    return (
        render_template(
            "mailings/audience.html",
            audience=audience,
            purpose=purpose,
            purposes=PURPOSES,
            invalid=invalid,
            count=count_of(stmt) if stmt is not None else 0,
            rows=preview_of(stmt, PREVIEW_SIZE) if stmt is not None else [],
            lines=describe(audience.filters, criteria_choices()),
            can_manage=manage,
            entries=_entries_page(audience) if static else None,
            found=find_people(request.args.get("q", ""), SEARCH_LIMIT) if static and manage else [],
            q=request.args.get("q", ""),
            entries_form=entries_form or EntriesForm(),
            remove_form=RemoveEntriesForm(),
            delete_form=ConfirmForm(),
            problems=problems or [],
            used_by=services.mailings_using(audience),
            segments=services.segments_using(audience),
        ),
        status,
    )


@bp.get("/mailings/audiences/<int:audience_id>")
@roles_required(*READERS)
def audience(audience_id: int):
    """An audience: what it means, how many it reaches and the first 50; a list's people."""
    return _show_audience(db.get_or_404(Audience, audience_id))


@bp.get("/mailings/audiences/count.json")
@roles_required(*READERS)
def audience_count_json():
    """The live count of the audience form's filters (progressive enhancement)."""
    form = AudienceForm(formdata=MultiDict(request.args), meta={"csrf": False})
    set_choices(form)
    audience_id = request.args.get("audience_id", "")
    audience = None
    if audience_id.isascii() and audience_id.isdigit() and len(audience_id) < 10:
        audience = db.session.get(Audience, int(audience_id))
    fields = [form.include, form.exclude, form.purpose]
    if not all(field.validate(form) for field in fields):
        return jsonify(errors={f.name: f.errors for f in fields if f.errors}), 400
    filters = _filters(form)
    try:
        if audience is not None and audience.kind == "static":
            probe = Audience(
                id=audience.id,
                kind="static",
                filters={**filters, "include": {}},
                scope_association_id=audience.scope_association_id,
            )
            stmt = recipients(probe, form.purpose.data)
        else:
            scope = audience.scope_association_id if audience else None
            stmt = recipients_for_filters(filters, form.purpose.data, scope)
    except AudienceError as error:
        return jsonify(errors={"filters": [str(error)]}), 400
    return jsonify(count=count_of(stmt), purpose=form.purpose.data)


@bp.post("/mailings/audiences/<int:audience_id>/delete")
@roles_required(*MANAGERS)
def delete_audience(audience_id: int):
    """Delete an audience, unless a mailing beyond draft uses it."""
    audience = db.get_or_404(Audience, audience_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = audience.name
    try:
        services.delete_audience(audience)
    except AudienceError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("mailings.audience", audience_id=audience_id))
    db.session.commit()
    flash(f"Audience {name} deleted.", "success")
    return redirect(url_for("mailings.audiences"))


# The static-list routes live beside this module; importing registers them on the blueprint.
from crm.mailings import audience_list_views  # noqa: E402, F401
