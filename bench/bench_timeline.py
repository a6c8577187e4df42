"""Does a record's timeline stay as fast when the action log is ten times longer?
(goal: 20k/2k time ratio <= 1.5)

Builds two apps on two fresh databases. In each, one organisation with a stakeholder person took
part in 2,000 actions; filler actions on other organisations bring the log to 2,000 actions in one
database and 20,000 in the other. Signs in as an admin in a test client of each, checks that the
organisation page and the stakeholder page issue the same number of SQL statements in both, then
times both pages, alternating between the two apps so that neither gets a warmer machine.

    .venv/bin/python bench/bench_timeline.py             # two SQLite files
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from config import TestingConfig  # noqa: E402
from crm import create_app  # noqa: E402
from crm.auth import services as auth_services  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.members import services as member_services  # noqa: E402
from crm.policy.models import (  # noqa: E402
    Action,
    ActionParticipant,
    Campaign,
    Priority,
    StakeholderProfile,
)

GOAL = 1.5
TARGET_ACTIONS = 2000
SIZES = {"2k": 2000, "20k": 20000}
FILLER_ORGS = 200
PASSWORD = "bench-password-long-enough"  # noqa: S105 - a throwaway bench database
KINDS = ("meeting", "call", "letter", "event", "consultation", "press_release")


class Site:
    """One app on one fresh database with its action log, and a signed-in admin client."""

    def __init__(self, label: str, url: str, total: int, instance: str):
        self.label = label
        config = type(
            "BenchConfig",
            (TestingConfig,),
            {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": instance},
        )
        self.app = create_app(config)
        with self.app.app_context():
            upgrade()
            started = time.perf_counter()
            self.org_id, self.profile_id = self._seed(total)
            db.session.commit()
            self.seed_seconds = time.perf_counter() - started
        self.client = self.app.test_client()
        response = self.client.post(
            "/login", data={"email": "admin@bench.example", "password": PASSWORD}
        )
        assert response.status_code == 302, "the bench admin could not sign in"
        self.pages = {
            "organisation": f"/organisations/{self.org_id}",
            "stakeholder": f"/stakeholders/{self.profile_id}",
        }

    @staticmethod
    def _seed(total: int) -> tuple[int, int]:
        rng = random.Random(7)  # noqa: S311 - bench data
        auth_services.create_user("admin@bench.example", PASSWORD, "admin")
        priority = Priority(slug="bench", title="Bench priority")
        db.session.add(priority)
        db.session.flush()
        campaign = Campaign(
            slug="bench", title="Bench campaign", kind="lobbying", priority_id=priority.id
        )
        db.session.add(campaign)
        org = member_services.create_organisation(
            {"name": "Timeline Records", "country": "DE", "kind": "label"}
        )
        person = member_services.create_person(
            {"first_name": "Clara", "last_name": "Stakeholder", "organisation_id": org.id}
        )
        profile = StakeholderProfile(
            person_id=person.id, kind="mep", institution="European Parliament"
        )
        db.session.add(profile)
        fillers = []
        for n in range(FILLER_ORGS):
            other = member_services.create_organisation(
                {"name": f"Filler Label {n}", "country": "FR", "kind": "label"}
            )
            contact = member_services.create_person(
                {"first_name": "Filler", "last_name": f"Contact {n}", "organisation_id": other.id}
            )
            fillers.append((other.id, contact.id))
        db.session.flush()
        start = date.today() - timedelta(days=730)
        # Target and filler actions interleaved over the same two years, as a real log would be.
        plan = [True] * TARGET_ACTIONS + [False] * (total - TARGET_ACTIONS)
        rng.shuffle(plan)
        rows, links = [], []
        for n, is_target in enumerate(plan):
            rows.append(
                {
                    "kind": rng.choice(KINDS),
                    "occurred_on": start + timedelta(days=rng.randrange(730)),
                    "title": f"{'Target' if is_target else 'Filler'} action {n}",
                    "summary": "Presented the sector's figures and our asks.",
                    "priority_id": priority.id,
                    "campaign_id": campaign.id if n % 2 else None,
                    "shared_with_members": n % 3 == 0,
                }
            )
            org_id, person_id = (org.id, person.id) if is_target else rng.choice(fillers)
            links.append((org_id, person_id))
        for first in range(0, total, 1000):
            ids = db.session.scalars(
                insert(Action).returning(Action.id, sort_by_parameter_order=True),
                rows[first : first + 1000],
            ).all()
            db.session.execute(
                insert(ActionParticipant),
                [
                    {"action_id": action_id, "organisation_id": org_id, "person_id": None}
                    for action_id, (org_id, _) in zip(ids, links[first : first + 1000], strict=True)
                ]
                + [
                    {"action_id": action_id, "organisation_id": None, "person_id": person_id}
                    for action_id, (_, person_id) in zip(
                        ids, links[first : first + 1000], strict=True
                    )
                ],
            )
        return org.id, profile.id

    def get(self, path: str) -> float:
        started = time.perf_counter()
        response = self.client.get(path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    def statements(self, path: str) -> tuple[int, str]:
        """How many SQL statements one request issues, and the page it returned."""
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        with self.app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = self.client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, (path, response.status_code)
        return len(seen), response.get_data(as_text=True)

    def dispose(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def sites(directory: str):
    built = []
    try:
        for label, total in SIZES.items():
            built.append(Site(label, f"sqlite:///{directory}/{label}.sqlite3", total, directory))
        yield built
    finally:
        for site in built:
            site.dispose()


def measure(all_sites: list[Site], rounds: int, warmups: int) -> dict:
    timings = {(page, site.label): [] for page in all_sites[0].pages for site in all_sites}
    for site in all_sites:
        for path in site.pages.values():
            for _ in range(warmups):
                site.get(path)
    for i in range(rounds):
        order = all_sites if i % 2 == 0 else all_sites[::-1]  # alternate who goes first
        for page in all_sites[0].pages:
            for site in order:
                timings[page, site.label].append(site.get(site.pages[page]))
    return {key: statistics.median(values) for key, values in timings.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()

    ok = True
    with (
        tempfile.TemporaryDirectory(prefix="bench-timeline-") as directory,
        sites(directory) as built,
    ):
        small, large = built
        print(
            "timeline benchmark on sqlite; seeded "
            + ", ".join(f"{SIZES[s.label]} actions in {s.seed_seconds:.1f} s" for s in built)
            + f"; the record took part in {TARGET_ACTIONS} actions in both"
        )
        for page in small.pages:
            counts = []
            for site in built:
                n, html = site.statements(site.pages[page])
                assert f"{TARGET_ACTIONS} actions" in html, (page, site.label, "timeline total")
                counts.append(n)
            same = counts[0] == counts[1]
            ok &= same
            print(
                f"SQL statements, {page} page: {counts[0]} at 2k, {counts[1]} at 20k "
                f"({'same' if same else 'DIFFERENT'})"
            )
        print(f"median of {args.rounds} requests after {args.warmups} warm-ups, alternating")
        medians = measure(built, args.rounds, args.warmups)

    print(f"{'page':<16}{'2k ms':>10}{'20k ms':>10}{'20k/2k':>9}  goal <= {GOAL}")
    for page in small.pages:
        a, b = medians[page, "2k"], medians[page, "20k"]
        ratio = b / a
        ok &= ratio <= GOAL
        print(
            f"{page:<16}{a * 1000:>10.1f}{b * 1000:>10.1f}{ratio:>9.2f}  "
            f"{'PASS' if ratio <= GOAL else 'FAIL'}"
        )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
