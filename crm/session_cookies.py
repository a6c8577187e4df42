"""Flask's signed-cookie sessions, with the signing serializer built once per key set instead of
on every request (Flask builds it anew each time, key derivation included: a good part of what
a request without a session, such as a public signing, costs Flask)."""

from flask.sessions import SecureCookieSessionInterface


class ReusedSerializerSessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._built: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, super().get_signing_serializer(app))
        return built[1]
