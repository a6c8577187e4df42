"""Account commands."""

import sys

import click

from crm.audit.services import set_system_actor
from crm.auth import services
from crm.auth.roles import Role
from crm.extensions import db


def register(group) -> None:
    @group.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option(
        "--organisation-id",
        type=int,
        default=None,
        help="The organisation an association or member user acts for.",
    )
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user(email, role, organisation_id, password_stdin):
        """Create a login account (the first admin, for example)."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        set_system_actor("cli:create-user")
        try:
            user = services.create_user(email, password, role, organisation_id)
        except services.AccountError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from error
        db.session.commit()
        click.echo(f"created {user.role} {user.email}")
