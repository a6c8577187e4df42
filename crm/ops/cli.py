"""`crm backup PATH`, `crm backup verify PATH` and `crm restore PATH`."""

from pathlib import Path

import click
from flask.cli import AppGroup

from crm.audit.services import set_system_actor
from crm.extensions import db
from crm.ops import after_restore, backup


class BackupGroup(AppGroup):
    """`crm backup PATH` makes a backup; `crm backup verify PATH` checks one."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


def _report(problems: list[str], success: str) -> None:
    if problems:
        for line in problems:
            click.echo(f"  {line}", err=True)
        raise click.ClickException(f"{len(problems)} differences against the manifest")
    click.echo(success)


def register(group) -> None:
    @group.group("backup", cls=BackupGroup)
    def backup_group():
        """Back the database up into PATH (with PATH.manifest.json), or verify a backup."""

    @backup_group.command("create")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def create(path):
        """Back the database up into PATH while the app keeps running."""
        try:
            written = backup.create(path)
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from error
        rows = sum(t["rows"] for t in written["tables"].values())
        click.echo(
            f"backed up {len(written['tables'])} tables ({rows} rows, revision "
            f"{written['alembic_revision']}) into {path}; manifest beside it"
        )

    @backup_group.command("verify")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def verify(path):
        """Check a backup's checksums and row counts against its manifest."""
        try:
            problems = backup.verify(path)
        except (backup.BackupError, FileNotFoundError) as error:
            raise click.ClickException(str(error)) from error
        _report(problems, f"{path}: every table matches its manifest")

    @group.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--force", is_flag=True, help="Replace a database that holds rows.")
    def restore(path, yes, force):
        """Restore a backup into the (empty) database, then compare it with the manifest."""
        target = backup.safe_url(db.engine)
        if not yes:
            click.confirm(f"Restore {path} into {target}?", abort=True)
        set_system_actor("cli:restore")
        try:
            problems, held = backup.restore(path, force=force)
        except (backup.BackupError, FileNotFoundError) as error:
            raise click.ClickException(str(error)) from error
        click.echo(
            f"paused {held.mailings} mailings that still had mail to send (status reason: "
            f"{after_restore.REASON}); {held.requeued} deliveries a worker had claimed put back "
            f"in the queue; {held.transactional} transactional mails wait for the next worker"
        )
        _report(problems, f"restored {path} into {target}; every table matches its manifest")
