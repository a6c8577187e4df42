"""Unbound extension instances; create_app() binds them to the app."""

from flask import current_app
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from crm.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
# Fail closed: when the rate-limit storage (Redis) cannot be reached, a limited form must not
# become unlimited. Errors are neither swallowed nor answered from a per-process memory store;
# wrapped as limits' StorageError they reach one handler (crm.web) that answers 503.
limiter = Limiter(
    key_func=get_remote_address,
    swallow_errors=False,
    in_memory_fallback_enabled=False,
    storage_options={"wrap_exceptions": True},
)
bootstrap = Bootstrap5()


def app_state(name: str, make):
    """The current app's own object kept under `name` in app.extensions, made by make() the
    first time it is asked for. Per app, not per process: the tests build several apps, each
    on its own database."""
    extensions = current_app.extensions
    state = extensions.get(name)
    if state is None:
        state = extensions.setdefault(name, make())
    return state
