"""Writes to priorities, their documents, dossiers, key dates and milestones. Each adds,
flushes and audits; the caller commits once."""

from datetime import UTC, datetime

from sqlalchemy import func, select, update

from crm.audit.services import record, snapshot
from crm.extensions import db
from crm.members import normalise
from crm.policy import uploads, vocab
from crm.policy.models import (
    Action,
    Dossier,
    DossierDate,
    Milestone,
    Priority,
    PriorityDocument,
)

PRIORITY_FIELDS = ("title", "slug", "summary", "owner_id", "status", "position")
DOSSIER_FIELDS = ("priority_id", "title", "reference", "stage", "summary", "asks", "outcome")
MILESTONE_FIELDS = ("happened_on", "title", "body", "priority_id", "published")


class PolicyError(ValueError):
    """A user-facing reason a change was refused; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def slugify(text: str, max_length: int = 80) -> str:
    return "-".join(normalise.words(text))[:max_length].strip("-") or "item"


def unique_slug(model, wanted: str | None, title: str, exclude_id: int | None = None) -> str:
    """The slug asked for (refused if taken), or one made from the title (numbered if taken)."""

    def taken(slug: str) -> bool:
        stmt = select(model.id).where(model.slug == slug)
        if exclude_id:
            stmt = stmt.where(model.id != exclude_id)
        return db.session.scalar(stmt) is not None

    if wanted:
        if taken(wanted):
            raise PolicyError("Another record already uses this slug.", "slug")
        return wanted
    base = slugify(title, 74)
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply(obj, fields: tuple[str, ...], data: dict) -> None:
    for field in fields:
        if field in data:
            setattr(obj, field, clean(data[field]))


def _check_choice(value, allowed: dict, field: str) -> None:
    if value not in allowed:
        raise PolicyError("Choose one of the listed values.", field)


def _audit_update(entity: str, obj, before: dict, summary: str) -> None:
    after = snapshot(obj)
    if after != before:
        record("update", entity, obj.id, summary, before=before, after=after)


def move_linked_actions(entity: str, obj, before_priority_id: int | None) -> int:
    """After a dossier or campaign moved to another priority, move the actions linked to it
    too (else they could no longer be edited, and reports would count them under the old
    one); one audit event on the record says how many moved."""
    if obj.priority_id == before_priority_id:
        return 0
    link = Action.dossier_id if entity == "dossier" else Action.campaign_id
    moved = db.session.execute(
        update(Action)
        .where(link == obj.id, Action.priority_id.is_distinct_from(obj.priority_id))
        .values(priority_id=obj.priority_id)
    ).rowcount
    if moved:
        record(
            "update",
            entity,
            obj.id,
            f"Moved {moved} linked action(s) with the {entity} to its new priority",
            before={"actions_priority_id": before_priority_id},
            after={"actions_priority_id": obj.priority_id, "actions_moved": moved},
        )
    return moved


# --- priorities ------------------------------------------------------------------------------


def create_priority(data: dict) -> Priority:
    """Create a priority, at the end of the list unless a position is given."""
    _check_choice(data.get("status"), vocab.PRIORITY_STATUSES, "status")
    priority = Priority()
    _apply(priority, PRIORITY_FIELDS, data)
    priority.slug = unique_slug(Priority, clean(data.get("slug")), priority.title)
    if priority.position is None:
        last = db.session.scalar(select(func.max(Priority.position)))
        priority.position = (last or 0) + 10
    db.session.add(priority)
    db.session.flush()
    record(
        "create",
        "priority",
        priority.id,
        f"Created priority {priority.title}",
        after=snapshot(priority),
    )
    return priority


def update_priority(priority: Priority, data: dict) -> None:
    """Change a priority's fields."""
    _check_choice(data.get("status", priority.status), vocab.PRIORITY_STATUSES, "status")
    before = snapshot(priority)
    slug = unique_slug(
        Priority,
        clean(data.get("slug")),
        data.get("title") or priority.title,
        exclude_id=priority.id,
    )
    _apply(priority, PRIORITY_FIELDS, {**data, "slug": slug})
    if priority.position is None:
        priority.position = before["position"]
    db.session.flush()
    _audit_update("priority", priority, before, f"Updated priority {priority.title}")


# --- documents -------------------------------------------------------------------------------


def add_link(priority: Priority, title: str, url: str, user_id: int | None) -> PriorityDocument:
    """Link a web page to a priority."""
    url = clean(url) or ""
    if not url.lower().startswith(("http://", "https://")):
        raise PolicyError("Start the link with http:// or https://.", "url")
    document = PriorityDocument(
        priority_id=priority.id,
        title=clean(title),
        url=url,
        uploaded_by_id=user_id,
        created_at=datetime.now(UTC),
    )
    return _add_document(priority, document)


