"""Officers create and edit declarations and their texts; staff read them. Thin views over
services.py: validate, call the service, commit once."""

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from crm.audit.services import events_for
from crm.auth.decorators import roles_required
from crm.auth.roles import STAFF, Role
from crm.declarations import bp, services, signing
from crm.declarations.forms import DeclarationForm, NewDeclarationForm, TextForm
from crm.declarations.models import Declaration, DeclarationVersion, Signature
from crm.extensions import db
from crm.formutil import choices
from crm.markdown import render_markdown
from crm.policy.models import Campaign

EDITORS = (Role.ADMIN, Role.OFFICER)


def _campaign_choices():
    rows = db.session.execute(select(Campaign.id, Campaign.title).order_by(Campaign.title))
    return choices([(0, "— none —")] + [(r.id, r.title) for r in rows])


def _refuse(error: services.DeclarationError, form) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "danger")


def _settings(form) -> dict:
    data = {name: form[name].data for name in services.DECLARATION_FIELDS if name in form}
    data["slug"] = form.slug.data
    return data


@bp.get("/staff/declarations")
@roles_required(*STAFF)
def manage():
    """Every declaration with its current title and confirmed count."""
    declarations = db.session.scalars(
        select(Declaration).order_by(Declaration.open_on.desc(), Declaration.id.desc())
    ).all()
    rows = []
    for item in declarations:
        version = services.current_version(item)
        text = version and (
            services.text_for(version, item.default_language) or (version.texts or [None])[0]
        )
        rows.append((item, text, signing.confirmed_count(item.id), signing.is_open(item)))
    return render_template("declarations/officer_list.html", rows=rows)


@bp.route("/staff/declarations/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_declaration():
    """Create a declaration with its text in the default language."""
    form = NewDeclarationForm()
    form.campaign_id.choices = _campaign_choices()
    if request.method == "GET" and request.args.get("campaign_id", type=int):
        form.campaign_id.data = request.args.get("campaign_id", type=int)
    if form.validate_on_submit():
        text = {
            "title": form.title.data,
            "body": form.body.data,
            "consent_label": form.consent_label.data,
        }
        try:
            item = services.create_declaration(_settings(form), {form.default_language.data: text})
        except services.DeclarationError as error:
            db.session.rollback()
            _refuse(error, form)
        else:
            db.session.commit()
            flash("Declaration created. Add its other languages below.", "success")
            return redirect(url_for("declarations.edit_declaration", declaration_id=item.id))
    return render_template("declarations/officer_new.html", form=form)


@bp.get("/staff/declarations/<int:declaration_id>")
@roles_required(*STAFF)
def declaration(declaration_id: int):
    """A declaration: settings, texts of the current version, versions, counts, history."""
    item = db.get_or_404(Declaration, declaration_id)
    version = services.current_version(item)
    counts = dict(
        db.session.execute(
            select(Signature.status, func.count())
            .where(Signature.declaration_id == item.id)
            .group_by(Signature.status)
        ).all()
    )
    per_version = dict(
        db.session.execute(
            select(Signature.version_id, func.count())
            .where(Signature.declaration_id == item.id)
            .group_by(Signature.version_id)
        ).all()
    )
    versions = db.session.scalars(
        select(DeclarationVersion)
        .where(DeclarationVersion.declaration_id == item.id)
        .order_by(DeclarationVersion.number.desc())
    ).all()
    texts = sorted(version.texts, key=lambda t: t.language) if version else []
    return render_template(
        "declarations/officer_declaration.html",
        declaration=item,
        version=version,
        texts=[(t, render_markdown(t.body)) for t in texts],
        versions=versions,
        per_version=per_version,
        counts=counts,
        published=signing.confirmed_count(item.id),
        is_open=signing.is_open(item),
        events=events_for("declaration", item.id),
    )


def _text_forms(item: Declaration) -> list[tuple[str, str, TextForm]]:
    version = services.current_version(item)
    languages = list(services.EDITED_LANGUAGES) + sorted(
        {t.language for t in version.texts} - set(services.EDITED_LANGUAGES)
    )
    forms = []
    for language in languages:
        text = services.text_for(version, language)
        form = TextForm(formdata=None, obj=text, prefix=f"t-{language}")
        forms.append((language, services.LANGUAGE_NAMES.get(language, language), form))
    return forms


@bp.route("/staff/declarations/<int:declaration_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_declaration(declaration_id: int):
    """Edit a declaration's settings, and (below, one form per language) its texts."""
    item = db.get_or_404(Declaration, declaration_id)
    form = DeclarationForm(obj=item)
    form.campaign_id.choices = _campaign_choices()
    if request.method == "GET":
        form.campaign_id.data = item.campaign_id or 0
    if form.validate_on_submit():
        try:
            services.update_declaration(item, _settings(form))
        except services.DeclarationError as error:
            db.session.rollback()
            _refuse(error, form)
        else:
            db.session.commit()
            flash("Declaration saved.", "success")
            return redirect(url_for("declarations.declaration", declaration_id=item.id))
    return _edit_page(item, form, _text_forms(item))


def _edit_page(item: Declaration, settings: DeclarationForm, text_forms: list):
    """The edit page: settings, one text form per language, and how a text save will land."""
    version = services.current_version(item)
    return render_template(
        "declarations/officer_edit.html",
        declaration=item,
        form=settings,
        text_forms=text_forms,
        has_signatures=services.has_signatures(version),
        new_version_on_save=services.needs_new_version(item, version),
    )


@bp.post("/staff/declarations/<int:declaration_id>/text")
@roles_required(*EDITORS)
def save_text(declaration_id: int):
    """Save one language's text: in place until the declaration opens, else as a new version."""
    item = db.get_or_404(Declaration, declaration_id)
    language = request.form.get("language", "")
    if not language.isascii() or not language.isalpha() or not 2 <= len(language) <= 5:
        abort(400, "Choose a language.")
    form = TextForm(prefix=f"t-{language}")
    if form.validate_on_submit():
        try:
            version = services.save_text(item, language, form.data)
        except services.DeclarationError as error:
            db.session.rollback()
            _refuse(error, form)
        else:
            db.session.commit()
            flash(f"Text ({language}) saved in version {version.number}.", "success")
            return redirect(url_for("declarations.edit_declaration", declaration_id=item.id))
    settings = DeclarationForm(obj=item, formdata=None)
    settings.campaign_id.choices = _campaign_choices()
    settings.campaign_id.data = item.campaign_id or 0
    text_forms = [
        (lang, name, form if lang == language else f) for lang, name, f in _text_forms(item)
    ]
    return _edit_page(item, settings, text_forms)
