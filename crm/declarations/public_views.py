"""Public signing pages: deliberately without login. The text in the reader's language, the live
count, the form; the confirmation page; the embeddable form and the count as JSON."""

from datetime import date

from flask import (
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from crm.declarations import bp, signing, tokens
from crm.declarations.forms import ConfirmForm, SignForm
from crm.declarations.models import OPTIONAL_FIELDS, Declaration
from crm.declarations.public_text import STRINGS, words
from crm.declarations.services import LANGUAGE_NAMES, current_version, text_for
from crm.extensions import csrf, db, limiter
from crm.markdown import render_markdown

EMBED_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *"
)
# Both signing endpoints (the page and the embed) draw on the same budgets.
_SIGN_LIMITS = (
    limiter.shared_limit(
        lambda: current_app.config["SIGN_RATE_LIMIT_IP"],
        scope="sign-ip",
        methods=["POST"],
        on_breach=lambda limit: _too_many(limit),
    ),
    limiter.shared_limit(
        lambda: current_app.config["SIGN_RATE_LIMIT_DOMAIN"],
        scope="sign-domain",
        methods=["POST"],
        key_func=lambda: _email_domain_key(),
        on_breach=lambda limit: _too_many(limit),
    ),
)


def _sign_limits(view):
    for limit in reversed(_SIGN_LIMITS):
        view = limit(view)
    return view


def _declaration(slug: str) -> Declaration:
    if len(slug) > 80:
        abort(404)
    declaration = db.session.scalar(select(Declaration).where(Declaration.slug == slug))
    version = current_version(declaration) if declaration is not None else None
    if version is None or not version.texts:
        abort(404)
    return declaration


def _language(declaration: Declaration, version, remember: bool = True) -> str:
    """?lang= (remembered in the session), else the browser's preference among the languages
    this version has, else the declaration's default."""
    available = sorted(t.language for t in version.texts)
    wanted = request.args.get("lang", "")
    if wanted in available:
        if remember:
            session["declaration_lang"] = wanted
        return wanted
    remembered = session.get("declaration_lang") if remember else None
    if remembered in available:
        return remembered
    best = request.accept_languages.best_match(available)
    if best:
        return best
    return (
        declaration.default_language if declaration.default_language in available else available[0]
    )


def _is_embed() -> bool:
    """Only the embed's own endpoint answers framably; a `next` parameter changes nothing."""
    return request.endpoint == "declarations.embed"


def _email_domain_key() -> str:
    """Rate-limit key: the domain of the submitted email (all of gmail.com shares one)."""
    domain = request.form.get("email", "").rpartition("@")[2].strip().lower()
    return "sign-domain:" + (domain[:255] or "-")


def _too_many(limit):
    """The refusal page in the public layout (or the embed's)."""
    language = request.args.get("lang") if request.args.get("lang") in STRINGS else "en"
    page = render_template(
        "declarations/public_message.html",
        w=words(language),
        language=language,
        heading=words(language)["too_many_heading"],
        message=words(language)["too_many_text"],
        embed=_is_embed(),
        declaration=None,
    )
    return _embeddable(make_response(page, 429)) if _is_embed() else make_response(page, 429)


@bp.errorhandler(429)
def _rate_limited(error):
    """A limit with its own refusal page (on_breach) answers with it; others as the app does."""
    response = getattr(error, "response", None)
    if response is not None:
        return response
    return render_template(
        "error.html",
        code=429,
        title="Too many attempts",
        message="Too many attempts from your address. Wait a minute and try again.",
    ), 429


def _embeddable(response):
    """Any site may frame this response; every other page keeps X-Frame-Options SAMEORIGIN."""
    response.headers["Content-Security-Policy"] = EMBED_CSP
    response.allow_framing = True
    return response