def add_upload(priority: Priority, title: str, file_storage, user_id: int | None):
    """Check and store an uploaded file, and attach it to a priority."""
    try:
        stored = uploads.store(file_storage)
    except uploads.UploadError as error:
        raise PolicyError(str(error), "file") from error
    document = PriorityDocument(
        priority_id=priority.id,
        title=clean(title),
        stored_name=stored.stored_name,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size=stored.size,
        uploaded_by_id=user_id,
        created_at=datetime.now(UTC),
    )
    try:
        return _add_document(priority, document)
    except Exception:
        uploads.remove(stored.stored_name)
        raise


def _add_document(priority: Priority, document: PriorityDocument) -> PriorityDocument:
    db.session.add(document)
    db.session.flush()
    record(
        "create",
        "priority_document",
        document.id,
        f"Added document {document.title} to {priority.title}",
        after=snapshot(document),
    )
    return document


def delete_document(document: PriorityDocument) -> str | None:
    """Delete a document's record; returns the stored file to remove once the change commits."""
    record(
        "delete",
        "priority_document",
        document.id,
        f"Deleted document {document.title} from {document.priority.title}",
        before=snapshot(document),
    )
    stored_name = document.stored_name
    db.session.delete(document)
    db.session.flush()
    return stored_name


# --- dossiers --------------------------------------------------------------------------------


def _check_dossier(data: dict) -> None:
    if db.session.get(Priority, data.get("priority_id") or 0) is None:
        raise PolicyError("Choose a priority.", "priority_id")
    _check_choice(data.get("stage"), vocab.DOSSIER_STAGES, "stage")


def create_dossier(data: dict) -> Dossier:
    """Create a dossier under a priority."""
    _check_dossier(data)
    dossier = Dossier()
    _apply(dossier, DOSSIER_FIELDS, data)
    db.session.add(dossier)
    db.session.flush()
    record(
        "create", "dossier", dossier.id, f"Created dossier {dossier.title}", after=snapshot(dossier)
    )
    return dossier


def update_dossier(dossier: Dossier, data: dict) -> None:
    """Change a dossier's fields, its stage among them."""
    _check_dossier({"priority_id": dossier.priority_id, "stage": dossier.stage, **data})
    before = snapshot(dossier)
    _apply(dossier, DOSSIER_FIELDS, data)
    db.session.flush()
    _audit_update("dossier", dossier, before, f"Updated dossier {dossier.title}")
    move_linked_actions("dossier", dossier, before["priority_id"])


def add_dossier_date(dossier: Dossier, data: dict) -> DossierDate:
    """Add a key date to a dossier."""
    _check_choice(data.get("kind"), vocab.DOSSIER_DATE_KINDS, "kind")
    if data.get("due_on") is None:
        raise PolicyError("Give the date.", "due_on")
    item = DossierDate(
        dossier_id=dossier.id,
        label=clean(data.get("label")),
        kind=data["kind"],
        due_on=data["due_on"],
        done=bool(data.get("done")),
    )
    db.session.add(item)
    db.session.flush()
    record(
        "create",
        "dossier_date",
        item.id,
        f"Added date {item.due_on} {item.label} to {dossier.title}",
        after=snapshot(item),
    )
    return item


def set_dossier_date_done(item: DossierDate, done: bool) -> None:
    """Mark a key date done or open again."""
    before = snapshot(item)
    item.done = done
    db.session.flush()
    _audit_update(
        "dossier_date",
        item,
        before,
        f"Marked {item.label} {'done' if done else 'open'} on {item.dossier.title}",
    )


def delete_dossier_date(item: DossierDate) -> None:
    """Remove a key date from a dossier."""
    record(
        "delete",
        "dossier_date",
        item.id,
        f"Removed date {item.due_on} {item.label} from {item.dossier.title}",
        before=snapshot(item),
    )
    db.session.delete(item)
    db.session.flush()


# --- milestones ------------------------------------------------------------------------------


def _check_milestone(data: dict) -> None:
    if data.get("happened_on") is None:
        raise PolicyError("Give the date.", "happened_on")
    if data.get("priority_id") and db.session.get(Priority, data["priority_id"]) is None:
        raise PolicyError("Choose a priority from the list.", "priority_id")


def create_milestone(data: dict) -> Milestone:
    """Create a milestone (published unless said otherwise)."""
    _check_milestone(data)
    milestone = Milestone()
    _apply(milestone, MILESTONE_FIELDS, data)
    milestone.published = bool(data.get("published", True))
    db.session.add(milestone)
    db.session.flush()
    record(
        "create",
        "milestone",
        milestone.id,
        f"Created milestone {milestone.title}",
        after=snapshot(milestone),
    )
    return milestone


def update_milestone(milestone: Milestone, data: dict) -> None:
    """Change a milestone, its publication among it."""
    _check_milestone({"happened_on": milestone.happened_on, **data})
    before = snapshot(milestone)
    _apply(milestone, MILESTONE_FIELDS, data)
    milestone.published = bool(milestone.published)
    db.session.flush()
    _audit_update("milestone", milestone, before, f"Updated milestone {milestone.title}")


def set_milestone_published(milestone: Milestone, published: bool) -> None:
    """Publish or unpublish a milestone."""
    update_milestone(milestone, {"published": published})
