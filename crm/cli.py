"""`flask --app wsgi crm <command>`: the group every package adds its commands to."""

from flask.cli import AppGroup

crm_group = AppGroup("crm", help="CRM administration commands.")


def _register() -> None:
    from crm.auth.cli import register as auth_commands
    from crm.devserver import register as dev_commands
    from crm.mailings.cli import register as mailing_commands
    from crm.members.cli import register as member_commands
    from crm.ops.cli import register as ops_commands
    from crm.privacy.cli import register as privacy_commands

    for register in (
        auth_commands,
        member_commands,
        mailing_commands,
        dev_commands,
        privacy_commands,
        ops_commands,
    ):
        register(crm_group)


_register()
