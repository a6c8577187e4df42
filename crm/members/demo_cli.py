"""Demo data commands."""

import time

import click
from sqlalchemy import select

from crm.audit.services import set_system_actor
from crm.extensions import db
from crm.members.models import Organisation


def register(group) -> None:
    @group.command("seed-demo")
    @click.option(
        "--members",
        default=6000,
        show_default=True,
        type=click.IntRange(1, 500_000),
        help="How many member organisations to invent.",
    )
    @click.option(
        "--seed",
        default=1,
        show_default=True,
        type=int,
        help="Random seed: the same seed gives the same data.",
    )
    @click.option(
        "--if-empty",
        is_flag=True,
        help="Do nothing (and succeed) when organisations already exist.",
    )
    def seed_demo_command(members: int, seed: int, if_empty: bool) -> None:
        """Fill an empty directory with demo associations, members, people and logins."""
        from crm.members import demo

        set_system_actor("cli:seed-demo")
        if db.session.scalar(select(Organisation.id).limit(1)) is not None:
            if if_empty:
                click.echo("seed-demo: organisations already exist, nothing to do (--if-empty)")
                return
            raise click.ClickException(
                "organisations already exist: seed-demo only fills an empty directory "
                "(use --if-empty to skip quietly)"
            )
        started = time.perf_counter()
        summary = demo.seed_demo(members, seed)
        from crm.policy.demo import seed_policy_demo
        from crm.policy.demo_actions import seed_demo_actions

        policy = seed_policy_demo(seed)  # same transaction: all the demo data or none of it
        actions = seed_demo_actions(seed=seed)  # the action log, linked to what was just seeded
        from crm.declarations.demo import seed_declarations_demo

        declarations = seed_declarations_demo(seed)  # signatures from the members just seeded
        from crm.awards.levels import seed_award_levels

        award_levels = seed_award_levels()  # idempotent: adds only the levels still missing
        from crm.awards.demo import seed_awards_demo

        awards = seed_awards_demo(seed)  # Sales Awards of the member labels just seeded
        from crm.mailings.demo_audiences import seed_audience_demo

        audiences = seed_audience_demo(seed)  # consent, interests, segments and press lists
        from crm.mailings.demo_mailings import seed_mailing_demo

        mailings = seed_mailing_demo(seed)  # press releases sent to the press lists just made
        db.session.commit()
        elapsed = time.perf_counter() - started
        click.echo(
            f"seeded {summary.organisations} organisations, {summary.associations} associations, "
            f"{summary.people} people, {summary.memberships} memberships, "
            f"{summary.users} users in {elapsed:.1f} s"
        )
        click.echo(
            f"policy: {policy.priorities} priorities, {policy.dossiers} dossiers, "
            f"{policy.stakeholders} stakeholders, {policy.campaigns} campaigns, "
            f"{policy.signatories} joint-letter invitations, {policy.milestones} milestones"
        )
        click.echo(f"action log: {actions} actions over the past 12 months")
        click.echo(
            f"declarations: {declarations.declarations} declarations, "
            f"{declarations.signatures} signatures ({declarations.confirmed} confirmed, "
            f"{declarations.pending} waiting for moderation)"
        )
        click.echo(f"sales awards: {awards.verified} verified, {awards.pending} waiting for review")
        click.echo(f"award levels: {award_levels} added")
        click.echo(
            f"audiences: {audiences['segments']} segments, {audiences['press_lists']} press lists, "
            f"{audiences['consents']} consent answers, {audiences['suppressions']} suppressed"
        )
        click.echo(
            f"mailings: {mailings['press_releases']} press releases sent, {mailings['drafts']} "
            f"drafts, {mailings['scheduled']} scheduled"
        )
        if summary.logins:
            click.echo(f"demo logins, all with the password {summary.password}:")
            for email, role, note in summary.logins:
                click.echo(f"  {email:<22} {role:<12} {note}")
