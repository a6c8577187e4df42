"""`crm import-members FILE [--dry-run]`: the CSV import from the command line; see importing/."""

import click
from sqlalchemy.exc import IntegrityError

from crm.audit.services import set_system_actor
from crm.extensions import db
from crm.members import importing


def register(group) -> None:
    @group.command("import-members")
    @click.argument("file", type=click.File("rb"))
    @click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
    def import_members(file, dry_run):
        """Import organisations and people from a CSV file: all rows or none."""
        set_system_actor("cli:import-members")
        data = file.read()
        try:
            result = importing.run_import(data, dry_run=dry_run)
        except IntegrityError as error:
            db.session.rollback()
            raise click.ClickException(
                "The directory changed while importing (a record was added meanwhile); "
                "nothing was written. Run the import again."
            ) from error
        for warning in result.warnings:
            click.echo(f"warning: {warning}")
        for error in result.errors:
            column = f", column {error.column!r}" if error.column else ""
            click.echo(f"line {error.line}{column}: error: {error.message}")
        for duplicate in result.duplicates:
            click.echo(f"line {duplicate.line}: duplicate: {duplicate.message}")
        if result.applied:
            db.session.commit()
        else:
            db.session.rollback()
        if dry_run:
            click.echo("dry run: nothing was written")
        click.echo(result.summary())
        if result.errors:
            raise click.exceptions.Exit(1)
