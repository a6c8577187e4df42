"""Evidence files of award registrations: distributor or collecting-society statements.

Stored under <instance_path>/uploads/awards/ with random names (never under static/) and served
only by the download view, to the label's own users and staff. The checks are the shared ones
of crm/uploads.py: extension AND first bytes.
"""

from pathlib import Path

from flask import current_app

from crm import uploads as shared
from crm.uploads import DEFAULT_MAX_BYTES, PDF, ZIP, CheckedFile, StoredFile, UploadError

__all__ = ["ALLOWED", "ALLOWED_LABEL", "CheckedFile", "StoredFile", "UploadError"]

ALLOWED = {
    "pdf": ("application/pdf", (PDF,)),
    "csv": ("text/csv; charset=utf-8", None),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (ZIP,)),
}
ALLOWED_LABEL = "PDF, CSV, XLSX or ODS"
# More files than this in one form is a mistake, not evidence.
MAX_FILES = 10


# Room left in a request for the typed fields next to the files.
FORM_MARGIN = 64 * 1024


def request_limit() -> int:
    """The size of a whole request (MAX_CONTENT_LENGTH): a larger one is refused (413) before
    the form is read, and what was typed is lost. This is the total the form states."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return MAX_FILES * int(current_app.config.get("AWARD_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))
    return int(limit)


def max_total_bytes() -> int:
    """The most all the files of one form may add up to: the request limit, less room for the
    typed fields."""
    limit = request_limit()
    return max(limit - FORM_MARGIN, 1) if current_app.config.get("MAX_CONTENT_LENGTH") else limit


def max_bytes() -> int:
    """The most one file may have: the configured size, and never more than the total."""
    each = int(current_app.config.get("AWARD_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))
    return min(each, max_total_bytes())


def megabytes(size: int) -> str:
    """A size for the form's text: "10 MB", "19.9 MB"."""
    return f"{size / 1024 / 1024:.3g} MB"


def upload_dir() -> Path:
    return shared.area_dir("awards")


def path_of(stored_name: str) -> Path:
    return shared.safe_path(upload_dir(), stored_name)


def chosen_files(file_storages) -> list:
    """The files actually chosen: a file input left empty still sends an empty part."""
    return [f for f in (file_storages or []) if getattr(f, "filename", None)]


def check_all(file_storages) -> list[CheckedFile]:
    """Read and check every file; UploadError naming the file at fault. Writes nothing."""
    files = chosen_files(file_storages)
    if len(files) > MAX_FILES:
        raise UploadError(f"Upload at most {MAX_FILES} files at a time.")
    checked = []
    for file_storage in files:
        try:
            checked.append(shared.read_checked(file_storage, ALLOWED, ALLOWED_LABEL, max_bytes()))
        except UploadError as error:
            name = shared.original_name(file_storage.filename or "", "the file")
            raise UploadError(f"{name}: {error}") from error
    total = sum(len(item.data) for item in checked)
    if total > max_total_bytes():
        raise UploadError(
            f"The files add up to {megabytes(total)}; one form accepts at most "
            f"{megabytes(request_limit())} in all. Nothing was saved."
        )
    return checked


def write_all(checked: list[CheckedFile]) -> list[StoredFile]:
    """Write checked files; if one write fails, the ones already written are removed."""
    stored: list[StoredFile] = []
    try:
        for item in checked:
            stored.append(shared.write(item, upload_dir()))
    except OSError:
        remove_all(s.stored_name for s in stored)
        raise
    return stored


def remove_all(stored_names) -> None:
    for name in stored_names:
        shared.remove(upload_dir(), name)
