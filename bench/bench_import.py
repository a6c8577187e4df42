"""Benchmark the CSV import against a plain bulk insert of the same rows, in one run.

    .venv/bin/python bench/bench_import.py [--rows 6000] [--repeat 3] [--database-url URL]

(a) the full import of a generated file of ROWS organisations with one or two people each
(parse, validate, write with audit events and search tokens, commit) on a fresh database;
(b) a baseline: a bulk insert of the same organisation and person rows, precomputed, without
validation, audit or search tokens, then commit, on a second fresh database. The goal is an
import that runs at least GOAL times as many rows per second as the baseline. Each is run
--repeat times and the fastest run counts, as timeit does: the others measure the machine.

The import pauses Python's cyclic garbage collector while it runs (importing.checking.gc_paused);
the baseline runs as plain code does, collector on.

Without --database-url both runs use temporary SQLite files. With it (PostgreSQL), the
database's public schema is dropped and migrated again before each run: use a scratch database.
"""

import argparse
import csv
import io
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from config import TestingConfig, database_url  # noqa: E402
from crm import create_app  # noqa: E402
from crm.db import utcnow  # noqa: E402
from crm.extensions import db  # noqa: E402
from crm.members import importing, normalise  # noqa: E402
from crm.members.models import Organisation, Person  # noqa: E402
from crm.members.vocab import EUROPEAN_COUNTRIES, NO_MEMBERSHIP  # noqa: E402

GOAL = 0.3
# fmt: off
WORDS = ("Blue", "Night", "Rough", "Trade", "Domino", "Mute", "Sonic", "Echo", "Velvet", "North",
         "Golden", "Silent", "Wild", "Paper", "Iron", "Glass", "Müller", "Éditions", "Søndag",
         "Łódź", "Città", "Straße")
NOUNS = ("Records", "Music", "Sounds", "Recordings", "Label", "Tapes", "Publishing", "Audio")
CITIES = ("Berlin", "Paris", "Madrid", "København", "Kraków", "Zürich", "Lisboa", "Wien",
          "Bruxelles", "Göteborg", "Praha", "Dublin", "London", "Milano", "Athína")
FIRST = ("Anna", "Jürgen", "Zoë", "Łukasz", "Marie", "José", "Søren", "Eléonore", "Tom", "Inès")
LAST = ("Müller", "Dupont", "García", "Nowak", "Rossi", "Jensen", "O'Brien", "Schmidt", "Novák")
KINDS = ("label", "label", "label", "distributor", "publisher", "artist", "other")
SIZES = ("", "micro", "small", "medium")
# fmt: on
HEADER = [
    "Organisation name",
    "Country",
    "City",
    "Kind",
    "SME size",
    "Website",
    "Organisation email",
    "Address",
    "First name",
    "Last name",
    "Email",
    "Phone",
    "Job title",
]


def generate(rows: int) -> tuple[bytes, list[dict], list[tuple[int, dict]]]:
    """The CSV bytes, and the same organisations and people as insert-ready dicts."""
    rng = random.Random(1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    now = utcnow()
    orgs, people = [], []
    for n in range(rows):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(NOUNS)} {n}"
        slug = normalise.name_key(name).replace(" ", "-")
        country, city = rng.choice(EUROPEAN_COUNTRIES), rng.choice(CITIES)
        org = {
            "name": name,
            "acronym": None,
            "kind": rng.choice(KINDS),
            "country": country,
            "city": city,
            "address": f"{rng.randint(1, 200)} Main Street\n{city}" if rng.random() < 0.3 else None,
            "postcode": None,
            "email": f"info@{slug}.example.com",
            "phone": None,
            "website": f"https://{slug}.example.com",
            "vat_number": None,
            "sme_size": rng.choice(SIZES) or None,
            "notes": None,
            "association_id": None,
            "name_key": normalise.name_key(name),
            "sort_name": normalise.sort_name(name),
            "membership_status": NO_MEMBERSHIP,
            "created_at": now,
            "updated_at": now,
        }
        orgs.append(org)
        for k in range(rng.choice((1, 2))):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{normalise.words(first)[0]}.{k}@{slug}.example.com"
            person = {
                "first_name": first,
                "last_name": last,
                "email": email,
                "email_key": normalise.email_key(email),
                "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
                "job_title": rng.choice(("Label manager", "Owner", "A&R", None)),
                "language": None,
                "is_primary_contact": False,
                "created_at": now,
                "updated_at": now,
            }
            people.append((n, person))
            writer.writerow(
                [
                    name,
                    country,
                    city,
                    org["kind"],
                    org["sme_size"] or "",
                    org["website"],
                    org["email"],
                    org["address"] or "",
                    first,
                    last,
                    email,
                    person["phone"],
                    person["job_title"] or "",
                ]
            )
    return out.getvalue().encode("utf-8-sig"), orgs, people


