"""Cross-cutting web behaviour: error pages, security headers, URL converters, template helpers."""

from flask import (
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.routing import IntegerConverter

from crm.extensions import db, limiter

# Ids and page numbers beyond a 32-bit integer overflow the databases; nobody has one.
MAX_INT = 2**31 - 1
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """<int:...> in routes, refusing (404) numbers no database column can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def register_converters(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter


def page_arg(name: str = "page") -> int:
    """The page number from the query string, within 1..MAX_PAGE whatever was typed."""
    value = request.args.get(name, "1")
    number = int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 1
    return min(max(number, 1), MAX_PAGE)


def register_errors(app: Flask) -> None:
    def page(code: int, title: str, message: str):
        return render_template("error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(error):
        return page(
            400,
            "Bad request",
            getattr(error, "description", "") or "The request was not understood.",
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(
            400,
            "Form expired",
            "The form was too old or not sent from this site. Reload the page and try again.",
        )

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, "Not allowed", "Your account does not give access to this page.")

    @app.errorhandler(404)
    def not_found(error):
        return page(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(405)
    def method_not_allowed(error):
        return page(405, "Method not allowed", "This address does not accept that kind of request.")

    @app.errorhandler(413)
    def too_large(error):
        return page(413, "File too large", "The file is larger than this form accepts.")

    @app.errorhandler(429)
    def too_many(error):
        return page(
            429,
            "Too many attempts",
            "Too many attempts from your address. Wait a minute and try again.",
        )

    @app.errorhandler(DBAPIError)
    def database_error(error):
        if not is_disconnect(error):
            raise error  # a bug, not an outage: the 500 page (and in tests, the traceback)
        return database_unavailable(error)

    def database_unavailable(error):
        app.logger.error("database unavailable: %s", error)
        _rollback_quietly()
        # The error page must not need the database: render it for an anonymous visitor (the
        # signed-in user would be loaded, or refreshed after the rollback, from the database).
        g._login_user = current_app.login_manager.anonymous_user()
        body, code = page(
            503,
            "Temporarily unavailable",
            "The database cannot be reached just now, so this request may not have been "
            "completed. Please try again in a moment.",
        )
        return body, code, {"Retry-After": "30"}

    @app.teardown_appcontext
    def release_session(exc):
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier, run later). A restart
        # can kill the connection after the response was made (an attribute refreshed after the
        # commit opened a new transaction): its rollback would then fail outside every error
        # handler, and gunicorn would turn a request that succeeded into a bare 500.
        try:
            db.session.remove()
        except DBAPIError as error:
            if not is_disconnect(error):
                raise
            app.logger.warning("database connection lost while closing the session: %s", error)
            db.session().invalidate()  # discard the connection without another rollback
            db.session.remove()

    @app.errorhandler(StorageError)
    @app.errorhandler(RedisError)
    def rate_limit_storage_unavailable(error):
        return form_unavailable(error)

    @app.errorhandler(500)
    def server_error(error):
        # An outage noticed after the view (the limiter's headers, a commit in a teardown) ends
        # here rather than in the handlers above: answer it the same way.
        original = getattr(error, "original_exception", None)
        if isinstance(original, StorageError | RedisError):
            return form_unavailable(original)
        if isinstance(original, DBAPIError) and is_disconnect(original):
            return database_unavailable(original)
        _rollback_quietly()
        return page(500, "Something went wrong", "The error has been logged. Nothing was saved.")


def is_disconnect(error: DBAPIError) -> bool:
    """Whether a database error means the server cannot be reached (answered 503), rather than a
    bug (500): refused or dropped connections, a server shutting down or starting up."""
    return isinstance(error, OperationalError | InterfaceError) or bool(
        error.connection_invalidated
    )


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is gone already; the pool discards it
        db.session.close()


def form_unavailable(error):
    """Rate limits cannot be counted (Redis is down): refuse the limited form, clearly, with a
    503. Failing open would leave login and public forms without any limit."""
    current_app.logger.error("rate-limit storage unavailable, form refused: %s", error)
    embed = request.endpoint == "declarations.embed"
    if (request.endpoint or "").startswith("declarations."):
        body = render_template(
            "declarations/public_message.html",
            w={},
            language="en",
            heading=FORM_UNAVAILABLE[0],
            message=FORM_UNAVAILABLE[1],
            embed=embed,
            declaration=None,
        )
    else:
        body = render_template(
            "error.html", code=503, title=FORM_UNAVAILABLE[0], message=FORM_UNAVAILABLE[1]
        )
    response = make_response(body, 503)
    response.headers["Retry-After"] = "60"
    if embed:
        from crm.declarations.public_views import EMBED_CSP

        # The refusal shows inside the other site's frame, like the form it replaces.
        response.headers["Content-Security-Policy"] = EMBED_CSP
        response.allow_framing = True
    return response


FORM_UNAVAILABLE = (
    "Form temporarily unavailable",
    "This form is temporarily unavailable: nothing was sent or saved. "
    "Please try again in a few minutes.",
)


def accepts_files(*fields: str):
    """Mark a view as taking uploaded files in the named form fields (see register_input_guard):
    every other view, and every other field of this one, refuses a file with a 400. Put it
    right under the route decorator, so that the function registered carries the mark."""
    if not fields:
        raise TypeError("accepts_files needs the names of the file fields")

    def mark(view):
        view.accepts_files = frozenset(fields)
        return view

    return mark


def register_input_guard(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL cannot store NUL in text; no person types one. Refuse it up front, clearly.
        if "\x00" in request.path:
            abort(400, "The address contains a NUL character.")
        for source in (request.args, request.form):
            for values in source.listvalues():
                for value in values:
                    if "\x00" in value:
                        abort(400, "The request contains a NUL character, which no field accepts.")

    @app.before_request
    def refuse_unexpected_files():
        # A file sent in a text field reaches the form as a FileStorage, which its validators
        # (Length: len()) cannot handle: a 500. Only views marked with accepts_files take files,
        # and only in the fields they name. Files come only in a multipart body, which the NUL
        # check above has parsed already (request.form): reading request.files costs nothing.
        if request.mimetype != "multipart/form-data" or not request.files:
            return
        view = current_app.view_functions.get(request.endpoint)
        if view is None:
            return  # no such page (404) or method (405): routing answers that
        allowed = getattr(view, "accepts_files", frozenset())
        if any(name not in allowed for name in request.files):
            abort(400, "The request contains a file this form does not accept. Nothing was saved.")


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", CSP),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        # Each header is added unless the view set its own (a view's CSP, say): the names
        # present are read once, as werkzeug's setdefault would scan the headers for each.
        present = {name.lower() for name, _value in response.headers.items()}
        wanted = list(_ALWAYS)
        # A view that may be framed by any site (a declaration's embed) sets allow_framing and
        # its own CSP with frame-ancestors; no other page may be framed at all, not even by the
        # CRM itself (clickjacking), so both the CSP and the older header say so.
        if not getattr(response, "allow_framing", False):
            wanted.append(("X-Frame-Options", "DENY"))
        # HSTS only over TLS (behind the proxy: X-Forwarded-Proto, trusted with PROXY_COUNT);
        # sent over plain http it would be ignored at best and lock out a test host at worst.
        if request.is_secure:
            wanted.append(_HSTS)
        endpoint = request.endpoint
        if endpoint and not endpoint.startswith(("static", "bootstrap")):
            wanted.append(("Cache-Control", "no-store"))
        for name, value in wanted:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response


def register_health_check(app: Flask) -> None:
    @app.get("/healthz", endpoint="health")
    def health():
        """Public on purpose: whether this process reaches its database (else 503, so a load
        balancer or monitor takes it out) and its rate-limit store (reported only: without it
        the public forms refuse, but staff pages work, so the node stays in)."""
        checks = {"database": "ok", "rate_limit_storage": "ok"}
        try:
            db.session.execute(text("SELECT 1"))
        except DBAPIError:
            _rollback_quietly()
            checks["database"] = "unavailable"
        if limiter.enabled:
            try:
                reachable = limiter.storage.check()
            except Exception:  # any failure of the store means the same: unavailable
                reachable = False
            if not reachable:
                checks["rate_limit_storage"] = "unavailable"
        else:
            checks["rate_limit_storage"] = "off"
        healthy = checks["database"] == "ok"
        status = "ok" if healthy and checks["rate_limit_storage"] != "unavailable" else "degraded"
        response = jsonify(status=status if healthy else "unavailable", **checks)
        response.status_code = 200 if healthy else 503
        response.headers["Cache-Control"] = "no-store"
        return response


def register_template_helpers(app: Flask) -> None:
    from crm.auth.roles import ROLE_LABELS
    from crm.members.vocab import KIND_LABELS, SME_LABELS, country_name

    @app.template_filter("country")
    def _country(code):
        return country_name(code)

    @app.template_filter("datetime")
    def _datetime(value):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""

    @app.context_processor
    def vocabularies():
        return {"KIND_LABELS": KIND_LABELS, "SME_LABELS": SME_LABELS, "ROLE_LABELS": ROLE_LABELS}
