"""Application factory."""

import os

from flask import Flask

from config import CONFIGS, ProductionConfig


def create_app(config_class: type | None = None) -> Flask:
    if config_class is None:
        config_class = CONFIGS[os.environ.get("CRM_CONFIG", "development")]
    if config_class is ProductionConfig:
        ProductionConfig.check()
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(config_class.INSTANCE_DIR),
    )
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    from crm import web

    web.register_errors(app)
    web.register_security_headers(app)
    web.register_input_guard(app)
    web.register_template_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    from crm.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
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
    from crm.dashboard import bp as dashboard_bp
    from crm.mailings import bp as mailings_bp
    from crm.members import bp as members_bp
    from crm.policy import bp as policy_bp

    for blueprint in (auth_bp, members_bp, dashboard_bp, mailings_bp, audit_bp, policy_bp):
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    from crm.cli import crm_group

    app.cli.add_command(crm_group)
