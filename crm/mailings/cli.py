"""The outbox worker and the bounce mailbox readers."""

import os
import signal
import sys
import threading

import click

from crm.audit.services import set_system_actor
from crm.mailings import worker


def _password(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise click.UsageError(f"the environment variable {variable} is not set")
    return value


def _report(summary) -> None:
    click.echo(summary.line())
    for name, reason in summary.kept:
        click.echo(f"  kept {name}: {reason}", err=True)
    if summary.kept:
        sys.exit(1)


def register(group) -> None:
    @group.command("worker")
    @click.option("--drain", is_flag=True, help="Send everything due, then exit.")
    @click.option("--batch-size", type=click.IntRange(1, 5000), default=None)
    @click.option("--poll-interval", type=float, default=2.0, show_default=True)
    def run_worker(drain, batch_size, poll_interval):
        """Send queued mail from the outbox (SIGTERM: finish the message, release the rest)."""
        set_system_actor("crm worker")
        stopping = threading.Event()
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, lambda *_: stopping.set())
        try:
            sent = worker.run(
                drain=drain,
                batch_size=batch_size,
                poll_interval=poll_interval,
                stop=stopping.is_set,
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        click.echo(
            f"sent {sent} messages" + (" (stopped by a signal)" if stopping.is_set() else "")
        )

    @group.group("bounces")
    def bounces():
        """Read bounces, complaints and mailto unsubscribes from the bounce mailbox."""
        set_system_actor("crm bounces")

    @bounces.command("maildir")
    @click.argument("path", type=click.Path(exists=True, file_okay=False))
    @click.option("--delete", is_flag=True, help="Delete processed messages (default: to cur/).")
    def maildir(path, delete):
        """Process the new messages of a Maildir."""
        from crm.mailings.bounce_sources import read_maildir

        _report(read_maildir(path, delete=delete))

    @bounces.command("imap")
    @click.option("--host", required=True)
    @click.option("--port", type=int, default=None, help="Default 993, or 143 with --starttls.")
    @click.option("--user", required=True)
    @click.option(
        "--password-env", required=True, metavar="VAR", help="Variable with the password."
    )
    @click.option("--folder", default="INBOX", show_default=True)
    @click.option("--starttls", is_flag=True, help="Plain connection upgraded by STARTTLS.")
    @click.option("--delete", is_flag=True, help="Delete processed messages (default: mark seen).")
    def imap(host, port, user, password_env, folder, starttls, delete):
        """Process the unseen messages of an IMAP folder (TLS only)."""
        from crm.mailings.bounce_sources import read_imap

        password = _password(password_env)
        summary = read_imap(
            host, user, password, port=port, folder=folder, starttls=starttls, delete=delete
        )
        _report(summary)

    @bounces.command("pop3")
    @click.option("--host", required=True)
    @click.option("--port", type=int, default=None, help="Default 995, or 110 with --starttls.")
    @click.option("--user", required=True)
    @click.option(
        "--password-env", required=True, metavar="VAR", help="Variable with the password."
    )
    @click.option("--starttls", is_flag=True, help="Plain connection upgraded by STLS.")
    @click.option("--keep", is_flag=True, help="Leave processed messages on the server.")
    def pop3(host, port, user, password_env, starttls, keep):
        """Process the messages of a POP3 mailbox, deleting those processed (TLS only)."""
        from crm.mailings.bounce_sources import read_pop3

        password = _password(password_env)
        _report(read_pop3(host, user, password, port=port, starttls=starttls, keep=keep))
