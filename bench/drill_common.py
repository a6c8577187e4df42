"""What the fault drills share: a fresh PostgreSQL database and gunicorn from bench_signing.py
(imported, not copied), an HTTP client that records every status, and service control that
always leaves PostgreSQL and Redis running (other engineers and CI use them)."""

import http.cookiejar
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PG_VERSION = sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else ""
PG_CTL = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main"]
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def bench_signing(database: str):
    """bench_signing.py, pointed at a database of our own: never its bench_signing database,
    which the signing benchmark may be using at the same time."""
    os.environ["BENCH_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    from bench import bench_signing as module
    from config import database_url

    module.DATABASE = database
    module.BenchSigningConfig.SQLALCHEMY_DATABASE_URI = database_url(
        os.environ["BENCH_DATABASE_URL"]
    )
    return module


class Server:
    """bench_signing.Gunicorn serving bench_app() with the given config class; its log (a file
    gunicorn writes, never a pipe nobody reads) is copied to bench/results/NAME.log on exit."""

    def __init__(self, module, config_ref: str, name: str, database_url: str):
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log_path = RESULTS / f"{name}.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BENCH_DATABASE_URL": database_url,
            "CRM_BENCH_CONFIG": config_ref,
        }
        self.gunicorn = module.Gunicorn("bench.bench_signing:bench_app()", env)
        self.port = self.gunicorn.port

    def __enter__(self):
        self.gunicorn.__enter__()
        return self

    def __exit__(self, *exc):
        # Gunicorn.__exit__ closes its log file: keep a copy for log_count() first.
        self.gunicorn.process.send_signal(signal.SIGTERM)
        try:
            self.gunicorn.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.gunicorn.process.kill()
        self.gunicorn.log.flush()
        self.gunicorn.log.seek(0)
        self.log_path.write_text(self.gunicorn.log.read())
        self.gunicorn.__exit__(*exc)

    def log_count(self, text: str) -> int:
        return self.log_path.read_text(errors="replace").count(text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to record, not to follow


class Client:
    """One HTTP client (its own cookies) that returns a status for every request: the HTTP code,
    or 'conn' when no answer came (refused, reset, timed out)."""

    def __init__(self, base: str, timeout: float = 15):
        self.base = base
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int | str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=self.timeout) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, OSError):
            return "conn", ""


def run(command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)


def postgres_ready() -> bool:
    return run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode == 0


def ensure_postgres() -> None:
    """Start PostgreSQL if it is not answering, and wait until it does."""
    if not postgres_ready():
        run([*PG_CTL, "start"], check=False)
    wait_until(postgres_ready, 60, "PostgreSQL did not come back")


def redis_ready() -> bool:
    return run(["redis-cli", "-p", "6379", "ping"], check=False).stdout.strip() == "PONG"


def ensure_redis() -> None:
    """Start Redis (the machine's own command) if it is not answering, and wait until it does."""
    if not redis_ready():
        run(REDIS_START, check=False)
    wait_until(redis_ready, 30, "Redis did not come back")


def wait_until(ready, seconds: float, message: str) -> float:
    """Poll `ready` until true; returns when (time.monotonic) it became true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return time.monotonic()
        time.sleep(0.1)
    raise RuntimeError(message)


def table(headings: list[str], rows: list[list]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headings, *rows, strict=True)]
    lines = ["  ".join(f"{h:<{w}}" for h, w in zip(headings, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(f"{str(x):<{w}}" for x, w in zip(row, widths, strict=True)))
    return "\n".join(lines)
