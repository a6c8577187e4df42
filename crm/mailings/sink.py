"""The development mail sink: an SMTP server on loopback that keeps every message as a file,
for the dev mailbox page. Never used in production."""

import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, directory: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.count += 1
        name = f"{time.time_ns()}-{self.count}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted"


def start_sink(directory: str, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


def list_messages(directory: str, limit: int = 200) -> list[dict]:
    folder = Path(directory)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    out = []
    for path in files:
        msg = message_from_bytes(path.read_bytes(), policy=default)
        out.append(
            {"name": path.name, "to": msg["To"], "subject": msg["Subject"], "date": msg["Date"]}
        )
    return out


def read_message(directory: str, name: str):
    path = Path(directory) / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        return None
    raw = path.read_bytes()
    msg = message_from_bytes(raw, policy=default)
    text = msg.get_body(preferencelist=("plain",))
    return {
        "headers": list(msg.items()),
        "text": text.get_content() if text else "",
        "raw": raw.decode(errors="replace"),
    }
