"""Admin pages for award levels: list them by scheme, add and edit them without a deploy."""

from flask import flash, redirect, render_template, url_for

from crm.auth.decorators import roles_required
from crm.auth.roles import Role
from crm.awards import bp, levels
from crm.awards.forms import LevelForm
from crm.awards.models import AwardLevel
from crm.extensions import db


def _field_error(error: levels.LevelError, form) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        flash(str(error), "danger")


def _level_data(form) -> dict:
    return {key: getattr(form, key).data for key in levels.LEVEL_FIELDS}


@bp.get("/awards/levels", endpoint="levels")
@roles_required(Role.ADMIN)
def levels_page():
    """Every award level, grouped by scheme, with the dates each applies."""
    return render_template("awards/levels.html", schemes=levels.levels_by_scheme())


@bp.route("/awards/levels/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_level():
    """Add a level (a Triple Silver, or a level of a new scheme)."""
    form = LevelForm()
    if form.validate_on_submit():
        try:
            level = levels.create_level(_level_data(form))
        except levels.LevelError as error:
            db.session.rollback()
            _field_error(error, form)
        else:
            db.session.commit()
            flash(f"Level {level.name} added.", "success")
            return redirect(url_for("awards.levels"))
    return render_template("awards/levels_form.html", form=form, level=None)


@bp.route("/awards/levels/<int:level_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_level(level_id: int):
    """Change a level's name, threshold, position, scheme or dates."""
    level = db.get_or_404(AwardLevel, level_id)
    form = LevelForm(obj=level)
    if form.validate_on_submit():
        try:
            levels.update_level(level, _level_data(form))
        except levels.LevelError as error:
            db.session.rollback()
            _field_error(error, form)
        else:
            db.session.commit()
            flash(f"Level {level.name} saved.", "success")
            return redirect(url_for("awards.levels"))
    return render_template("awards/levels_form.html", form=form, level=level)
