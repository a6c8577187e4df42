"""Cross-cutting web behaviour: error pages, security headers, URL converters, template helpers."""

from flask import Flask, abort, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.routing import IntegerConverter

from crm.extensions import db

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

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        db.session.rollback()
        app.logger.exception("database unavailable")
        return page(
            503,
            "Temporarily unavailable",
            "The database cannot be reached. Please try again shortly.",
        )

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return page(500, "Something went wrong", "The error has been logged. Nothing was saved.")


def register_input_guard(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL cannot store NUL in text; no person types one. Refuse it up front, clearly.
        if "\x00" in request.path:
            abort(400, "The address contains a NUL character.")
        for source in (request.args, request.form):
            for _, values in source.lists():
                if any("\x00" in value for value in values):
                    abort(400, "The request contains a NUL character, which no field accepts.")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # A view that may be framed by any site (a declaration's embed) sets allow_framing and
        # its own CSP with frame-ancestors; every other page stays unframeable elsewhere.
        if not getattr(response, "allow_framing", False):
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        # No inline script anywhere; styles only from this site.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
        )
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint and not request.endpoint.startswith(("static", "bootstrap")):
            response.headers.setdefault("Cache-Control", "no-store")
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
