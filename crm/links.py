"""Links the app builds thousands of times alike: a declaration's paths on every signing, the
confirmation link in every confirmation mail, the unsubscribe links in every copy of a mailing.
url_for runs once for each endpoint and values, and is remembered by the app."""

from flask import current_app, has_request_context, request, url_for

from crm.extensions import app_state

_MOST_KEPT = 4096  # the values are from a small, known set: this only bounds a mistake
# URL-safe, as tokens are (base64url and dots): url_for leaves both as they are.
_TOKEN_SLOT = "TOKEN-SLOT"  # noqa: S105 (a placeholder, not a secret)


def known_path(endpoint: str, **values) -> str:
    """url_for(endpoint, **values), remembered by the app. Only for values from a small, known
    set (slugs of existing declarations, their languages, the token slot)."""
    paths = app_state("crm.known_paths", dict)
    root = request.script_root if has_request_context() else ""
    key = (root, endpoint, *sorted(values.items()))
    path = paths.get(key)
    if path is None:
        if len(paths) >= _MOST_KEPT:
            paths.clear()
        path = paths[key] = url_for(endpoint, **values)
    return path


def token_link(endpoint: str, token: str, **values) -> str:
    """The absolute URL, on PUBLIC_BASE_URL, of `endpoint` with `token` as its <token> part:
    the remembered path with the token put in its slot, which needs no quoting (tokens are
    URL-safe). Same rule for `values` as known_path's."""
    path = known_path(endpoint, token=_TOKEN_SLOT, **values)
    before, _slot, after = path.rpartition(_TOKEN_SLOT)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + before + token + after
