"""Checking and storing uploaded priority documents.

Files live under <instance_path>/uploads/policy/ with a random name, never under static/: the
web server cannot serve them directly, and only the download view (login and role checked) can.
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
# extension: (content type, accepted leading bytes; None means "plain UTF-8 text")
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (ZIP,),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "odt": ("application/vnd.oasis.opendocument.text", (ZIP,)),
    "csv": ("text/csv; charset=utf-8", None),
    "txt": ("text/plain; charset=utf-8", None),
}
ALLOWED_LABEL = "PDF, DOCX, ODT, XLSX, CSV, TXT, PNG or JPEG"


class UploadError(ValueError):
    """Why a file was refused, in words for the person who sent it."""


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int


def max_bytes() -> int:
    return int(current_app.config.get("POLICY_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_dir() -> Path:
    return Path(current_app.instance_path) / "uploads" / "policy"


def path_of(stored_name: str) -> Path:
    # Stored names are ours (hex plus a known extension), but never trust a path blindly.
    if os.sep in stored_name or "/" in stored_name or stored_name.startswith("."):
        raise UploadError("Bad stored file name.")
    return upload_dir() / stored_name


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


def _original_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(c for c in name if c.isprintable())
    return name[-255:] or "document"


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check(filename: str, data: bytes) -> tuple[str, str]:
    """The (extension, content type) of an acceptable file; UploadError otherwise."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ALLOWED:
        raise UploadError(f"This kind of file is not accepted: upload a {ALLOWED_LABEL} file.")
    if not data:
        raise UploadError("The file is empty.")
    content_type, magic = ALLOWED[ext]
    if magic is None:
        if not _looks_like_text(data):
            raise UploadError(f"The file is not plain UTF-8 text, as a .{ext} file should be.")
    elif not data.startswith(magic):
        raise UploadError(
            f"The file's content is not a {ext.upper()} file, whatever its name says."
        )
    return ext, content_type


def store(file_storage) -> StoredFile:
    """Check an uploaded file and write it under a random name. Nothing is written on refusal."""
    limit = max_bytes()
    data = file_storage.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"The file is larger than the {_human(limit)} this form accepts.")
    original = _original_name(file_storage.filename or "")
    ext, content_type = check(original, data)
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{ext}"
    # "xb": never overwrite, even on a (vanishingly unlikely) name collision.
    with open(directory / stored_name, "xb") as handle:
        handle.write(data)
    return StoredFile(stored_name, original, content_type, len(data))


def remove(stored_name: str | None) -> None:
    """Delete a stored file, if it is still there."""
    if stored_name:
        path_of(stored_name).unlink(missing_ok=True)