def _form(declaration: Declaration, version, text, language: str, fresh=False) -> SignForm:
    """The signing form with only the fields this declaration asks, labelled in the language."""
    form = SignForm(meta={"locales": [language, "en"], "csrf": False})
    asked = set(declaration.asked_fields or ())
    if declaration.signer_kinds != "both":
        del form.signing_as
    for name in OPTIONAL_FIELDS:
        wanted = name in asked or (
            name == "organisation" and declaration.signer_kinds != "individual"
        )
        if not wanted:
            delattr(form, name)
    if not declaration.list_publicly:
        del form.list_publicly
    if not (declaration.ask_consent and text.consent_label):
        del form.consent_updates
    w = words(language)
    for field in form:
        if field.name in w:
            field.label.text = w[field.name]
    if "signing_as" in form:
        form.signing_as.choices = [
            ("individual", w["as_individual"]),
            ("organisation", w["as_organisation"]),
        ]
    if "consent_updates" in form:
        form.consent_updates.label.text = text.consent_label
    form.website.label.text = w["honeypot"]
    form.submit.label.text = w["submit"]
    # Shown again with errors, the form keeps its first stamp: correcting a typo quickly is
    # not what a bot does, and the fill time counts from when the form was first shown. A stamp
    # for an older version of the text, or a `fresh` one asked for, is replaced.
    stamp = tokens.read_stamp(request.form.get("stamp"), declaration.id)
    if fresh or stamp is None or stamp[1] != version.id:
        form.stamp.data = tokens.form_stamp(declaration.id, version.id)
    return form


def _valid(form: SignForm, declaration: Declaration, language: str) -> bool:
    ok = form.validate()
    organisation_signer = declaration.signer_kinds == "organisation" or (
        "signing_as" in form and form.signing_as.data == "organisation"
    )
    if (
        organisation_signer
        and "organisation" in form
        and not (form.organisation.data or "").strip()
    ):
        form.organisation.errors = [*form.organisation.errors, words(language)["required_org"]]
        ok = False
    return ok


def _page(declaration, version, language, form, embed, status=200, notice=None):
    text = text_for(version, language)
    template = "declarations/embed.html" if embed else "declarations/public_declaration.html"
    response = make_response(
        render_template(
            template,
            declaration=declaration,
            text=text,
            body=render_markdown(text.body),
            language=language,
            languages=[
                (t.language, LANGUAGE_NAMES.get(t.language, t.language))
                for t in sorted(version.texts, key=lambda t: t.language)
            ],
            w=words(language),
            form=form,
            is_open=signing.is_open(declaration),
            not_yet=declaration.open_on > date.today(),
            count=signing.confirmed_count(declaration.id),
            embed=embed,
            notice=notice,
        ),
        status,
    )
    return _embeddable(response) if embed else response


def _sent(declaration, language, embed):
    days = current_app.config["SIGNATURE_CONFIRM_MAX_AGE"] // 86400
    w = words(language)
    response = make_response(
        render_template(
            "declarations/public_message.html",
            w=w,
            language=language,
            heading=w["check_inbox"],
            message=w["check_inbox_more"].format(days=days),
            embed=embed,
            declaration=declaration,
        )
    )
    return _embeddable(response) if embed else response


def _submit(declaration: Declaration, version, language: str, embed: bool):
    """A posted signing form, from the page (its CSRF token already checked) or the embed."""
    text = text_for(version, language)
    form = _form(declaration, version, text, language)
    if (request.form.get("website") or "").strip():
        return _sent(declaration, language, embed)  # the honeypot: same answer, nothing stored
    max_age = current_app.config["SIGNATURE_STAMP_MAX_AGE"] if embed else None
    stamp = tokens.read_stamp(request.form.get("stamp"), declaration.id, max_age)
    least = current_app.config["SIGNATURE_MIN_FILL_SECONDS"]
    if stamp is None:
        if embed:  # a genuine, recent stamp, but for another declaration
            raise CSRFError("The form stamp is for another declaration.")
        if least:
            return _sent(declaration, language, embed)  # no genuine stamp: a bot; nothing stored
    shown = version
    if stamp is not None:
        age, shown_id = stamp
        if shown_id != version.id:
            # Consent is given to the words read: show the current text again first.
            form = _form(declaration, version, text, language, fresh=True)
            notice = words(language)["text_updated"]
            return _page(declaration, version, language, form, embed, notice=notice)
        if least and age < least:
            form = _form(declaration, version, text, language, fresh=True)
            notice = words(language)["too_quick"]
            return _page(declaration, version, language, form, embed, notice=notice)
    if _valid(form, declaration, language):
        signing.sign(declaration, form.data, request.remote_addr, language, version=shown)
        db.session.commit()
        return _sent(declaration, language, embed)
    return _page(declaration, version, language, form, embed)


