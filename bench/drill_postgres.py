"""Fault drill: PostgreSQL restarted in the middle of a signing load.

Goals: no signature answered with its 303 (signed) is lost; while the database is down, clients
get 503 "temporarily unavailable", never a 500.

Creates a fresh database drill_postgres (bench_signing.prepare_database: `flask db upgrade` and
one open declaration), serves the CRM under gunicorn with bench_signing's settings (CSRF, the
least fill time and rate limits off, so a load generator can post), and runs THREADS client
threads that each post distinct signatures and record every answer with the email posted. After
--before seconds it stops PostgreSQL (`pg_ctlcluster ... stop -m fast`), waits --down seconds,
starts it again, and keeps the load on for --after seconds. Then it compares the emails answered
with a 303 (signed) with the signature rows stored, and prints the statuses seen before, during and
after the outage. PostgreSQL is started again whatever happens (try/finally).

    .venv/bin/python bench/drill_postgres.py [--threads 8] [--before 6] [--down 3] [--after 8]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) run by pg_ctlcluster, and psql. Stops
the machine's PostgreSQL for a few seconds: everyone else using it sees the outage too.
"""

import argparse
import sys
import threading
import time
import uuid
from collections import Counter

from drill_common import (
    PG_CTL,
    Client,
    Server,
    bench_signing,
    ensure_postgres,
    postgres_ready,
    run,
    table,
    wait_until,
)

DATABASE = "drill_postgres"


def _load(base: str, slug: str, stamp: str, tag: str, stop, results: list, lock):
    """Post distinct signatures until told to stop; record (start time, email, status)."""
    client = Client(base)
    n = 0
    while not stop.is_set():
        n += 1
        email = f"drill-{tag}-{threading.get_ident()}-{n}@load.example"
        started = time.monotonic()
        status, _ = client.request(
            f"/declarations/{slug}",
            {
                "first_name": "Drill",
                "last_name": f"Signer{n}",
                "email": email,
                "signing_as": "individual",
                "organisation": "Drill Records",
                "country": "DE",
                "website": "",  # the honeypot, left empty as a person leaves it
                "stamp": stamp,  # the form's signed fill-time stamp, as the page gives it
            },
        )
        with lock:
            results.append((started, email, status))


def _stored_emails(module, url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(module.database_url(url))
    with engine.connect() as conn:
        emails = list(conn.execute(text("SELECT email FROM signature")).scalars())
    engine.dispose()
    return emails


def _phase(started: float, down_at: float, up_at: float) -> str:
    if started < down_at:
        return "before"
    return "outage" if started < up_at else "after"


def _kind(status) -> str:
    if status == "conn":
        return "no answer"
    if status == 303:  # post/redirect/get: signed
        return "303 signed"
    if status == 200:
        return "200 form again"
    return str(status) if status in (429, 500, 502, 503, 504) else "other 4xx/5xx"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--before", type=float, default=6, help="seconds of load before")
    parser.add_argument("--down", type=float, default=3, help="seconds PostgreSQL stays down")
    parser.add_argument("--after", type=float, default=8, help="seconds of load after")
    args = parser.parse_args()

    module = bench_signing(DATABASE)
    url, stamp = module.prepare_database()
    # The stamp must be older than the least fill time, as a person's would be.
    time.sleep(module.BenchSigningConfig.SIGNATURE_MIN_FILL_SECONDS)
    results, lock, stop = [], threading.Lock(), threading.Event()
    timeline = {}
    try:
        with Server(
            module, "bench.bench_signing:BenchSigningConfig", "drill_postgres", url
        ) as server:
            base = f"http://127.0.0.1:{server.port}"
            tag = uuid.uuid4().hex[:8]
            threads = [
                threading.Thread(
                    target=_load, args=(base, module.SLUG, stamp, tag, stop, results, lock)
                )
                for _ in range(args.threads)
            ]
            for thread in threads:
                thread.start()
            time.sleep(args.before)
            timeline["down_at"] = time.monotonic()
            run([*PG_CTL, "stop", "-m", "fast"])
            timeline["stopped_at"] = time.monotonic()
            time.sleep(args.down)
            run([*PG_CTL, "start"])
            timeline["up_at"] = wait_until(postgres_ready, 60, "PostgreSQL did not start")
            time.sleep(args.after)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            time.sleep(1)  # nothing in flight any more
    finally:
        stop.set()
        ensure_postgres()  # whatever happened above, PostgreSQL runs again
    # Read once gunicorn has stopped and its last lines are in the log.
    logged_503 = server.log_count("database unavailable")
    logged_500 = server.log_count("Exception on ") + server.log_count("Error handling request")

    stored = Counter(_stored_emails(module, url))
    accepted = {email for _, email, status in results if _kind(status) == "303 signed"}
    refused = {email for _, email, status in results if _kind(status) != "303 signed"}
    lost = accepted - set(stored)
    duplicates = sum(1 for n in stored.values() if n > 1)
    stored_unanswered = refused & set(stored)

    by_phase = {p: Counter() for p in ("before", "outage", "after")}
    for started, _, status in results:
        by_phase[_phase(started, timeline["down_at"], timeline["up_at"])][_kind(status)] += 1
    kinds = [
        "303 signed",
        "200 form again",
        "503",
        "500",
        "429",
        "502",
        "504",
        "other 4xx/5xx",
        "no answer",
    ]
    rows = [
        [phase, sum(c.values()), *(c.get(k, 0) for k in kinds)] for phase, c in by_phase.items()
    ]
    total = Counter()
    for c in by_phase.values():
        total.update(c)
    rows.append(["total", sum(total.values()), *(total.get(k, 0) for k in kinds)])

    outage = timeline["up_at"] - timeline["down_at"]
    print(
        f"PostgreSQL restart during a signing load: {args.threads} client threads, gunicorn "
        f"{' '.join(module.GUNICORN)}; stop -m fast at {args.before:.0f} s, start after "
        f"{args.down:.0f} s, accepting again {outage:.1f} s after the stop began"
    )
    print(table(["phase", "requests", *kinds], rows))
    print(
        f"signatures answered 303 (signed): {len(accepted)}; of these stored: "
        f"{len(accepted) - len(lost)}; lost: {len(lost)} (goal 0)"
    )
    print(
        f"rows stored in all: {sum(stored.values())}; duplicate emails: {duplicates}; stored "
        f"although the answer was not 303 (committed, answer lost): {len(stored_unanswered)}"
    )
    print(
        f"500 answers: {total.get('500', 0)} (goal 0; unhandled errors in the server log: "
        f"{logged_500}); 503 while down: {by_phase['outage'].get('503', 0)} (goal > 0; "
        f"'database unavailable' logged {logged_503} times)"
    )
    passed = (
        not lost
        and total.get("500", 0) == 0
        and by_phase["outage"].get("503", 0) > 0
        and by_phase["after"].get("303 signed", 0) > 0
    )
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
