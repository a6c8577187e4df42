"""Public signing pages: deliberately without login. The text in the reader's language, the live
count, the form; the confirmation page; the embeddable form and the count as JSON.

A signing POST that succeeds answers 303 to a "check your inbox" page (post/redirect/get): the
request itself only validates the form and writes three rows, and renders nothing."""

from datetime import date
from functools import lru_cache

from flask import (
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
from markupsafe import Markup
from sqlalchemy import select

from crm.declarations import bp, signing, tokens
from crm.declarations.forms import SIGN_FIELDS, ConfirmForm, SignForm, quick_sign_data
from crm.declarations.models import OPTIONAL_FIELDS, Declaration
from crm.declarations.public_loading import page_objects, signing_target
from crm.declarations.public_text import STRINGS, words
from crm.declarations.services import LANGUAGE_NAMES, text_for
from crm.extensions import csrf, db, limiter
from crm.links import known_path
from crm.markdown import render_markdown
from crm.members.normalise import email_key

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
        # Only answered submissions count (the redirect, or the form shown again): a refused
        # one (400: no CSRF token, a forged stamp) is not a signing from that domain, and
        # counting it would let junk posts from a few addresses shut out a whole mail
        # provider's genuine signers. Nor a 503 (the limit store is down: counting would fail
        # again). The per-address budget above still counts everything. The price: the budget
        # is tested before the view and counted after it, so simultaneous requests can pass it
        # by as many as are in flight (a handful; the per-address budget bounds each sender).
        deduct_when=lambda response: response.status_code < 400,
        on_breach=lambda limit: _too_many(limit),
    ),
)


def _sign_limits(view):
    for limit in reversed(_SIGN_LIMITS):
        view = limit(view)
    return view


@lru_cache(maxsize=64)
def _body_html(body: str) -> Markup:
    # Markdown plus sanitising is the dearest part of the page; the same text renders the same.
    return render_markdown(body)


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
    # The browser's languages in the visitor's order (highest quality first, ties in the order
    # given), each reduced to its primary subtag: en-GB asks for English, fr-CH for French.
    # Werkzeug's best_match would prefer any exact match to the visitor's first choice. A
    # quality of 0 means "not this one"; "*" names no language (the default below serves it).
    by_code = {code.lower(): code for code in available}
    for tag, quality in sorted(request.accept_languages, key=lambda item: -item[1]):
        if quality <= 0:
            continue
        primary = tag.replace("_", "-").partition("-")[0].strip().lower()
        if primary in by_code:
            return by_code[primary]
    return (
        declaration.default_language if declaration.default_language in available else available[0]
    )


def _is_embed() -> bool:
    """Only the embed's own endpoint answers framably; a `next` parameter changes nothing."""
    return request.endpoint == "declarations.embed"


def _email_domain_key() -> str:
    """Rate-limit key: the domain of the submitted email (all of gmail.com shares one)."""
    domain = (email_key(request.form.get("email")) or "").rpartition("@")[2]
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
    """Any site may frame this response; every other page keeps X-Frame-Options DENY."""
    response.headers["Content-Security-Policy"] = EMBED_CSP
    response.allow_framing = True
    return response


def _dropped_fields(declaration: Declaration, text) -> tuple[str, ...]:
    """The SignForm fields this declaration does not ask."""
    asked = set(declaration.asked_fields or ())
    dropped = [] if declaration.signer_kinds == "both" else ["signing_as"]
    for name in OPTIONAL_FIELDS:
        wanted = name in asked or (
            name == "organisation" and declaration.signer_kinds != "individual"
        )
        if not wanted:
            dropped.append(name)
    if not declaration.list_publicly:
        dropped.append("list_publicly")
    if not (declaration.ask_consent and text.consent_label):
        dropped.append("consent_updates")
    return tuple(dropped)


@lru_cache(maxsize=256)
def _kept_fields(dropped: tuple[str, ...]) -> frozenset:
    return SIGN_FIELDS.difference(dropped)


def _form(declaration: Declaration, text, language: str) -> SignForm:
    """The signing form with only the fields this declaration asks (labels: see _dress)."""
    form = SignForm(meta={"locales": [language, "en"], "csrf": False})
    for name in _dropped_fields(declaration, text):
        delattr(form, name)
    return form


def _quick_data(declaration: Declaration, text) -> dict | None:
    """The signing form's data without building it, when the submission clearly passes it
    (see forms.quick_sign_data); None: build and validate the SignForm. A post with files never
    gets here: the input guard (crm/web.py) refuses files on views that take none."""
    data = quick_sign_data(request.form, _kept_fields(_dropped_fields(declaration, text)))
    if data is None:
        return None
    organisation_signer = declaration.signer_kinds == "organisation" or (
        data.get("signing_as") == "organisation"
    )
    if organisation_signer and "organisation" in data and not data["organisation"]:
        return None  # _valid's error: an organisation must be named
    return data


def _dress(form: SignForm, declaration: Declaration, version, text, language: str, fresh=False):
    """Labels in the language and the form stamp, for a form about to be shown (a form that
    validates and signs is never shown, so it skips this)."""
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


