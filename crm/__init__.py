"""Application factory."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, require_real_secret
from crm.session_cookies import ReusedSerializerSessionInterface


def create_app(config_class: type | None = None) -> Flask:
    """Build the app. Without an explicit class, CRM_CONFIG names one; the default is production,
    so a server started without settings refuses to run rather than run with a known secret."""
    if config_class is None:
        name = os.environ.get("CRM_CONFIG", "production")
        if name not in CONFIGS:
            raise RuntimeError(f"CRM_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
        config_class = CONFIGS[name]
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(config_class.INSTANCE_DIR),
    )
    app.config.from_object(config_class)
    if not (app.debug or app.testing):
        require_real_secret(app.config.get("SECRET_KEY"))
    if app.config["PROXY_COUNT"]:
        # Behind a reverse proxy the client's address (for rate limits) is in X-Forwarded-For.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    os.makedirs(app.instance_path, exist_ok=True)

    app.session_interface = ReusedSerializerSessionInterface()
    register_extensions(app)
    from crm import web

    web.register_converters(app)  # before the blueprints add their rules
    register_blueprints(app)
    register_commands(app)
    web.register_errors(app)
    web.register_security_headers(app)
    web.register_input_guard(app)
    web.register_template_helpers(app)
    web.register_health_check(app)
    return app


def register_extensions(app: Flask) -> None:
    from crm.db import ping_when_idle
    from crm.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    with app.app_context():
        ping_when_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    # Import every model so that Alembic and the mappers see the whole schema.
    from crm import models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from crm.audit import bp as audit_bp
    from crm.auth import bp as auth_bp
    from crm.awards import bp as awards_bp
    from crm.dashboard import bp as dashboard_bp
    from crm.declarations import bp as declarations_bp
    from crm.mailings import bp as mailings_bp
    from crm.members import bp as members_bp
    from crm.policy import bp as policy_bp
    from crm.privacy import bp as privacy_bp

    for blueprint in (
        auth_bp,
        members_bp,
        dashboard_bp,
        mailings_bp,
        audit_bp,
        policy_bp,
        declarations_bp,
        awards_bp,
        privacy_bp,
    ):
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    from crm.cli import crm_group

    app.cli.add_command(crm_group)
