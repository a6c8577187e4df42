"""`crm personal-data export|erase` and `crm retention`."""

import click

from crm.audit.services import set_system_actor
from crm.extensions import db
from crm.members.models import Person
from crm.privacy import erasure, export, lookup, retention


def _subject(person_id: int | None, email: str | None) -> lookup.Subject:
    if (person_id is None) == (email is None):
        raise click.UsageError("give exactly one of --person-id and --email")
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None:
            raise click.ClickException(f"no person with id {person_id}")
        return lookup.subject_for_person(person)
    try:
        return lookup.subject_for_email(email)
    except ValueError as error:
        raise click.ClickException(str(error)) from error


def _who(subject: lookup.Subject) -> str:
    if subject.person is not None:
        return f"person {subject.person.id} ({subject.person.full_name})"
    return f"the address {next(iter(subject.email_keys))} (in no directory record)"


def register(group) -> None:
    @group.group("personal-data")
    def personal_data():
        """Export or erase everything the CRM holds about a person."""

    @personal_data.command("export")
    @click.option("--person-id", type=int)
    @click.option("--email", help="A person's address, or a signer's who is in no record.")
    @click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
    def export_command(person_id, email, output):
        """Write the person's data as JSON (to standard output unless --output)."""
        set_system_actor("cli:personal-data")
        subject = _subject(person_id, email)
        document = export.export_subject(subject, "cli")
        db.session.commit()
        output.write(export.dumps(document) + "\n")

    @personal_data.command("erase")
    @click.option("--person-id", type=int)
    @click.option("--email", help="A person's address, or a signer's who is in no record.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def erase_command(person_id, email, yes):
        """Anonymise the person everywhere and keep only a hash of their address."""
        set_system_actor("cli:personal-data")
        subject = _subject(person_id, email)
        if not yes:
            click.confirm(
                f"Erase the personal data of {_who(subject)}? This cannot be undone", abort=True
            )
        try:
            result = erasure.erase_subject(subject)
        except erasure.ErasureError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from error
        db.session.commit()
        changed = {**result.deleted, **result.anonymised}
        click.echo("erased: " + ", ".join(f"{table} {n}" for table, n in sorted(changed.items())))

    @group.command("retention")
    @click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
    def retention_command(dry_run):
        """Remove personal data past its retention period (run daily)."""
        set_system_actor("cli:retention")
        counts = retention.run(dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        for rule in retention.RULES:
            verb = f"would be {rule.describe}" if dry_run else rule.describe
            click.echo(f"{rule.kind}: {counts[rule.kind]} {verb}")
