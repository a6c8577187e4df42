"""Checking and storing uploaded priority documents.

Files live under <instance_path>/uploads/policy/ with a random name, never under static/: the
web server cannot serve them directly, and only the download view (login and role checked) can.
The checks themselves (extension AND first bytes) are shared: see crm/uploads.py.
"""

from pathlib import Path

from flask import current_app

from crm import uploads as shared
from crm.uploads import DEFAULT_MAX_BYTES, ZIP, StoredFile, UploadError

__all__ = ["ALLOWED", "ALLOWED_LABEL", "StoredFile", "UploadError", "check", "remove", "store"]

# extension: (content type, accepted leading bytes; None means "plain UTF-8 text")
ALLOWED = {
    "pdf": ("application/pdf", (shared.PDF,)),
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


def max_bytes() -> int:
    return int(current_app.config.get("POLICY_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_dir() -> Path:
    return shared.area_dir("policy")


def path_of(stored_name: str) -> Path:
    return shared.safe_path(upload_dir(), stored_name)


def check(filename: str, data: bytes) -> tuple[str, str]:
    """The (extension, content type) of an acceptable file; UploadError otherwise."""
    return shared.check(filename, data, ALLOWED, ALLOWED_LABEL)


def store(file_storage) -> StoredFile:
    """Check an uploaded file and write it under a random name. Nothing is written on refusal."""
    checked = shared.read_checked(file_storage, ALLOWED, ALLOWED_LABEL, max_bytes())
    return shared.write(checked, upload_dir())


def remove(stored_name: str | None) -> None:
    """Delete a stored file, if it is still there."""
    shared.remove(upload_dir(), stored_name)