@bp.route("/declarations/<slug>", methods=["GET", "POST"])
@csrf.exempt  # checked below, before anything else, so the refusal is the app's CSRF page
@_sign_limits
def public_declaration(slug: str):
    """Public on purpose: a declaration's text, live count and signing form."""
    if request.method == "POST" and current_app.config["WTF_CSRF_ENABLED"]:
        # The page's form always carries a session-bound token; the embed posts elsewhere.
        csrf.protect()
    declaration = _declaration(slug)
    version = current_version(declaration)
    language = _language(declaration, version)
    if request.method == "POST" and signing.is_open(declaration):
        return _submit(declaration, version, language, embed=False)
    form = _form(declaration, version, text_for(version, language), language)
    return _page(declaration, version, language, form, embed=False)


@bp.route("/declarations/<slug>/embed", methods=["GET", "POST"])
@csrf.exempt  # a third-party frame gets no session cookie: the signed, short-lived stamp instead
@_sign_limits
def embed(slug: str):
    """Public on purpose: the count and the form, for an iframe on any site."""
    if request.method == "POST":
        # The embed has no session-bound CSRF token: a genuine stamp no older than
        # SIGNATURE_STAMP_MAX_AGE stands for it, and is checked first, like a token.
        max_age = current_app.config["SIGNATURE_STAMP_MAX_AGE"]
        if tokens.read_stamp(request.form.get("stamp"), None, max_age) is None:
            raise CSRFError("The form stamp is missing, forged or expired.")
    declaration = _declaration(slug)
    version = current_version(declaration)
    language = _language(declaration, version, remember=False)
    if request.method == "POST" and signing.is_open(declaration):
        return _submit(declaration, version, language, embed=True)
    form = _form(declaration, version, text_for(version, language), language)
    return _page(declaration, version, language, form, embed=True)


@bp.get("/declarations/<slug>/count.json")
def count_json(slug: str):
    """Public on purpose: the confirmed count, for any site to show."""
    declaration = _declaration(slug)
    response = jsonify(
        slug=declaration.slug,
        confirmed=signing.confirmed_count(declaration.id),
        target=declaration.target,
    )
    response.headers["Cache-Control"] = "public, max-age=30"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/declarations/<slug>/confirm/<token>", methods=["GET", "POST"])
def confirm_signature(slug: str, token: str):
    """Public on purpose: the emailed link shows one button; only its POST confirms (mail
    scanners follow links)."""
    signature = signing.signature_for_token(token) if len(token) < 500 else None
    renamed = signature is not None and signature.declaration.slug != slug
    if (
        renamed
        and db.session.scalar(select(Declaration.id).where(Declaration.slug == slug)) is None
    ):
        # A link mailed before the slug changed: the token names the signature, so send the
        # reader to the declaration's current address (307 keeps a POST a POST).
        target = url_for(
            "declarations.confirm_signature", slug=signature.declaration.slug, token=token
        )
        return redirect(target, 307 if request.method == "POST" else 302)
    declaration = _declaration(slug)
    if signature is not None and signature.declaration_id != declaration.id:
        signature = None  # a genuine token, but for another declaration
    version = current_version(declaration)
    language = signature.language if signature else _language(declaration, version)
    w = words(language)
    if signature is None:
        page = render_template(
            "declarations/confirm_invalid.html", w=w, language=language, declaration=declaration
        )
        return page, 400
    form = ConfirmForm()
    form.submit.label.text = w["confirm_button"]
    if form.validate_on_submit():
        signature = signing.confirm(token) or signature
        db.session.commit()
    title = (text_for(signature.version, language) or signature.version.texts[0]).title
    return render_template(
        "declarations/confirm.html",
        w=w,
        language=language,
        declaration=declaration,
        signature=signature,
        title=title,
        form=form,
        count=signing.confirmed_count(declaration.id),
        public_url=url_for("declarations.public_declaration", slug=declaration.slug),
    )
