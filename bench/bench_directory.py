"""Does the directory stay as fast with ten times the members? (goal: 60k/6k time ratio <= 1.5)

Builds two apps on two fresh databases, seeds 6,000 members in one and 60,000 in the other, signs
in as the demo admin in a test client of each and times the directory pages, alternating between
the two apps so that neither gets a warmer machine. Prints the median render time of each page at
both sizes and the ratio.

    .venv/bin/python bench/bench_directory.py                      # two SQLite files
    .venv/bin/python bench/bench_directory.py --database-url postgresql://postgres@127.0.0.1/postgres
      (creates and drops the databases bench_dir_6k and bench_dir_60k on that server)
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import TestingConfig, database_url  # noqa: E402
from crm import create_app  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.members import demo  # noqa: E402
from crm.members.models import Organisation, SearchToken  # noqa: E402
from crm.members.normalise import words  # noqa: E402

GOAL = 1.5
SIZES = {"6k": 6000, "60k": 60000}


class Site:
    """One app on one database, seeded, with a signed-in admin client."""

    def __init__(self, label: str, url: str, members: int, instance: str):
        self.label, self.members = label, members
        config = type(
            "BenchConfig",
            (TestingConfig,),
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "INSTANCE_DIR": instance,
            },
        )
        self.app = create_app(config)
        with self.app.app_context():
            upgrade()
            started = time.perf_counter()
            demo.seed_demo(members)
            db.session.commit()
            self.seed_seconds = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                # What autovacuum does in production (it may be off on a test server): set the
                # visibility map so that counts can use index-only scans, and refresh statistics.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
        self.client = self.app.test_client()
        response = self.client.post(
            "/login", data={"email": "admin@demo.example", "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302, "the demo admin could not sign in"

    def get(self, path: str) -> float:
        started = time.perf_counter()
        response = self.client.get(path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    def matches(self, word: str) -> int:
        with self.app.app_context():
            return db.session.scalar(
                select(func.count(func.distinct(SearchToken.organisation_id))).where(
                    SearchToken.token >= word, SearchToken.token < word + "\uffff"
                )
            )

    def dispose(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def search_word(site: Site) -> str:
    """A word of some organisation names that finds only a few organisations (3 to 10)."""
    with site.app.app_context():
        names = db.session.scalars(select(Organisation.name).order_by(Organisation.id)).all()
    candidates = sorted({w for name in names for w in words(name) if len(w) >= 5 and w.isalpha()})
    for word in candidates:
        if 3 <= site.matches(word) <= 10:
            return word
    return candidates[0]


def measure(sites: list[Site], pages: dict[str, str], rounds: int, warmups: int) -> dict:
    timings = {(page, site.label): [] for page in pages for site in sites}
    for path in pages.values():
        for site in sites:
            for _ in range(warmups):
                site.get(path)
    for i in range(rounds):
        order = sites if i % 2 == 0 else sites[::-1]  # alternate who goes first
        for page, path in pages.items():
            for site in order:
                timings[page, site.label].append(site.get(path))
    return {key: statistics.median(values) for key, values in timings.items()}


def postgres_urls(base: str) -> tuple[dict[str, str], callable]:
    """Create (fresh) bench databases on the server; return their URLs and a cleanup."""
    base_url = make_url(database_url(base))
    names = {label: f"bench_dir_{label}" for label in SIZES}
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")

    def drop_all():
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop_all()
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    urls = {
        label: base_url.set(database=name).render_as_string(hide_password=False)
        for label, name in names.items()
    }

    def cleanup():
        drop_all()
        admin.dispose()

    return urls, cleanup


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite files)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-directory-") as directory:
        if args.database_url:
            urls, cleanup = postgres_urls(args.database_url)
        else:
            urls = {label: f"sqlite:///{directory}/{label}.sqlite3" for label in SIZES}
            cleanup = None
        sites = []
        try:
            for label, members in SIZES.items():
                sites.append(Site(label, urls[label], members, directory))
            small, large = sites
            backend = large.app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
            word = search_word(small)
            pages = {
                "list": "/organisations",
                f"search q={word}": f"/organisations?q={word}",
                "filter DE+active by name": "/organisations?country=DE&status=active&sort=name",
                "page 5": "/organisations?page=5",
            }
            print(
                f"directory benchmark on {backend}; seeded "
                + ", ".join(f"{s.members} members in {s.seed_seconds:.1f} s" for s in sites)
            )
            print(
                f"search word {word!r} matches {small.matches(word)} organisations at 6k, "
                f"{large.matches(word)} at 60k; median of {args.rounds} requests after "
                f"{args.warmups} warm-ups, alternating"
            )
            medians = measure(sites, pages, args.rounds, args.warmups)
        finally:
            for site in sites:
                site.dispose()
            if cleanup:
                cleanup()

    print(f"{'page':<28}{'6k ms':>10}{'60k ms':>10}{'60k/6k':>9}  goal <= {GOAL}")
    worst = 0.0
    for page in pages:
        a, b = medians[page, "6k"], medians[page, "60k"]
        ratio = b / a
        worst = max(worst, ratio)
        print(
            f"{page:<28}{a * 1000:>10.1f}{b * 1000:>10.1f}{ratio:>9.2f}  "
            f"{'PASS' if ratio <= GOAL else 'FAIL'}"
        )
    total_a = sum(medians[page, "6k"] for page in pages)
    total_b = sum(medians[page, "60k"] for page in pages)
    overall = total_b / total_a
    print(
        f"{'overall (sum of medians)':<28}{total_a * 1000:>10.1f}{total_b * 1000:>10.1f}"
        f"{overall:>9.2f}  {'PASS' if overall <= GOAL else 'FAIL'}"
    )
    verdict = "PASS" if worst <= GOAL and overall <= GOAL else "FAIL"
    print(f"{verdict}: worst page ratio {worst:.2f}, overall {overall:.2f} (goal <= {GOAL})")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
