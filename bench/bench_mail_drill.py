"""Does a mailing reach everyone exactly once when the mail server or the worker dies? (goals:
sink drill lost 0, duplicates 0; SIGKILL drill lost 0, duplicates <= 1 per open connection)

Creates a fresh PostgreSQL database bench_mail_drill with 6,000 people and a newsletter queued
to each of them (as bench_mail.py does), then runs two drills, each with one `flask --app wsgi
crm worker` (not draining: it keeps retrying while the server is away) against Postfix's
smtp-sink on a loopback port:

  sink drill     the sink is killed with SIGKILL three times during the send (after about 20%,
                 45% and 70% of the messages are marked sent) and started again on the same
                 port a second later
  SIGKILL drill  the deliveries queued again, a fresh sink; the worker is killed with SIGKILL
                 once, after about 40%, and a new worker is started at once. The dead worker's
                 claims come back after MAIL_CLAIM_LEASE, set to LEASE seconds for the drill
                 (300 in production) so the drill does not wait five minutes

Each drill ends when no delivery is queued or in flight any more (a message whose connection
broke is retried after the worker's reconnect delay), and the worker is stopped. Then, over
every sink run of the drill: lost = deliveries never received by any sink run and not marked
failed; duplicates = copies of a Message-ID beyond the first. One message may be on the wire
when the worker dies, so the SIGKILL drill allows one duplicate per open SMTP connection (one
worker: one connection).

Recording: Postfix's own smtp-sink, no recording sink of our own. Its -D option appends every
message it accepts to a dump file, writing it before it answers the final "250", so a message
the worker saw accepted is always in the file, and a SIGKILL loses nothing already written (the
data is in the kernel; an fsync would only matter for a power cut). Every sink run gets its own
file and the Message-ID headers are counted over all of them (bench/mail_sink.py).

    .venv/bin/python bench/bench_mail_drill.py [--recipients 6000]

Needs psql, Postfix's smtp-sink and PostgreSQL on 127.0.0.1:5432 (user postgres).
"""

import argparse
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mail_outbox import (  # noqa: E402
    SERVER,
    delivery_counts,
    expected_ids,
    prepare_database,
    query,
    reset,
    start_worker,
)
from bench.mail_sink import Sink, received_ids, sink_dir, tally  # noqa: E402
from bench.ports import free_port  # noqa: E402
from config import database_url  # noqa: E402

DATABASE = "bench_mail_drill"
RECIPIENTS = 6000
LEASE = 5  # seconds: MAIL_CLAIM_LEASE for the drill's workers
SINK_KILLS = (0.20, 0.45, 0.70)
WORKER_KILL = 0.40
# Kill half-way through a batch (MAIL_BATCH_SIZE is 100): at a round share of 6,000 the worker
# has just finished one and holds no claim and no connection, and the drill would test nothing.
MID_BATCH = 50
DRILL_TIMEOUT = 600  # seconds for one drill, back-offs included


