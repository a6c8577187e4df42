"""`crm dev-up`: the embedded default in one process: the SMTP sink, one outbox worker and the
Flask development server."""

import threading

import click
from flask import current_app
from werkzeug.serving import run_simple

DEMO_LOGINS = (
    ("admin@demo.example", "admin (secretariat)"),
    ("officer@demo.example", "policy officer"),
    ("comms@demo.example", "communications"),
    ("vut@demo.example", "national association staff (VUT)"),
    ("member@demo.example", "member company contact"),
)
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (printed on purpose: demo data only)


def register(group) -> None:
    @group.command("dev-up")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    @click.option("--smtp-port", default=8025, show_default=True)
    def dev_up(host, port, smtp_port):
        """Run the CRM with a local mail sink and a mail worker (development only)."""
        from crm.mailings import worker
        from crm.mailings.sink import start_sink

        app = current_app._get_current_object()
        if not app.config.get("DEV_MAILBOX"):
            raise click.ClickException("dev-up is for the development configuration only")
        app.config["MAIL_PORT"] = smtp_port
        app.extensions["mail"].port = smtp_port
        # The daily job, run at start so statuses follow today's date (cron does it in production).
        from crm.audit.services import set_system_actor
        from crm.extensions import db
        from crm.members.services import recompute_statuses

        set_system_actor("dev-up:recompute-memberships")
        changed = recompute_statuses()
        db.session.commit()
        click.echo(f"  {changed} membership statuses brought up to date")
        sink = start_sink(app.config["DEV_MAILBOX_DIR"], port=smtp_port)
        stop = threading.Event()

        def run_worker():
            with app.app_context():
                worker.run(poll_interval=1.0, stop=stop.is_set)

        threading.Thread(target=run_worker, name="outbox-worker", daemon=True).start()
        base = f"http://{host}:{port}"
        click.echo("")
        click.echo(f"  The CRM is running at {base}/")
        click.echo(f"  Captured mail:        {base}/dev/mailbox")
        click.echo(f"  Sign in with any of these (password: {DEMO_PASSWORD}):")
        for email, role in DEMO_LOGINS:
            click.echo(f"    {email:<24} {role}")
        click.echo("")
        try:
            # run_simple, not app.run(): Flask ignores app.run() inside a `flask` command.
            run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
        finally:
            stop.set()
            sink.stop()
