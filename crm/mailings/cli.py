"""The outbox worker command."""

import click

from crm.mailings import worker


def register(group) -> None:
    @group.command("worker")
    @click.option("--drain", is_flag=True, help="Send everything due, then exit.")
    @click.option("--batch-size", type=click.IntRange(1, 5000), default=None)
    @click.option("--poll-interval", type=float, default=2.0, show_default=True)
    def run_worker(drain, batch_size, poll_interval):
        """Send queued mail from the outbox."""
        sent = worker.run(drain=drain, batch_size=batch_size, poll_interval=poll_interval)
        click.echo(f"sent {sent} messages")