class Progress:
    """How many of the mailing's deliveries are sent, and whether any is still to go."""

    def __init__(self, mailing_id: int):
        from sqlalchemy import create_engine, text

        self.engine = create_engine(database_url(f"{SERVER}/{DATABASE}"))
        self.query = text(
            "SELECT count(*) FILTER (WHERE status = 'sent'), "
            "count(*) FILTER (WHERE status IN ('queued', 'sending')) "
            "FROM delivery WHERE mailing_id = :m"
        )
        self.mailing_id = mailing_id

    def read(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            return tuple(conn.execute(self.query, {"m": self.mailing_id}).one())

    def wait_sent(self, count: int, deadline: float) -> None:
        while self.read()[0] < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {count} messages sent in time")
            time.sleep(0.02)

    def wait_done(self, deadline: float) -> None:
        while self.read()[1]:
            if time.monotonic() > deadline:
                raise RuntimeError("deliveries still queued or in flight at the time limit")
            time.sleep(0.2)

    def close(self) -> None:
        self.engine.dispose()


def retried(mailing_id: int) -> int:
    """Deliveries that took more than one attempt (a broken connection, a reclaimed claim)."""
    sql = "SELECT count(*) FROM delivery WHERE mailing_id = :m AND attempts > 1"
    return query(DATABASE, sql, m=mailing_id)[0][0]


def stop(worker: subprocess.Popen) -> None:
    """SIGTERM: the worker finishes the message in hand, releases the rest and exits."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    worker.communicate(timeout=120)


def sink_drill(mailing_id: int, n: int, workdir: Path) -> dict:
    port = free_port()
    dumps = [workdir / "sink-0.dump"]
    sink = Sink(port, dumps[0]).start()
    progress = Progress(mailing_id)
    start = time.monotonic()
    deadline = start + DRILL_TIMEOUT
    worker = start_worker(DATABASE, port, "--poll-interval", "0.2")
    try:
        for number, share in enumerate(SINK_KILLS, 1):
            progress.wait_sent(int(n * share) + MID_BATCH, deadline)
            sink.kill()
            time.sleep(1.0)
            dumps.append(workdir / f"sink-{number}.dump")
            sink = Sink(port, dumps[-1]).start()
        progress.wait_done(deadline)
    finally:
        stop(worker)
        sink.stop()
        progress.close()
    return {
        "seconds": time.monotonic() - start,
        "kills": len(SINK_KILLS),
        "allowed": 0,
        "dumps": dumps,
    }


def worker_drill(mailing_id: int, n: int, workdir: Path) -> dict:
    port = free_port()
    dumps = [workdir / "worker-drill.dump"]
    sink = Sink(port, dumps[0]).start()
    progress = Progress(mailing_id)
    start = time.monotonic()
    deadline = start + DRILL_TIMEOUT
    env = {"MAIL_CLAIM_LEASE": str(LEASE)}
    workers = [start_worker(DATABASE, port, "--poll-interval", "0.2", **env)]
    try:
        progress.wait_sent(int(n * WORKER_KILL) + MID_BATCH, deadline)
        killed = workers.pop()
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=60)
        workers.append(start_worker(DATABASE, port, "--poll-interval", "0.2", **env))
        progress.wait_done(deadline)
    finally:
        for worker in workers:
            stop(worker)
        sink.stop()
        progress.close()
    # The killed worker had one SMTP connection open: one message may have been accepted by
    # the sink without the worker living to mark it sent.
    return {"seconds": time.monotonic() - start, "kills": 1, "allowed": 1, "dumps": dumps}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=RECIPIENTS)
    args = parser.parse_args()
    for tool in ("psql", "smtp-sink"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian: apt-get install postgresql-client postfix)")
            return 2
    n = args.recipients
    _app, mailing_id = prepare_database(DATABASE, n)
    workdir = sink_dir()
    results = {}
    try:
        for name, drill in (("sink drill", sink_drill), ("SIGKILL drill", worker_drill)):
            if results:
                reset(DATABASE, mailing_id)
            outcome = drill(mailing_id, n, workdir)
            received = received_ids(*outcome["dumps"])
            outcome.update(tally(expected_ids(DATABASE, mailing_id), received))
            outcome["retried"] = retried(mailing_id)
            statuses = delivery_counts(DATABASE, mailing_id)
            outcome["sent"] = statuses["sent"]
            outcome["unfinished"] = statuses["queued"] + statuses["sending"]
            results[name] = outcome
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{n:,}-recipient mailing, one worker, Postfix smtp-sink on loopback; PostgreSQL")
    print(
        f"{'drill':<15}{'kills':>6}{'seconds':>9}{'sent':>7}{'failed':>8}{'retried':>9}"
        f"{'received':>10}{'lost':>6}{'dups':>6}{'allowed':>9}"
    )
    passed = True
    for name, r in results.items():
        print(
            f"{name:<15}{r['kills']:>6}{r['seconds']:>9.1f}{r['sent']:>7}{r['failed']:>8}"
            f"{r['retried']:>9}{r['distinct']:>10}{r['lost']:>6}{r['duplicates']:>6}"
            f"{r['allowed']:>9}"
        )
        ok = r["lost"] == 0 and r["duplicates"] <= r["allowed"] and r["unfinished"] == 0
        ok = ok and r["strangers"] == 0
        print(
            f"{'PASS' if ok else 'FAIL'}: {name}: lost {r['lost']} (goal 0), duplicates "
            f"{r['duplicates']} (goal <= {r['allowed']})"
        )
        passed &= ok
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
