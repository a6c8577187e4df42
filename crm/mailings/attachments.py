"""PDF attachments of press releases: checked (extension AND first bytes, size), stored under
<instance_path>/uploads/mailings/ with random names, served only by the views (staff while the
release is a draft, the public once it is published)."""

from pathlib import Path

from flask import current_app

from crm import uploads as shared
from crm.audit.services import record
from crm.extensions import db
from crm.mailings.models import Mailing, MailingAttachment, MailingKind, MailingStatus
from crm.uploads import DEFAULT_MAX_BYTES, PDF, StoredFile, UploadError

__all__ = ["ALLOWED", "StoredFile", "UploadError", "add_attachment", "remove_attachment"]

ALLOWED = {"pdf": ("application/pdf", (PDF,))}
ALLOWED_LABEL = "PDF"
CONTENT_TYPE = "application/pdf"
# A press kit, not an archive: more files than this is a mistake.
MAX_ATTACHMENTS = 10


def max_bytes() -> int:
    return int(current_app.config.get("MAILING_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_dir() -> Path:
    return shared.area_dir("mailings")


def path_of(stored_name: str) -> Path:
    return shared.safe_path(upload_dir(), stored_name)


def is_pdf(attachment: MailingAttachment) -> bool:
    """The stored file is there and still starts like a PDF (preflight reads it again)."""
    if not attachment.stored_name.endswith(".pdf"):
        return False
    try:
        with open(path_of(attachment.stored_name), "rb") as handle:
            return handle.read(len(PDF)) == PDF
    except (OSError, UploadError):
        return False


def add_attachment(mailing: Mailing, file_storage, title: str | None) -> MailingAttachment:
    """Check and store a PDF for a draft press release; UploadError says why not."""
    from crm.mailings.services import mark_edited

    if mailing.status != MailingStatus.DRAFT:
        raise UploadError("Attachments can only change while the mailing is a draft.")
    if mailing.kind != MailingKind.PRESS_RELEASE:
        raise UploadError("Only press releases carry attachments.")
    if len(mailing.attachments) >= MAX_ATTACHMENTS:
        raise UploadError(f"A press release carries at most {MAX_ATTACHMENTS} attachments.")
    checked = shared.read_checked(file_storage, ALLOWED, ALLOWED_LABEL, max_bytes())
    mark_edited(mailing)  # refuses (StateChanged) if it stopped being a draft meanwhile
    stored = shared.write(checked, upload_dir())
    attachment = MailingAttachment(
        stored_name=stored.stored_name,
        original_name=stored.original_name,
        title=title or stored.original_name,
        size=stored.size,
    )
    mailing.attachments.append(attachment)
    db.session.flush()
    record(
        "update",
        "mailing",
        mailing.id,
        f"Attached {attachment.original_name} to mailing {mailing.id}",
        after={"attachment": attachment.original_name, "size": attachment.size},
    )
    return attachment


def remove_attachment(mailing: Mailing, attachment: MailingAttachment) -> str:
    """Remove an attachment of a draft; returns the stored name to delete after the commit."""
    from crm.mailings.services import mark_edited

    if mailing.status != MailingStatus.DRAFT:
        raise UploadError("Attachments can only change while the mailing is a draft.")
    mark_edited(mailing)
    stored_name = attachment.stored_name
    mailing.attachments.remove(attachment)
    db.session.flush()
    record(
        "update",
        "mailing",
        mailing.id,
        f"Removed attachment {attachment.original_name} from mailing {mailing.id}",
        before={"attachment": attachment.original_name},
    )
    return stored_name


def remove_file(stored_name: str | None) -> None:
    shared.remove(upload_dir(), stored_name)
