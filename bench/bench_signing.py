"""How much slower is signing a declaration than a bare Flask page? (goal: ratio >= 0.25, 0 errors)

Creates a fresh PostgreSQL database bench_signing, migrates it with `flask db upgrade`, seeds one
open declaration, then serves two apps in turn with the same gunicorn settings on loopback (a
third with --floor, for reference):

  hello    a bare Flask app answering "Hello" (the baseline)
  signing  the CRM with a bench-only config (CSRF and rate limits off: one load generator on one
           address, without sessions), named by the CRM_BENCH_CONFIG env var and loaded by
           bench_app()

and loads each with wrk for the same time and connections, after a short warm-up run that
boots and warms every worker (not counted); for signing, the Lua script posts a distinct valid
signature per request, carrying a genuine form stamp older than the least fill time (so the spam
checks run as in production), and each answer is the 303 to the "check your inbox" page. Prints
requests per second, p99 latency and errors of each, the ratio, and checks that the signature
rows equal the 2xx/3xx responses (plus at most one request per connection still in flight when
wrk stopped: wrk does not count those) and that every signature has its confirmation mail in the
outbox.

gunicorn runs both apps with the same settings, chosen for the 2 cores of the machine: one worker
process per core (each has its own GIL) and 4 threads in each, so a request waiting on
PostgreSQL lets another run.

    .venv/bin/python bench/bench_signing.py [--duration 10] [--connections 8] [--floor] [--cpu]

--cpu adds the CPU each request cost, split between the gunicorn workers, PostgreSQL and wrk
(bench/cpu_meter.py): on a shared machine it swings less than requests per second (contention
inflates it too), and it says where the cost lies.

Needs psql and wrk (Debian: apt-get install wrk) and PostgreSQL on 127.0.0.1:5432 (user postgres).
"""

import argparse
import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cpu_meter import CpuMeter  # noqa: E402
from bench.ports import free_port, wait_for_port  # noqa: E402
from config import ProductionConfig, database_url  # noqa: E402

GOAL = 0.25
WARM_UP = 3  # seconds of load before each measured run, not counted
DATABASE = "bench_signing"
SERVER = "postgresql://postgres@127.0.0.1:5432"
SLUG = "bench-declaration"
GUNICORN = ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--backlog", "512"]


class BenchSigningConfig(ProductionConfig):
    """Production settings minus what a load generator cannot pass: CSRF (a session-bound
    token) and the rate limits. Bench only."""

    SECRET_KEY = "bench-only-secret-not-for-production-0123456789"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("BENCH_DATABASE_URL", f"{SERVER}/{DATABASE}")
    )
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PUBLIC_BASE_URL = "http://127.0.0.1"


SHELL_PATH = "/bench-shell/"


def bench_app():
    """gunicorn 'bench.bench_signing:bench_app()': the CRM, configured as CRM_BENCH_CONFIG says,
    plus one bench-only route for reference (--floor): SHELL_PATH answers any POST with the
    signing's redirect and does nothing else, so loading it measures what the CRM's request
    shell costs alone: its hooks as they run for an anonymous POST here (the NUL guard, which
    parses the form; the cookie session; the limiter's wrappers, with limits off as in the
    signing runs; the security headers)."""
    from flask import redirect

    from crm import create_app

    module, _, name = os.environ.get(
        "CRM_BENCH_CONFIG", "bench.bench_signing:BenchSigningConfig"
    ).partition(":")
    app = create_app(getattr(importlib.import_module(module), name))

    def shell_only():
        return redirect(f"/declarations/{SLUG}/sent", 303)

    app.add_url_rule(SHELL_PATH, "bench_shell_only", shell_only, methods=["POST"])
    return app


def hello_app():
    """gunicorn 'bench.bench_signing:hello_app()': the baseline, a bare Flask endpoint."""
    from flask import Flask

    app = Flask("hello")

    @app.post("/")
    @app.get("/")
    def hello():
        return "Hello"

    return app


