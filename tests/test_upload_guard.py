"""A file sent in a text field (a multipart POST) is refused with a 400 before any view runs,
not a 500 from a validator calling len() on it: only the views marked with accepts_files take
files, and only in the fields they name (crm/web.py, register_input_guard)."""

import io
import re

import pytest
from sqlalchemy import func, select

from crm.auth.models import User
from crm.declarations.models import Signature
from crm.extensions import db
from crm.mailings.models import Delivery
from crm.policy import services as policy_services
from crm.policy.models import PriorityDocument
from crm.web import accepts_files
from tests import factories
from tests.test_declarations_public import form, make_open_declaration

REFUSED = "The request contains a file this form does not accept. Nothing was saved."
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SIGNING_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "organisation",
    "country",
    "website",
    "signing_as",
    "list_publicly",
    "stamp",
]
# Every view that takes uploads, with the fields it takes them in. A new upload view must be
# marked (and listed here); every other view refuses files.
UPLOAD_VIEWS = {
    "policy.new_document": {"file"},
    "members.import_upload": {"file"},
    "mailings.add_attachment": {"file"},
    "awards.register": {"evidence"},
    "awards.raise_registration": {"evidence"},
}


def _file(content=b"hello"):
    return (io.BytesIO(content), "x.txt")


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _refused(response):
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bad request" in page and REFUSED in page


def test_the_marked_views_are_exactly_the_upload_views(app):
    marked = {
        endpoint: set(view.accepts_files)
        for endpoint, view in app.view_functions.items()
        if getattr(view, "accepts_files", None)
    }
    assert marked == UPLOAD_VIEWS


def test_accepts_files_names_its_fields():
    with pytest.raises(TypeError):
        accepts_files()


@pytest.mark.parametrize("url", ["/declarations/fair-digital-deals", "/embed"])
@pytest.mark.parametrize("field", SIGNING_FIELDS)
def test_a_file_in_a_signing_field_is_a_400_and_stores_nothing(client, url, field):
    make_open_declaration()
    url = "/declarations/fair-digital-deals" + ("/embed" if url == "/embed" else "")
    page = client.get(url).get_data(as_text=True)
    stamp = re.search(r'name="stamp" type="hidden" value="([^"]+)"', page).group(1)
    data = {**form(), "stamp": stamp, field: _file(b"ana.signer@example.org")}
    _refused(client.post(url, data=data, content_type="multipart/form-data"))
    assert _count(Signature) == 0 and _count(Delivery) == 0
    # The same form without the file, sent the same way (multipart), signs as ever.
    data[field] = form().get(field, "") if field != "stamp" else stamp
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 303
    assert _count(Signature) == 1


def test_a_file_in_an_extra_field_of_the_signing_form_is_refused(client):
    make_open_declaration()
    data = {**form(), "attachment": _file()}
    response = client.post(
        "/declarations/fair-digital-deals", data=data, content_type="multipart/form-data"
    )
    _refused(response)
    assert _count(Signature) == 0


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_file_in_a_login_field_is_a_400_and_signs_nobody_in(client, field):
    user = factories.user("admin")
    db.session.commit()
    data = {"email": user.email, "password": factories.PASSWORD}
    data[field] = _file(data[field].encode())
    _refused(client.post("/login", data=data, content_type="multipart/form-data"))
    assert "/login" in client.get("/").headers.get("Location", "")  # still signed out
    assert db.session.get(User, user.id).failed_logins == 0


def test_a_file_in_the_password_reset_form_is_a_400(client):
    response = client.post(
        "/password/forgot",
        data={"email": _file(b"a@example.org")},
        content_type="multipart/form-data",
    )
    _refused(response)
    assert _count(Delivery) == 0


def test_an_upload_view_still_takes_its_file_but_not_in_its_text_fields(client, login_as):
    login_as("officer")
    item = policy_services.create_priority({"title": "Value gap", "status": "active"})
    db.session.commit()
    url = f"/priorities/{item.id}/documents/new"
    refused = client.post(
        url,
        data={"title": _file(b"Position paper"), "file": (io.BytesIO(PDF), "paper.pdf")},
        content_type="multipart/form-data",
    )
    _refused(refused)
    assert _count(PriorityDocument) == 0
    taken = client.post(
        url,
        data={"title": "Position paper", "file": (io.BytesIO(PDF), "paper.pdf")},
        content_type="multipart/form-data",
    )
    assert taken.status_code == 302
    [document] = db.session.scalars(select(PriorityDocument)).all()
    assert document.title == "Position paper" and document.original_name == "paper.pdf"
    client.post(f"/documents/{document.id}/delete")  # removes the stored file too


def test_files_to_an_unknown_address_are_still_a_404(client):
    response = client.post(
        "/no-such-page", data={"file": _file()}, content_type="multipart/form-data"
    )
    assert response.status_code == 404
