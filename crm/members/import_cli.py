"""`crm import-members FILE [--dry-run]`: the CSV import from the command line; see importing/."""

import click
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from crm.audit.services import set_system_actor
from crm.extensions import db
from crm.members import importing
from crm.members.importing import ImportResult

CHANGED = (
    "The directory changed while importing (a record was added meanwhile); nothing was "
    "written. Run the import again."
)


def register(group) -> None:
    @group.command("import-members")
    @click.argument("file", type=click.Path(allow_dash=True))
    @click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
    def import_members(file, dry_run):
        """Import organisations and people from a CSV file: all rows or none.

        Prints each warning, error and duplicate, then one summary line, also when it fails
        (exit status 1): `imported N organisations, M people, K duplicates, E errors`.
        """
        set_system_actor("cli:import-members")
        try:
            data = _read(file)
        except OSError as error:
            _fail(ImportResult(), f"Cannot read {file}: {error.strerror or error}")
        result = importing.check(data)
        for warning in result.warnings:
            click.echo(f"warning: {warning}")
        for error in result.errors:
            column = f", column {error.column!r}" if error.column else ""
            click.echo(f"line {error.line}{column}: error: {error.message}")
        for duplicate in result.duplicates:
            click.echo(f"line {duplicate.line}: duplicate: {duplicate.message}")
        if dry_run or not result.ok:
            db.session.rollback()
            if dry_run:
                click.echo("dry run: nothing was written")
            click.echo(result.summary())
            if not result.ok:
                raise click.exceptions.Exit(1)
            return
        try:
            importing.write(result)
            db.session.commit()
        except IntegrityError:
            _fail(result, CHANGED)
        except SQLAlchemyError as error:
            name = type(error).__name__
            _fail(result, f"The database refused the import ({name}); nothing was written.")
        click.echo(result.summary())


def _read(file: str) -> bytes:
    """The bytes of a file, or of standard input for "-"."""
    with click.open_file(file, "rb") as stream:
        return stream.read()


def _fail(result: ImportResult, message: str):
    """Roll back, report the error and the summary line with it counted, and exit with 1."""
    db.session.rollback()
    result.applied = False
    result.errors.append(importing.RowError(0, "", message))
    click.echo(f"error: {message}")
    click.echo(result.summary())
    raise click.exceptions.Exit(1)
