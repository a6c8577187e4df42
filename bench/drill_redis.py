"""Fault drill: Redis (the rate-limit storage) goes down and comes back.

Goals: while Redis is down, every rate-limited public form (signing, the embed, login) answers
503 "Form temporarily unavailable" and stores nothing, never a 500 and never unlimited; the
pages that show those forms still answer; staff who are signed in keep working (pages and their
forms); when Redis is back, everything answers as before without a restart.

Creates a fresh database drill_redis (bench_signing.prepare_database) with an officer account,
serves the CRM under gunicorn (bench_signing's settings, but rate limits ON in Redis database
DB), signs the officer in, and runs the same round of requests three times: Redis up, Redis
stopped (`redis-cli shutdown nosave`), Redis started again with the machine's own command.
Prints the statuses of each request kind in each phase. Redis is started again whatever happens
(try/finally).

    .venv/bin/python bench/drill_redis.py [--rounds 5]

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379. Stops the machine's Redis for a
few seconds: everyone else using it sees the outage too.
"""

import argparse
import re
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

# gunicorn's workers import this file as bench.drill_redis (for DrillRedisConfig): let them find
# drill_common beside it as the script does.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from drill_common import (  # noqa: E402
    Client,
    Server,
    bench_signing,
    ensure_redis,
    redis_ready,
    run,
    table,
    wait_until,
)

DATABASE = "drill_redis"
REDIS_DB = 3  # apart from CI's tests (0) and `make prod` (1)
OFFICER = "drill.officer@example.org"
PASSWORD = "drill-password-not-secret"  # noqa: S105 (a throwaway account in a throwaway database)
UNAVAILABLE = "Form temporarily unavailable"

module = bench_signing(DATABASE)


class DrillRedisConfig(module.BenchSigningConfig):
    """The bench settings with rate limits on, in Redis, high enough that the drill's own
    requests never reach them: a 429 would hide what the drill looks for."""

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = f"redis://127.0.0.1:6379/{REDIS_DB}"
    # The drill posts the embed right after reading its stamp: no least fill time, so a post
    # while Redis is up signs (303) instead of showing the form again.
    SIGNATURE_MIN_FILL_SECONDS = 0
    SIGN_RATE_LIMIT_IP = "10000 per minute"
    SIGN_RATE_LIMIT_DOMAIN = "10000 per minute"
    LOGIN_RATE_LIMIT = "10000 per minute"
    RESET_RATE_LIMIT = "10000 per minute"


def _prepare() -> str:
    url, _stamp = module.prepare_database()
    from crm import create_app
    from crm.auth import services
    from crm.extensions import db

    app = create_app(module.BenchSigningConfig)
    with app.app_context():
        services.create_user(OFFICER, PASSWORD, "officer")
        db.session.commit()
        db.engine.dispose()
    return url


def _signature(tag: str, n: int) -> dict:
    return {
        "first_name": "Drill",
        "last_name": f"Signer{n}",
        "email": f"redis-drill-{tag}-{n}@load.example",
        "signing_as": "individual",
        "organisation": "Drill Records",
        "country": "DE",
    }


def _embed_stamp(client: Client, slug: str) -> str:
    """The embed's signed form stamp (its stand-in for a CSRF token), as a browser gets it."""
    _, page = client.request(f"/declarations/{slug}/embed")
    found = re.search(r'name="stamp" type="hidden" value="([^"]+)"', page)
    return found.group(1) if found else ""


def _round(base: str, staff: Client, tag: str, n: int) -> dict[str, tuple[int | str, str]]:
    """One request of each kind; returns kind -> (status, what the page said)."""
    slug = module.SLUG
    public = Client(base)
    answers = {
        "GET public signing page": public.request(f"/declarations/{slug}"),
        "POST sign (public page)": public.request(f"/declarations/{slug}", _signature(tag, 2 * n)),
        "POST sign (embed)": public.request(
            f"/declarations/{slug}/embed",
            {**_signature(tag, 2 * n + 1), "stamp": _embed_stamp(public, slug)},
        ),
        "GET login page": public.request("/login"),
        "POST login (new sign-in)": public.request(
            "/login", {"email": OFFICER, "password": PASSWORD}
        ),
        "POST password forgot": public.request("/password/forgot", {"email": OFFICER}),
        "GET staff dashboard": staff.request("/"),
        "GET staff directory": staff.request("/organisations"),
        "GET staff declarations": staff.request("/staff/declarations"),
        "POST staff new organisation": staff.request(
            "/organisations/new",
            {"name": f"Drill Records {tag} {n}", "kind": "label", "country": "DE"},
        ),
    }
    return {
        kind: (status, UNAVAILABLE if UNAVAILABLE in body else "")
        for kind, (status, body) in answers.items()
    }