def floor_app():
    """gunicorn 'bench.bench_signing:floor_app()': for reference only, the least any Flask
    endpoint that durably stores a posted signature can cost here: it reads three fields and
    commits one row in one autocommit statement on a pooled driver connection, as the signing
    write does (no validation, stamp, audit or confirmation mail)."""
    from flask import Flask, redirect, request
    from sqlalchemy import create_engine

    app = Flask("floor")
    engine = create_engine(
        database_url(os.environ.get("BENCH_DATABASE_URL", f"{SERVER}/{DATABASE}"))
    )
    insert = "INSERT INTO bench_floor (email, first_name, last_name) VALUES (%s, %s, %s)"

    @app.post("/declarations/<slug>")
    def sign(slug):
        form = request.form
        pooled = engine.raw_connection()
        try:
            driver = pooled.dbapi_connection
            driver.autocommit = True
            try:
                driver.execute(insert, (form["email"], form["first_name"], form["last_name"]))
            finally:
                driver.autocommit = False
        finally:
            pooled.close()
        return redirect(f"/declarations/{slug}/sent", 303)

    return app


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
    )


def prepare_database() -> tuple[str, str]:
    """A fresh bench_signing database, migrated by `flask db upgrade`, with one open declaration;
    its URL and a form stamp for the declaration's current version, as the page would give."""
    _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DATABASE}")
    url = f"{SERVER}/{DATABASE}"
    env = {**os.environ, "DATABASE_URL": url, "CRM_CONFIG": "development"}
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    from crm import create_app
    from crm.declarations import tokens
    from crm.declarations.models import Declaration, DeclarationText, DeclarationVersion
    from crm.extensions import db

    app = create_app(BenchSigningConfig)
    with app.app_context():
        declaration = Declaration(
            slug=SLUG,
            open_on=date(2020, 1, 1),
            signer_kinds="both",
            asked_fields=["organisation", "country"],
            list_publicly=True,
        )
        version = DeclarationVersion(number=1)
        version.texts.append(
            DeclarationText(language="en", title="Bench declaration", body="We commit.")
        )
        declaration.versions.append(version)
        db.session.add(declaration)
        db.session.commit()
        stamp = tokens.form_stamp(declaration.id, version.id)
        db.engine.dispose()
    return url, stamp


