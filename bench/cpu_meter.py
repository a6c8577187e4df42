"""CPU seconds a bench run cost, by who spent them: the server's worker processes, PostgreSQL
(the bench database's sessions and the server's own background processes: WAL writer,
checkpointer, autovacuum) and the load generator. Read from /proc (Linux only).

On a shared machine requests per second swing with the neighbours. The CPU a request cost swings
less (contention inflates it too), and split by process it says where the cost lies: the app,
the database or the load tool. A process that started during the run counts whole; one that
ended during it is missed (a pooled bench keeps its connections and workers, so there are none).
Requests still in flight when the load tool stops are counted on the server side only.
"""

import os
import re
import resource
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
# A PostgreSQL session's title: "postgres: [<cluster>: ]<user> <database> <client> <state>";
# background processes ("postgres: 15/main: walwriter") have no client part.
SESSION_TITLE = re.compile(r"^postgres: (?:\S+: )?\S+ (\S+) \S+\(\d+\)")


def _stat(pid: str) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds) of a process, None if it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The name is in parentheses and may hold spaces; the fields after it are plain.
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _session_database(pid: str) -> str | None:
    """The database a PostgreSQL session serves; None for the server's background processes."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    match = SESSION_TITLE.match(title)
    return match.group(1) if match else None


def _snapshot(server_pid: int, database: str) -> tuple[dict, dict, float]:
    """CPU seconds by (pid, name) of the server's workers and of PostgreSQL serving `database`,
    and of finished children (the load generator, once waited for)."""
    workers, postgres = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _stat(entry)
        if stat is None:
            continue
        name, parent, seconds = stat
        if parent == server_pid:
            workers[entry, name] = seconds
        elif name == "postgres" and _session_database(entry) in (None, database):
            postgres[entry, name] = seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return workers, postgres, children.ru_utime + children.ru_stime


def _spent(before: dict, after: dict) -> float:
    # Keyed by (pid, name), so a pid reused by another program is a new process, counted whole.
    return sum(max(0.0, seconds - before.get(key, 0.0)) for key, seconds in after.items())


@dataclass
class CpuSpent:
    """CPU seconds of one run."""

    app: float = 0.0
    postgres: float = 0.0
    load: float = 0.0

    def per_request_ms(self, requests: int) -> dict[str, float]:
        """Milliseconds per request of each, and `server`: the app's and PostgreSQL's together."""
        n = max(requests, 1)
        per = {
            "app": 1000 * self.app / n,
            "postgres": 1000 * self.postgres / n,
            "load": 1000 * self.load / n,
        }
        per["server"] = per["app"] + per["postgres"]
        return per


class CpuMeter:
    """with CpuMeter(gunicorn_pid, "bench_signing") as spent: <one run; the load tool must be a
    child this process waits for before the block ends>"""

    def __init__(self, server_pid: int, database: str):
        self.server_pid = server_pid
        self.database = database
        self.spent = CpuSpent()

    def __enter__(self) -> CpuSpent:
        self.before = _snapshot(self.server_pid, self.database)
        return self.spent

    def __exit__(self, *exc) -> None:
        workers, postgres, load = _snapshot(self.server_pid, self.database)
        self.spent.app = _spent(self.before[0], workers)
        self.spent.postgres = _spent(self.before[1], postgres)
        self.spent.load = load - self.before[2]
