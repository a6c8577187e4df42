"""The authenticated endpoint that takes raw bounce messages (from an MTA pipe or a mail
provider's webhook), as the mailbox readers would read them."""

import hmac

from flask import abort, current_app, jsonify, request

from crm.extensions import csrf, db, limiter
from crm.mailings import bp
from crm.mailings.bounce_processing import process_message


def _authorised(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@bp.post("/mailings/bounces")
@csrf.exempt  # a machine API with its own bearer token; no browser, no session
# Only refused tokens count: a guessing client is stopped, a busy mail server is not.
@limiter.limit("30 per minute", deduct_when=lambda response: response.status_code == 401)
def bounce_api():
    """Public on purpose, bearer-authenticated: one raw RFC 822 message in the body."""
    expected = current_app.config.get("BOUNCE_API_TOKEN")
    if not expected:
        abort(404)
    if not _authorised(expected):
        response = jsonify(error="a valid bearer token is required")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response, 401
    try:
        outcome = process_message(request.get_data(cache=False))
    except ValueError as error:  # junk, or a bounce we cannot read
        db.session.rollback()
        return jsonify(error=str(error)), 400
    db.session.commit()
    return jsonify(kind=outcome.kind, recorded=outcome.recorded, detail=outcome.detail), 202
