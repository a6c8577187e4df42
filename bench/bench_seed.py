"""How long seed_demo() takes for 6,000 members on a fresh SQLite database (goal: under 30 s).

For context it also times a bulk insert of as many bare organisation rows on another fresh
database, and prints the seed time as a multiple of it.

    .venv/bin/python bench/bench_seed.py [--members 6000]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from config import TestingConfig  # noqa: E402
from crm import create_app  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.members import demo  # noqa: E402
from crm.members.models import Organisation  # noqa: E402

GOAL_SECONDS = 30.0


def make_app(directory: str, name: str):
    config = type(
        "BenchConfig",
        (TestingConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/{name}.sqlite3",
            "INSTANCE_DIR": directory,
        },
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def time_seed(app, members: int) -> tuple[float, demo.DemoSummary]:
    with app.app_context():
        started = time.perf_counter()
        summary = demo.seed_demo(members)
        db.session.commit()
        return time.perf_counter() - started, summary


def time_bare_rows(app, members: int) -> float:
    rows = [
        {
            "name": f"Bare Label {i}",
            "name_key": f"bare label {i}",
            "sort_name": f"bare label {i}",
            "kind": "label",
            "country": "DE",
            "membership_status": "none",
        }
        for i in range(members)
    ]
    with app.app_context():
        started = time.perf_counter()
        db.session.execute(insert(Organisation), rows)
        db.session.commit()
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=6000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as directory:
        baseline = time_bare_rows(make_app(directory, "baseline"), args.members)
        seconds, summary = time_seed(make_app(directory, "seed"), args.members)
    verdict = "PASS" if seconds < GOAL_SECONDS else "FAIL"
    print(
        f"seed_demo({args.members}) on SQLite: {summary.organisations} organisations, "
        f"{summary.associations} associations, {summary.people} people, "
        f"{summary.memberships} memberships, {summary.users} users"
    )
    print(f"  seed time            {seconds:8.2f} s   (goal < {GOAL_SECONDS:.0f} s)  {verdict}")
    print(f"  baseline: bulk insert of {args.members} bare organisation rows {baseline:8.3f} s")
    print(f"  seed / baseline      {seconds / baseline:8.1f} x")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
