"""Public signing pages: deliberately without login. The text in the reader's language, the live
count, the form; the confirmation page; the embeddable form and the count as JSON."""

from datetime import date

from flask import (
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from crm.declarations import bp, signing, tokens
from crm.declarations.forms import ConfirmForm, SignForm
from crm.declarations.models import Declaration
from crm.declarations.public_text import STRINGS, words
from crm.declarations.rendering import render_markdown
from crm.declarations.services import LANGUAGE_NAMES, current_version, text_for
from crm.extensions import csrf, db, limiter

EMBED_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *"
)
OPTIONAL_INPUTS = ("organisation", "country", "job_title", "city", "comment")


def _declaration(slug: str) -> Declaration:
    if len(slug) > 80:
        abort(404)
    declaration = db.session.scalar(select(Declaration).where(Declaration.slug == slug))
    if declaration is None or current_version(declaration) is None:
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
    return request.form.get("next", request.args.get("next")) == "embed"


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


def _form(declaration: Declaration, text, language: str) -> SignForm:
    """The signing form with only the fields this declaration asks, labelled in the language."""
    form = SignForm(meta={"locales": [language, "en"], "csrf": False})
    asked = set(declaration.asked_fields or ())
    if declaration.signer_kinds != "both":
        del form.signing_as
    for name in OPTIONAL_INPUTS:
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
    # not what a bot does, and the fill time counts from when the form was first shown.
    if tokens.stamp_age(request.form.get("stamp"), declaration.id) is None:
        form.stamp.data = tokens.form_stamp(declaration.id)
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


def _looks_automated(form: SignForm, declaration: Declaration) -> bool:
    """The honeypot was filled, or the form came back faster than a person types."""
    if (request.form.get("website") or "").strip():
        return True
    least = current_app.config["SIGNATURE_MIN_FILL_SECONDS"]
    if not least:
        return False
    age = tokens.stamp_age(request.form.get("stamp"), declaration.id)
    return age is None or age < least


def _page(declaration, version, language, form, embed, status=200):
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


@bp.route("/declarations/<slug>", methods=["GET", "POST"])
@csrf.exempt  # checked below: by token on the page, by the signed stamp in an embed
@limiter.limit(
    lambda: current_app.config["SIGN_RATE_LIMIT_IP"], methods=["POST"], on_breach=_too_many
)
@limiter.limit(
    lambda: current_app.config["SIGN_RATE_LIMIT_DOMAIN"],
    methods=["POST"],
    key_func=_email_domain_key,
    on_breach=_too_many,
)
def public_declaration(slug: str):
    """Public on purpose: a declaration's text, live count and signing form."""
    embed = _is_embed()
    if request.method == "POST" and not embed and current_app.config["WTF_CSRF_ENABLED"]:
        # The page's form carries a session-bound token. An embed inside another site gets no
        # session cookie (SameSite), so it relies on the signed form stamp and the rate limits.
        csrf.protect()
    declaration = _declaration(slug)
    version = current_version(declaration)
    language = _language(declaration, version, remember=not embed)
    text = text_for(version, language)
    form = _form(declaration, text, language)
    if request.method == "POST" and signing.is_open(declaration):
        if embed and tokens.stamp_age(request.form.get("stamp"), declaration.id) is None:
            abort(400, "The form is incomplete. Reload the page and try again.")
        if _looks_automated(form, declaration):
            return _sent(declaration, language, embed)  # the same answer; nothing stored or sent
        if _valid(form, declaration, language):
            signing.sign(declaration, form.data, request.remote_addr, language)
            db.session.commit()
            return _sent(declaration, language, embed)
        return _page(declaration, version, language, form, embed, 200)
    return _page(declaration, version, language, form, embed)


@bp.get("/declarations/<slug>/embed")
def embed(slug: str):
    """Public on purpose: the count and the form, for an iframe on any site."""
    declaration = _declaration(slug)
    version = current_version(declaration)
    language = _language(declaration, version, remember=False)
    form = _form(declaration, text_for(version, language), language)
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
    declaration = _declaration(slug)
    signature = signing.signature_for_token(token, declaration) if len(token) < 500 else None
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
