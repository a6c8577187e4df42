"""Directory commands: the daily status recompute, CSV import, demo data."""

import click

from crm.audit.services import set_system_actor
from crm.extensions import db
from crm.members import services


def register(group) -> None:
    @group.command("recompute-memberships")
    def recompute_memberships():
        """Bring membership statuses up to date with today's date (run daily)."""
        set_system_actor("cli:recompute-memberships")
        changed = services.recompute_statuses()
        db.session.commit()
        click.echo(f"{changed} memberships changed status")

    from crm.members import demo_cli, import_cli

    import_cli.register(group)
    demo_cli.register(group)
