"""A local SMTP sink for `make prod` when no mail server is configured: every message is kept as
a .eml file in a folder, nothing leaves the machine. Not for a real deployment (set MAIL_SERVER).

    .venv/bin/python deploy/mail_sink.py FOLDER [--host 127.0.0.1] [--port 8025]
"""

import argparse
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm.mailings.sink import start_sink  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sink = start_sink(args.folder, host=args.host, port=args.port)
    print(f"mail sink on {args.host}:{args.port}, messages in {args.folder}", flush=True)
    try:
        stop.wait()
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