def fresh_app(url: str | None, folder: str, label: str):
    uri = database_url(url) if url else f"sqlite:///{folder}/{label}.sqlite3"
    config = type(
        "BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": uri, "INSTANCE_DIR": folder}
    )
    app = create_app(config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        logging.disable(logging.INFO)  # the migrations' log lines, once per fresh database
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
    return app


def run_import(app, data: bytes) -> tuple[float, importing.ImportResult]:
    with app.app_context():
        start = time.perf_counter()
        result = importing.run_import(data)
        db.session.commit()
        elapsed = time.perf_counter() - start
    return elapsed, result


def run_baseline(app, orgs: list[dict], people: list[tuple[int, dict]]) -> float:
    """Both tables in one bulk insert each; organisation ids come back by their unique key."""
    with app.app_context():
        start = time.perf_counter()
        returned = db.session.execute(
            insert(Organisation)
            .returning(Organisation.id, Organisation.name_key, Organisation.country)
            .execution_options(render_nulls=True),
            orgs,
        )
        ids = {(r.name_key, r.country): r.id for r in returned}
        rows = [
            {**person, "organisation_id": ids[(orgs[n]["name_key"], orgs[n]["country"])]}
            for n, person in people
        ]
        db.session.execute(insert(Person).execution_options(render_nulls=True), rows)
        db.session.commit()
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000, help="organisations in the file")
    parser.add_argument("--database-url", help="a scratch database (emptied!) instead of SQLite")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each, on fresh databases; the fastest counts (default 3)",
    )
    args = parser.parse_args()
    data, orgs, people = generate(args.rows)
    import_times, baseline_times = [], []
    with tempfile.TemporaryDirectory() as folder:
        # Alternate the two so that a busy neighbour on the machine slows both alike.
        for n in range(args.repeat):
            seconds, result = run_import(fresh_app(args.database_url, folder, f"import{n}"), data)
            import_times.append(seconds)
            baseline_times.append(
                run_baseline(fresh_app(args.database_url, folder, f"baseline{n}"), orgs, people)
            )
    import_seconds, baseline_seconds = min(import_times), min(baseline_times)
    if result.errors or (result.organisations, result.people) != (len(orgs), len(people)):
        print(f"import went wrong: {result.summary()}; first errors: {result.errors[:3]}")
        return 1
    rows = len(orgs) + len(people)
    import_rate, baseline_rate = rows / import_seconds, rows / baseline_seconds
    ratio = import_rate / baseline_rate
    verdict = "PASS" if ratio >= GOAL else "FAIL"
    print(
        f"import: {len(orgs)} organisations, {len(people)} people in {import_seconds:.1f} s = "
        f"{import_rate:.0f} rows/s; baseline bulk insert: {baseline_seconds:.1f} s = "
        f"{baseline_rate:.0f} rows/s; ratio {ratio:.2f} (goal >= {GOAL}) {verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