def _show(slug: str, embed: bool, form: SignForm | None = None, notice=None, fresh=False):
    """The declaration's page (or its embed) with the signing form: a new one, or `form` shown
    again with its errors or a notice; `fresh` gives it a new stamp."""
    declaration, version = page_objects(slug)
    language = _language(declaration, version, remember=not embed)
    text = text_for(version, language)
    if form is None:
        form = _form(declaration, text, language)
    _dress(form, declaration, version, text, language, fresh)
    template = "declarations/embed.html" if embed else "declarations/public_declaration.html"
    response = make_response(
        render_template(
            template,
            declaration=declaration,
            text=text,
            body=_body_html(text.body),
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
        )
    )
    return _embeddable(response) if embed else response


def _sent(slug: str, language: str, embed: bool):
    """303 to the "check your inbox" page: the same answer whatever happened (no leak)."""
    endpoint = "declarations.embed_sent" if embed else "declarations.sign_sent"
    response = current_app.response_class(
        status=303, headers={"Location": known_path(endpoint, slug=slug, lang=language)}
    )
    return _embeddable(response) if embed else response


def _sent_page(slug: str, embed: bool):
    declaration, version = page_objects(slug)
    language = _language(declaration, version, remember=False)
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


def _submit(slug: str, embed: bool):
    """A posted signing form, from the page (its CSRF token already checked) or the embed; None
    when the declaration is not open (the page then shows why, without a form).

    The busiest public request: it takes a few columns of the declaration (no ORM objects, and
    mostly this process's copy of them), validates, writes the signature, its audit entry and its
    mail (on PostgreSQL in one statement), and answers with a redirect, rendering no page unless
    the form must be shown again."""
    declaration, version = signing_target(slug)
    max_age = current_app.config["SIGNATURE_STAMP_MAX_AGE"] if embed else None
    stamp = tokens.read_stamp(request.form.get("stamp"), declaration.id, max_age)
    if (stamp is not None and stamp[1] > version.id) or not signing.is_open(declaration):
        # The form showed a newer text than this process's copy, or the copy says closed (it
        # may have reopened): decide on the declaration as it is now.
        declaration, version = signing_target(slug, fresh=True)
    if not signing.is_open(declaration):
        return None
    language = _language(declaration, version, remember=not embed)
    if (request.form.get("website") or "").strip():
        return _sent(slug, language, embed)  # the honeypot: same answer, nothing stored
    least = current_app.config["SIGNATURE_MIN_FILL_SECONDS"]
    if stamp is None:
        if embed:  # a genuine, recent stamp, but for another declaration
            raise CSRFError("The form stamp is for another declaration.")
        if least:
            return _sent(slug, language, embed)  # no genuine stamp: a bot; nothing stored
    text = text_for(version, language)
    if stamp is not None:
        age, shown_id = stamp
        notice = None
        if shown_id != version.id:
            # Consent is given to the words read: show the current text again first.
            notice = words(language)["text_updated"]
        elif least and age < least:
            notice = words(language)["too_quick"]
        if notice:
            return _show(slug, embed, _form(declaration, text, language), notice=notice, fresh=True)
    data = _quick_data(declaration, text)
    if data is None:
        form = _form(declaration, text, language)
        if not _valid(form, declaration, language):
            return _show(slug, embed, form)
        data = form.data
    # The version checked above is the one shown, so it is the one the signature records.
    signing.sign_and_commit(declaration, data, request.remote_addr, language, version=version)
    return _sent(slug, language, embed)


@bp.route("/declarations/<slug>", methods=["GET", "POST"])
@csrf.exempt  # checked below, before anything else, so the refusal is the app's CSRF page
@_sign_limits
def public_declaration(slug: str):
    """Public on purpose: a declaration's text, live count and signing form."""
    if request.method == "POST":
        if current_app.config["WTF_CSRF_ENABLED"]:
            # The page's form always carries a session-bound token; the embed posts elsewhere.
            csrf.protect()
        answer = _submit(slug, embed=False)
        if answer is not None:
            return answer
    return _show(slug, embed=False)


@bp.get("/declarations/<slug>/sent")
def sign_sent(slug: str):
    """Public on purpose: "check your inbox", where a signing form redirects (changes nothing)."""
    return _sent_page(slug, embed=False)


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
        answer = _submit(slug, embed=True)
        if answer is not None:
            return answer
    return _show(slug, embed=True)


@bp.get("/declarations/<slug>/embed/sent")
def embed_sent(slug: str):
    """Public on purpose: the embed's "check your inbox", framable like the embed."""
    return _sent_page(slug, embed=True)


@bp.get("/declarations/<slug>/count.json")
def count_json(slug: str):
    """Public on purpose: the confirmed count, for any site to show."""
    declaration, _version = page_objects(slug)
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
    declaration, version = page_objects(slug)
    if signature is not None and signature.declaration_id != declaration.id:
        signature = None  # a genuine token, but for another declaration
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
