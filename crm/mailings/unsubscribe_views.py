"""One-click unsubscribe (RFC 8058) and the preference centre: public on purpose, reached by
the signed link in every bulk mail. GET never changes anything (mail scanners follow links)."""

from flask import current_app, render_template, request
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField

from crm.extensions import csrf, db, limiter
from crm.mailings import bp
from crm.mailings import unsubscribe as service
from crm.mailings.consent import ConsentError


def _invalid():
    return render_template("mailings/unsubscribe_invalid.html"), 404


def _limit():
    return current_app.config["UNSUBSCRIBE_RATE_LIMIT"]


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST one-click without cookies (RFC 8058); the signed token is the key
@limiter.limit(_limit, methods=["POST"], deduct_when=lambda response: response.status_code == 404)
def unsubscribe(token: str):
    """Public on purpose: GET asks, POST unsubscribes (the page's button or a mail client)."""
    recipient = service.read(token)
    if recipient is None:
        return _invalid()
    if request.method != "POST":  # GET, and HEAD, which Flask answers with this view too
        suppressed = service.suppression_of(recipient.email_key) is not None
        return render_template(
            "mailings/unsubscribe.html", recipient=recipient, token=token, suppressed=suppressed
        )
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    try:
        service.unsubscribe(recipient, source="one-click" if one_click else "unsubscribe page")
    except ConsentError:
        db.session.rollback()
        return _invalid()
    db.session.commit()
    return render_template("mailings/unsubscribe_done.html", recipient=recipient, token=token)


class PreferencesForm(FlaskForm):
    resubscribe = BooleanField("Send me your mail again")
    submit = SubmitField("Save my choices")


def _form(shown: service.Preferences, fresh: bool) -> PreferencesForm:
    """The form with one box per purpose: as posted, or (`fresh`) ticked as things stand."""

    class Form(PreferencesForm):
        pass

    for purpose, (label, _receives) in shown.purposes.items():
        setattr(Form, f"purpose_{purpose}", BooleanField(label))
    data = {f"purpose_{p}": receives for p, (_label, receives) in shown.purposes.items()}
    return Form(formdata=None, data=data) if fresh else Form()


@bp.route("/preferences/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def preferences(token: str):
    """Public on purpose: the address's purposes and suppression, changed by a CSRF-checked POST
    (the person's own browser, which has a session)."""
    recipient = service.read(token)
    if recipient is None:
        return _invalid()
    shown = service.preferences(recipient.email_key)
    form = _form(shown, fresh=request.method != "POST")
    changes = None
    if form.validate_on_submit():
        wanted = {p: bool(form[f"purpose_{p}"].data) for p in shown.purposes}
        try:
            changes = service.save_preferences(
                recipient.email_key, wanted, bool(form.resubscribe.data)
            )
        except ConsentError:
            db.session.rollback()
            return _invalid()
        db.session.commit()
        shown = service.preferences(recipient.email_key)
        form = _form(shown, fresh=True)
    return render_template(
        "mailings/preferences.html",
        recipient=recipient,
        shown=shown,
        form=form,
        changes=changes,
        token=token,
    )
