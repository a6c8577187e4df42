"""Checking and storing uploaded files, shared by the packages that accept them.

Files live under <instance_path>/uploads/<area>/ with a random name, never under static/: the
web server cannot serve them directly, and only a download view (login and object checked) can.
The type is decided by the extension AND the file's first bytes; the browser's claimed
content type is ignored.
"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ZIP = b"PK\x03\x04"
PDF = b"%PDF-"


class UploadError(ValueError):
    """Why a file was refused, in words for the person who sent it."""


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int


@dataclass
class CheckedFile:
    """A file that passed the checks, still in memory: nothing is written yet."""

    original_name: str
    ext: str
    content_type: str
    data: bytes


def area_dir(area: str) -> Path:
    return Path(current_app.instance_path) / "uploads" / area


def safe_path(directory: Path, stored_name: str) -> Path:
    # Stored names are ours (hex plus a known extension), but never trust a path blindly.
    if not stored_name or os.sep in stored_name or "/" in stored_name or stored_name[0] == ".":
        raise UploadError("Bad stored file name.")
    return directory / stored_name


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


def original_name(filename: str, default: str = "document") -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(c for c in name if c.isprintable())
    return name[-255:] or default


def looks_like_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check(filename: str, data: bytes, allowed: dict, label: str) -> tuple[str, str]:
    """The (extension, content type) of an acceptable file; UploadError otherwise.

    `allowed` maps an extension to (content type, accepted leading bytes or None for UTF-8 text).
    """
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in allowed:
        raise UploadError(f"This kind of file is not accepted: upload a {label} file.")
    if not data:
        raise UploadError("The file is empty.")
    content_type, magic = allowed[ext]
    if magic is None:
        if not looks_like_text(data):
            raise UploadError(f"The file is not plain UTF-8 text, as a .{ext} file should be.")
    elif not data.startswith(magic):
        raise UploadError(
            f"The file's content is not a {ext.upper()} file, whatever its name says."
        )
    return ext, content_type


def read_checked(file_storage, allowed: dict, label: str, limit: int) -> CheckedFile:
    """Read and check an uploaded file without writing anything."""
    data = file_storage.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"The file is larger than the {human_size(limit)} this form accepts.")
    name = original_name(file_storage.filename or "")
    ext, content_type = check(name, data, allowed, label)
    return CheckedFile(name, ext, content_type, data)


def write(checked: CheckedFile, directory: Path) -> StoredFile:
    """Write a checked file under a random name."""
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{checked.ext}"
    # "xb": never overwrite, even on a (vanishingly unlikely) name collision.
    with open(directory / stored_name, "xb") as handle:
        handle.write(checked.data)
    return StoredFile(stored_name, checked.original_name, checked.content_type, len(checked.data))


def remove(directory: Path, stored_name: str | None) -> None:
    """Delete a stored file, if it is still there."""
    if stored_name:
        safe_path(directory, stored_name).unlink(missing_ok=True)
