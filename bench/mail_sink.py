"""Postfix's smtp-sink for the mail benchmarks, and counting what it received by Message-ID.

smtp-sink's -D option appends every message it accepts to one dump file (each after the -S
separator line). It writes the message before it answers the final "250": a message the client
saw accepted is always in the file, and a SIGKILL loses nothing already written (the data is in
the kernel; only a power cut would need an fsync). The recording costs the sink a few small
writes per message, which the throughput bench measures against a sink that records nothing.
"""

import os
import re
import signal
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from bench.ports import wait_for_port

MARKER = "=====CRM-BENCH-SINK====="
_MESSAGE_ID = re.compile(rb"(?mi)^Message-ID:[ \t]*(<[^>\r\n]+>)")


class Sink:
    """smtp-sink on a loopback port; with `dump`, every accepted message is appended to it."""

    def __init__(self, port: int, dump: Path | None):
        self.port, self.dump = port, dump
        self.process: subprocess.Popen | None = None

    def start(self) -> "Sink":
        command = ["smtp-sink"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # smtp-sink refuses to run as root
        if self.dump is not None:
            command += ["-D", str(self.dump), "-S", MARKER + "\\n"]
        command += [f"127.0.0.1:{self.port}", "1000"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for_port(self.port, 15, what="no smtp-sink")
        return self

    def kill(self) -> None:
        """SIGKILL: no goodbye to open connections, nothing flushed that was not yet written."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def sink_dir() -> Path:
    """A directory smtp-sink may write to after it drops root for `nobody`."""
    path = Path(tempfile.mkdtemp(prefix="crm-bench-sink-"))
    path.chmod(0o777)
    return path


def received_ids(*dumps: Path) -> Counter:
    """How many times the sink accepted each Message-ID, over the given dump files; messages
    without one are counted under None."""
    counts: Counter = Counter()
    for dump in dumps:
        if not dump.exists():
            continue
        for record in dump.read_bytes().split(MARKER.encode() + b"\n")[1:]:
            head = record.split(b"\n\n", 1)[0]
            found = _MESSAGE_ID.search(head)
            counts[found.group(1).decode() if found else None] += 1
    return counts


def tally(expected: dict[str, str], received: Counter) -> dict:
    """Lost (queued for sending, never received, not failed), duplicates (copies beyond the
    first), and anything received that was not expected."""
    return {
        "distinct": len([key for key in received if key is not None]),
        "lost": sum(
            1 for mid, status in expected.items() if status != "failed" and not received[mid]
        ),
        "duplicates": sum(n - 1 for key, n in received.items() if key is not None and n > 1),
        "strangers": sum(n for key, n in received.items() if key not in expected),
        "failed": sum(1 for status in expected.values() if status == "failed"),
    }
