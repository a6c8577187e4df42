"""Priorities and their documents: who may write, and uploads that are checked, stored outside
static/ and downloaded only by signed-in staff."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.policy import services
from crm.policy.models import Priority, PriorityDocument
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _priority(title="Value gap"):
    item = services.create_priority({"title": title, "status": "active"})
    db.session.commit()
    return item


def _upload(client, priority_id, data, filename, title="Position paper"):
    return client.post(
        f"/priorities/{priority_id}/documents/new",
        data={"title": title, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _documents():
    return db.session.scalars(select(PriorityDocument)).all()


def _stored_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / "policy"
    return sorted(folder.iterdir()) if folder.exists() else []


def _signed_in(login, app, role):
    user = factories.user(role)
    db.session.commit()
    return login(user, app.test_client())


@pytest.fixture(autouse=True)
def _clean_uploads(app):
    yield
    for path in _stored_files(app):
        path.unlink()


def test_officer_creates_and_edits_a_priority_with_audit(client, login_as):
    officer = login_as("officer")
    response = client.post(
        "/priorities/new",
        data={
            "title": "Fair copyright",
            "summary": "Line one\nLine two",
            "status": "active",
            "owner_id": officer.id,
        },
    )
    assert response.status_code == 302
    item = db.session.scalar(select(Priority))
    assert item.slug == "fair-copyright" and item.owner_id == officer.id
    response = client.post(
        f"/priorities/{item.id}/edit",
        data={
            "title": "Fair copyright",
            "slug": "copyright",
            "status": "monitoring",
            "owner_id": 0,
            "position": 3,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (item.slug, item.status, item.owner_id, item.position) == (
        "copyright",
        "monitoring",
        None,
        3,
    )
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "priority")
    ).all()
    assert sorted(events) == ["create", "update"]
    page = client.get(f"/priorities/{item.id}").get_data(as_text=True)
    assert "Line one<br>Line two" in page


def test_priorities_are_listed_by_position(client, login_as):
    login_as("comms")
    services.create_priority({"title": "Second", "status": "active", "position": 20})
    services.create_priority({"title": "First", "status": "active", "position": 10})
    db.session.commit()
    page = client.get("/priorities").get_data(as_text=True)
    assert page.index("First") < page.index("Second")


def test_a_taken_slug_is_refused_on_the_field(client, login_as):
    login_as("officer")
    _priority("Value gap")
    response = client.post(
        "/priorities/new", data={"title": "Other", "slug": "value-gap", "status": "active"}
    )
    assert response.status_code == 200
    assert "Another record already uses this slug." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Priority)) == 1


def test_comms_reads_priorities_but_changes_nothing(client, login_as):
    login_as("comms")
    item = _priority()
    assert client.get("/priorities").status_code == 200
    assert client.get(f"/priorities/{item.id}").status_code == 200
    assert client.get("/priorities/new").status_code == 403
    assert (
        client.post("/priorities/new", data={"title": "X", "status": "active"}).status_code == 403
    )
    assert client.post(f"/priorities/{item.id}/edit", data={"title": "X"}).status_code == 403
    assert _upload(client, item.id, PDF, "a.pdf").status_code == 403
    assert _documents() == [] and _stored_files(client.application) == []


def test_a_pdf_is_stored_outside_static_and_downloads_for_staff_only(app, client, login, login_as):
    login_as("officer")
    item = _priority()
    response = _upload(client, item.id, PDF, "Position paper (final).pdf")
    assert response.status_code == 302
    [document] = _documents()
    assert document.original_name == "Position paper (final).pdf"
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    [stored] = _stored_files(app)
    assert stored.name == document.stored_name and stored.read_bytes() == PDF
    assert Path(app.instance_path) in stored.parents
    assert Path(app.static_folder).resolve() not in stored.resolve().parents
    assert "Position paper" not in stored.name  # a random name, not the user's

    comms = _signed_in(login, app, "comms")
    download = comms.get(f"/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    for role in ("association", "member"):
        other = _signed_in(login, app, role)
        assert other.get(f"/documents/{document.id}").status_code == 403
    anonymous = app.test_client().get(f"/documents/{document.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "priority_document")
    )
    assert audit.action == "create" and audit.entity_id == document.id


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"MZ\x90\x00binary", "tool.exe", "This kind of file is not accepted"),
        (
            b"<html><script>alert(1)</script></html>",
            "page.html",
            "This kind of file is not accepted",
        ),
        (b"just some text, not a PDF", "report.pdf", "is not a PDF file"),
        (PDF, "report.png", "is not a PNG file"),
        (b"%PDF-1.4 renamed", "sheet.xlsx", "is not a XLSX file"),
        (b"\xff\xfe\x00\x00bad", "notes.txt", "not plain UTF-8 text"),
        (b"", "empty.pdf", "The file is empty."),
    ],
)
def test_refused_files_say_why_and_store_nothing(app, client, login_as, data, filename, message):
    login_as("officer")
    item = _priority()
    response = _upload(client, item.id, data, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _documents() == [] and _stored_files(app) == []


def test_an_oversize_file_is_refused(app, client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "POLICY_UPLOAD_MAX_BYTES", 1024)
    login_as("officer")
    item = _priority()
    response = _upload(client, item.id, PDF + b"x" * 2000, "big.pdf")
    assert response.status_code == 200
    assert "larger than the 1 KB this form accepts" in response.get_data(as_text=True)
    assert _documents() == [] and _stored_files(app) == []
    assert _upload(client, item.id, PDF, "small.pdf").status_code == 302


def test_default_limit_is_ten_megabytes(app):
    assert app.config["POLICY_UPLOAD_MAX_BYTES"] == 10 * 1024 * 1024


def test_links_and_deleting_documents(app, client, login_as):
    login_as("officer")
    item = _priority()
    bad = client.post(
        f"/priorities/{item.id}/documents/new", data={"title": "Bad", "url": "javascript:alert(1)"}
    )
    assert bad.status_code == 200 and "Start with http:// or https://." in bad.get_data(
        as_text=True
    )
    neither = client.post(f"/priorities/{item.id}/documents/new", data={"title": "None"})
    assert "Give a link, or choose a file to upload." in neither.get_data(as_text=True)
    assert (
        client.post(
            f"/priorities/{item.id}/documents/new",
            data={"title": "EUR-Lex", "url": "https://eur-lex.europa.eu/x"},
        ).status_code
        == 302
    )
    assert _upload(client, item.id, PDF, "a.pdf").status_code == 302
    link, upload = sorted(_documents(), key=lambda d: d.url is None)
    assert client.get(f"/documents/{link.id}").status_code == 404  # links are not downloads
    page = client.get(f"/priorities/{item.id}").get_data(as_text=True)
    assert 'href="https://eur-lex.europa.eu/x"' in page
    assert client.post(f"/documents/{upload.id}/delete").status_code == 302
    assert _stored_files(app) == []
    assert [d.id for d in _documents()] == [link.id]
    deleted = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "priority_document", AuditEvent.action == "delete"
        )
    )
    assert deleted.entity_id == upload.id