class Gunicorn:
    def __init__(self, target: str, env: dict):
        self.port = free_port()
        # A file, not a pipe nobody reads: a full pipe would stall the workers' logging.
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                *GUNICORN,
                "--bind",
                f"127.0.0.1:{self.port}",
                target,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def __enter__(self):
        wait_for_port(self.port, 30, what="no gunicorn")
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        errors = [line for line in self.log if "[ERROR]" in line or "Traceback" in line]
        if errors:
            print(f"gunicorn logged {len(errors)} errors, the first: {errors[0].strip()}")
        self.log.close()


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, duration: int, connections: int, script: list[str], script_args=()) -> dict:
    """One wrk run; its requests per second, p99 latency, 2xx/3xx responses and errors."""
    output = subprocess.run(
        [
            "wrk",
            "--latency",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--timeout",
            "10s",
            *script,
            url,
            *(["--", *script_args] if script_args else []),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    non_2xx = int(non_2xx.group(1)) if non_2xx else 0
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = sum(int(n) for n in sockets.groups()) if sockets else 0
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "total": total,
        "ok": total - non_2xx,
        "errors": non_2xx + socket_errors,
        "p99_ms": _ms(*p99.groups()),
    }


def measured_run(server: Gunicorn, cpu: bool, *wrk_args) -> dict:
    """run_wrk(*wrk_args); with `cpu`, also what each request cost in CPU, by process."""
    if not cpu:
        return run_wrk(*wrk_args)
    with CpuMeter(server.process.pid, DATABASE) as spent:
        run = run_wrk(*wrk_args)
    run["cpu"] = spent.per_request_ms(run["total"])
    return run


def print_cpu(runs: dict[str, list[dict]]) -> None:
    """CPU per request of each endpoint, from its run with the median server CPU per request
    (not necessarily its median req/s run), and the server's as a multiple of hello's."""
    medians = {
        name: sorted((m["cpu"] for m in measured), key=lambda c: c["server"])[len(measured) // 2]
        for name, measured in runs.items()
        if measured and "cpu" in measured[0]
    }
    hello = medians["hello"]["server"] or float("nan")
    print("CPU per request, ms, from each endpoint's run with the median server CPU:")
    print("app (gunicorn workers) + postgres = server; wrk apart (a POST costs it more than a GET)")
    print(f"{'endpoint':<18}{'app':>8}{'postgres':>10}{'server':>8}{'x hello':>9}{'wrk':>8}")
    for name, c in medians.items():
        print(
            f"{name:<18}{c['app']:>8.3f}{c['postgres']:>10.3f}{c['server']:>8.3f}"
            f"{c['server'] / hello:>9.2f}{c['load']:>8.3f}"
        )


def _psql_in(url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url(url))
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def count_rows(url: str) -> tuple[int, int]:
    """Signatures, and confirmation mails in the outbox."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url(url))
    with engine.connect() as conn:
        signatures = conn.execute(text("SELECT count(*) FROM signature")).scalar_one()
        mails = conn.execute(
            text("SELECT count(*) FROM delivery WHERE kind = 'signature-confirm'")
        ).scalar_one()
    engine.dispose()
    return signatures, mails


def _median_run(runs: list[dict]) -> dict:
    """The run with the median requests per second (of an odd number of runs)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    # Five: on this shared machine a neighbour's burst can halve one run of either side.
    parser.add_argument("--rounds", type=int, default=5, help="measured runs of each (odd)")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure, for reference: a bare Flask endpoint committing one posted row "
        "(floor_app), and the CRM answering the same POST with a redirect alone (SHELL_PATH)",
    )
    parser.add_argument(
        "--cpu", action="store_true", help="also print the CPU each request cost, by process"
    )
    args = parser.parse_args()
    rounds = args.rounds if args.rounds % 2 else args.rounds + 1
    for tool in ("wrk", "psql"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian: apt-get install {tool})")
            return 2

    url, stamp = prepare_database()
    issued = time.time()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_DATABASE_URL": url,
        "CRM_BENCH_CONFIG": "bench.bench_signing:BenchSigningConfig",
    }
    script = ["-s", str(ROOT / "bench" / "bench_signing.lua")]
    runs: dict[str, list[dict]] = {"hello": [], "signing": [], "hello, same POST": []}
    if args.floor:
        runs["floor"] = []
        runs["crm shell"] = []
        _psql_in(
            url,
            "CREATE TABLE bench_floor (id serial PRIMARY KEY, email text UNIQUE, "
            "first_name text, last_name text, created_at timestamptz DEFAULT now())",
        )
    rows = 0
    # The servers up at once (an idle one costs nothing) and measured in turns, so that a slow
    # moment of this shared machine falls on all of them rather than on one.
    with (
        Gunicorn("bench.bench_signing:hello_app()", env) as hello,
        Gunicorn("bench.bench_signing:bench_app()", env) as signing,
        Gunicorn("bench.bench_signing:floor_app()", env) if args.floor else nullcontext() as floor,
    ):
        hello_url = f"http://127.0.0.1:{hello.port}/"
        target = f"http://127.0.0.1:{signing.port}/declarations/{SLUG}"
        floor_url = f"http://127.0.0.1:{floor.port}/declarations/{SLUG}" if floor else None
        shell_url = f"http://127.0.0.1:{signing.port}{SHELL_PATH}"
        run_wrk(hello_url, WARM_UP, args.connections, [])  # every worker booted and warm
        if floor_url:
            run_wrk(floor_url, WARM_UP, args.connections, script, ["warm" + uuid.uuid4().hex[:8]])
        # The stamp must be older than the least fill time, as a person's would be.
        time.sleep(max(0.0, BenchSigningConfig.SIGNATURE_MIN_FILL_SECONDS - (time.time() - issued)))
        run_wrk(target, WARM_UP, args.connections, script, ["warm" + uuid.uuid4().hex[:8], stamp])
        time.sleep(1)  # let requests in flight when the warm-up stopped finish
        load = (args.duration, args.connections)
        for _round in range(rounds):
            runs["hello"].append(measured_run(hello, args.cpu, hello_url, *load, []))
            before = count_rows(url)[0]
            runs["signing"].append(
                measured_run(
                    signing, args.cpu, target, *load, script, [uuid.uuid4().hex[:8], stamp]
                )
            )
            time.sleep(1)
            runs["signing"][-1]["rows"] = count_rows(url)[0] - before
            rows += runs["signing"][-1]["rows"]
            if floor_url:
                runs["floor"].append(
                    measured_run(floor, args.cpu, floor_url, *load, script, [uuid.uuid4().hex])
                )
                time.sleep(1)  # the floor's last commits land before the next run is metered
                runs["crm shell"].append(
                    measured_run(signing, args.cpu, shell_url, *load, script, ["shell", stamp])
                )
        # For reference: the baseline answering the very request the signing form gets.
        runs["hello, same POST"].append(
            measured_run(hello, args.cpu, hello_url, *load, script, ["post", stamp])
        )
    signatures, mails = count_rows(url)

    print(
        f"gunicorn {' '.join(GUNICORN)}; wrk -t 2 -c {args.connections} -d {args.duration}s "
        f"on loopback; PostgreSQL; hello and signing measured in turns, {rounds} runs each"
    )
    header = f"{'endpoint':<18}{'req/s':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}"
    print(header + "   req/s of each run")
    for name, measured in runs.items():
        r = _median_run(measured)
        errors = sum(m["errors"] for m in measured)
        total = sum(m["total"] for m in measured)
        each = " ".join(f"{m['rps']:.0f}" for m in measured)
        print(f"{name:<18}{r['rps']:>9.1f}{r['p99_ms']:>9.1f}{total:>10}{errors:>8}   {each}")
    hello_rps = _median_run(runs["hello"])["rps"]
    ratio = _median_run(runs["signing"])["rps"] / hello_rps
    each_ratio = [s["rps"] / h["rps"] for h, s in zip(runs["hello"], runs["signing"], strict=True)]
    print(
        "req/s and p99 are those of the median run; ratio of each round: "
        + " ".join(f"{r:.3f}" for r in each_ratio)
    )
    post_ratio = _median_run(runs["signing"])["rps"] / runs["hello, same POST"][0]["rps"]
    print(f"for reference, signing / hello answering the same POST: {post_ratio:.3f}")
    if "floor" in runs:
        floor = _median_run(runs["floor"])["rps"] / hello_rps
        each_floor = [
            s["rps"] / f["rps"] for s, f in zip(runs["signing"], runs["floor"], strict=True)
        ]
        print(
            f"for reference, floor/hello: {floor:.3f}; signing/floor: {ratio / floor:.3f} "
            "(of each round: " + " ".join(f"{r:.3f}" for r in each_floor) + ")"
        )
        shell = _median_run(runs["crm shell"])["rps"] / hello_rps
        print(f"for reference, crm shell/hello: {shell:.3f}")
    if args.cpu:
        print_cpu(runs)
    errors = sum(m["errors"] for name in ("hello", "signing") for m in runs[name])
    ok = sum(m["ok"] for m in runs["signing"])
    in_flight = rows - ok
    rows_match = 0 <= in_flight <= args.connections * rounds
    print(f"ratio signing/hello (medians): {ratio:.3f} (goal >= {GOAL})")
    print(f"errors (non-2xx/3xx and socket): {errors} (goal 0)")
    print(
        f"signature rows written in the measured runs: {rows}; signing 2xx/3xx responses: "
        f"{ok}; rows not answered before wrk stopped: {in_flight} "
        f"(at most {args.connections} per run, one per connection)"
    )
    print(f"signatures in all: {signatures}; confirmation mails in the outbox: {mails}")
    passed = ratio >= GOAL and errors == 0 and rows_match and mails == signatures
    print(("PASS" if passed else "FAIL") + f": ratio {ratio:.3f}, {errors} errors")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
