"""Uploaded files kept between the web import's preview and its confirmation."""

import os
import re
import secrets
import time
from pathlib import Path

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
STALE_UPLOAD_SECONDS = 24 * 60 * 60


def upload_folder(instance_path: str) -> Path:
    return Path(instance_path) / "imports"


def store_upload(instance_path: str, data: bytes) -> str:
    """Keep an uploaded file until it is confirmed; returns its token. Old ones are removed."""
    folder = upload_folder(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    # Member data: readable by the application's user only.
    fd = os.open(folder / f"{token}.csv", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return token


def stored_upload(instance_path: str, token: str) -> Path | None:
    """The stored file of a token, or None for a malformed or unknown token."""
    if not TOKEN.fullmatch(token):
        return None
    path = upload_folder(instance_path) / f"{token}.csv"
    return path if path.is_file() else None