def _summary(results: list[dict]) -> dict[str, str]:
    out = {}
    for kind in results[0]:
        counts = Counter(
            f"{status}{' unavailable' if said else ''}"
            for status, said in (r[kind] for r in results)
        )
        out[kind] = ", ".join(f"{n}x {status}" for status, n in sorted(counts.items()))
    return out


def _signature_emails(url: str) -> set[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(module.database_url(url))
    with engine.connect() as conn:
        emails = set(conn.execute(text("SELECT email FROM signature")).scalars())
    engine.dispose()
    return emails


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of requests per phase")
    args = parser.parse_args()

    ensure_redis()
    url = _prepare()
    tag = uuid.uuid4().hex[:8]
    phases: dict[str, list[dict]] = {"Redis up": [], "Redis down": [], "Redis back": []}
    down_for = 0.0
    try:
        with Server(module, "bench.drill_redis:DrillRedisConfig", "drill_redis", url) as server:
            base = f"http://127.0.0.1:{server.port}"
            staff = Client(base)
            status, _ = staff.request("/login", {"email": OFFICER, "password": PASSWORD})
            if status != 302:
                raise RuntimeError(f"the officer could not sign in ({status})")
            n = 0
            for phase in phases:
                if phase == "Redis down":
                    run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False)
                    wait_until(lambda: not redis_ready(), 10, "Redis did not stop")
                    stopped = time.monotonic()
                elif phase == "Redis back":
                    ensure_redis()
                    down_for = time.monotonic() - stopped
                for _ in range(args.rounds):
                    n += 1
                    phases[phase].append(_round(base, staff, tag, n))
    finally:
        ensure_redis()  # whatever happened above, Redis runs again
    # Read once gunicorn has stopped and its last lines are in the log.
    logged = server.log_count("rate-limit storage unavailable")
    errors = server.log_count("Exception on ") + server.log_count("Error handling request")

    summaries = {phase: _summary(results) for phase, results in phases.items()}
    kinds = list(summaries["Redis up"])
    print(
        f"Redis stopped (redis-cli shutdown nosave) while the CRM ran under gunicorn "
        f"{' '.join(module.GUNICORN)}; {args.rounds} rounds per phase; down for {down_for:.1f} s"
    )
    print(table(["request", *phases], [[k, *(summaries[p][k] for p in phases)] for k in kinds]))

    emails = _signature_emails(url)
    down_emails = {
        _signature(tag, 2 * n + i)["email"]
        for n in range(args.rounds + 1, 2 * args.rounds + 1)
        for i in (0, 1)
    }
    stored_while_down = len(down_emails & emails)
    limited = ("POST sign (public page)", "POST sign (embed)", "POST login (new sign-in)")
    down = phases["Redis down"]
    statuses = [s for r in down for s, _ in r.values()]
    checks = {
        "limited forms answered 503 'Form temporarily unavailable' while down": all(
            r[k] == (503, UNAVAILABLE) for r in down for k in limited
        )
        and all(r["POST password forgot"] == (503, UNAVAILABLE) for r in down),
        "no 500 (nor an unanswered request) in any phase": all(
            s not in (500, "conn")
            for results in phases.values()
            for r in results
            for s, _ in r.values()
        ),
        "signatures stored while down: 0": stored_while_down == 0,
        "form pages and staff pages answered while down": all(
            r[k][0] in (200, 302)
            for r in down
            for k in r
            if k.startswith("GET") or k.startswith("POST staff")
        ),
        "everything answered as before once Redis was back": summaries["Redis back"]
        == summaries["Redis up"],
    }
    print(f"'rate-limit storage unavailable' logged {logged} times; unhandled errors: {errors}")
    print(f"statuses while down: {dict(Counter(statuses))}")
    for name, ok in checks.items():
        print(f"{'ok ' if ok else 'NO '} {name}")
    passed = all(checks.values()) and errors == 0
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
