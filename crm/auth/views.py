"""Login, logout, password reset and user administration."""

import hmac
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from crm.auth import bp, services
from crm.auth.decorators import roles_required
from crm.auth.forms import DeleteForm, ForgotPasswordForm, LoginForm, NewPasswordForm, UserForm
from crm.auth.models import User
from crm.auth.roles import Role
from crm.extensions import db, limiter, login_manager
from crm.formutil import choices
from crm.members.models import Organisation
from crm.web import page_arg

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session id "<id>:<password fingerprint>", if the password is unchanged."""
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit() or len(user_id) > 9:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.password_fingerprint, fingerprint):
        return None
    return user


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect to another host.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        db.session.commit()  # failed-login counters and lockouts persist too
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        # One message whatever went wrong, so the form reveals no accounts.
        flash("Email or password not recognised, or the account is locked for a while.", "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (POST only: a link followed by a crawler must not sign anyone out)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    """Ask for a reset link by email."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            "If an account uses that address, a reset link is on its way. "
            "It works once, for one hour.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def reset_password(token: str):
    """Choose a new password from an emailed link."""
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        db.session.commit()
        flash("Your password is changed. Sign in with it now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


def _organisation_choices() -> list[tuple[int, str]]:
    # Associations first: they are the usual scope; member companies are picked by search below.
    rows = db.session.execute(
        db.select(Organisation.id, Organisation.name, Organisation.country, Organisation.kind)
        .order_by(Organisation.kind != "association", Organisation.sort_name)
        .limit(20000)
    )
    return choices([(0, "— none —")] + [(r.id, f"{r.name} ({r.country})") for r in rows])


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    """All accounts."""
    page = db.paginate(
        db.select(User).order_by(User.email), page=page_arg(), per_page=100, error_out=False
    )
    return render_template("auth/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    """Create an account."""
    form = UserForm()
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append("A new account needs a password.")
        else:
            try:
                user = services.create_user(
                    form.email.data,
                    form.password.data,
                    form.role.data,
                    form.organisation_id.data or None,
                    active=form.active.data,
                )
            except services.AccountError as error:
                form.email.errors.append(str(error).capitalize() + ".")
            else:
                db.session.commit()
                flash(f"Account {user.email} created.", "success")
                return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    """Change an account's role, organisation or active flag."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.organisation_id.choices = _organisation_choices()
    del form.email
    if request.method == "GET":
        form.organisation_id.data = user.organisation_id or 0
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                role=form.role.data,
                organisation_id=form.organisation_id.data or None,
                active=form.active.data,
            )
            if form.password.data:
                services.set_password(user, form.password.data)
        except services.AccountError as error:
            db.session.rollback()
            form.organisation_id.errors.append(str(error).capitalize() + ".")
        else:
            db.session.commit()
            if user.id == current_user.id:
                login_user(user)  # a new password changed our own session id
            flash("Account saved.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user, delete_form=DeleteForm())


@bp.post("/users/<int:user_id>/delete")
@roles_required(Role.ADMIN)
def delete_user(user_id: int):
    """Delete an account (never your own)."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(400, "You cannot delete your own account.")
    if DeleteForm().validate_on_submit():
        try:
            services.delete_user(user)
        except services.AccountError as refused:
            flash(str(refused), "danger")
            return redirect(url_for("auth.edit_user", user_id=user.id))
        db.session.commit()
        flash("Account deleted.", "success")
    return redirect(url_for("auth.users"))
