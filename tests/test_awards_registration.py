"""A member label registers a release: the happy path, the live and server-side total, the
threshold, validation of every field, and checked uploads. Refused forms save nothing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.awards import evidence
from crm.awards.models import AwardEvidence, AwardRegistration, AwardRevision, AwardUnits
from crm.extensions import db
from tests import test_awards_registration_support as support


@pytest.fixture
def member(login_as):
    support.seed_levels()
    return login_as("member")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _nothing_saved(files_before: set[str]) -> None:
    db.session.expire_all()
    for model in (AwardRegistration, AwardUnits, AwardEvidence, AwardRevision):
        assert _count(model) == 0, model
    assert support.stored_files() == files_before


def test_register_happy_path(member, client):
    before = support.stored_files()
    page = client.get("/awards/register")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-levels="' in html and "award_total.js" in html
    assert "<script>" not in html and " style=" not in html
    response = client.post("/awards/register", data=support.form(isrc="GB-AYE-06-01498"))
    assert response.status_code == 302
    registration = db.session.scalar(select(AwardRegistration))
    assert response.headers["Location"].endswith(f"/awards/registrations/{registration.id}")
    assert registration.organisation_id == member.organisation_id
    assert registration.submitted_by_id == member.id
    assert registration.status == "submitted"
    assert registration.total_units == 21_000
    assert (registration.level.name, registration.level.scheme) == ("Silver", "2014")
    assert registration.registered_on == date.today()
    assert registration.isrc == "GBAYE0601498"  # dashes removed
    assert registration.figures_confirmed is True
    assert {u.country: u.units for u in registration.units} == {"DE": 12_000, "FR": 9_000}
    [revision] = registration.revisions
    assert (revision.number, revision.total_units, revision.status) == (1, 21_000, "submitted")
    assert revision.units == {"DE": 12_000, "FR": 9_000}
    [item] = registration.evidence
    assert item.original_name == "statement.pdf" and item.content_type == "application/pdf"
    assert support.stored_files() - before == {item.stored_name}
    assert item.stored_name.endswith(".pdf") and "statement" not in item.stored_name
    path = evidence.path_of(item.stored_name)
    assert path.read_bytes() == support.PDF
    assert "static" not in path.parts and "uploads" in path.parts and "awards" in path.parts
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "award_registration")
    )
    assert event.action == "create" and event.organisation_id == member.organisation_id
    assert event.after["units"] == {"DE": 12_000, "FR": 9_000}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for text in ("Nova Tides", "First Light", "21,000", "Silver", "Submitted", "statement.pdf"):
        assert text in page
    assert "Germany" in page and "France" in page
    listing = client.get("/awards/registrations").get_data(as_text=True)
    assert "My registrations" in listing and "First Light" in listing


def test_check_shows_total_and_level_and_saves_nothing(member, client):
    before = support.stored_files()
    data = support.form(
        units=(("DE", "30000"), ("AT", "10 000"), ("NL", "1,000")), save=None, check="Check"
    )
    response = client.post("/awards/register", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "41,000 units" in page and "Level reached: <strong>Double Silver</strong>" in page
    _nothing_saved(before)


def test_add_another_country_adds_a_row_and_saves_nothing(member, client):
    data = support.form(save=None, add_row="Add another country")
    data.update({"units-2-country": "", "units-2-units": ""})
    response = client.post("/awards/register", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="units-3-country"' in page and 'name="units-4-country"' not in page
    assert 'value="12000"' in page  # what was typed is kept
    assert _count(AwardRegistration) == 0


def test_under_the_threshold_saves_nothing(member, client):
    before = support.stored_files()
    response = client.post(
        "/awards/register", data=support.form(units=(("DE", "12000"), ("FR", "7999")))
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "19,999 units do not qualify yet" in page and "Silver" in page
    assert "Nothing was saved" in page
    _nothing_saved(before)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"units": ()}, "Enter the units shipped in at least one country."),
        ({"units": (("DE", "12000"), ("DE", "9000"))}, "This country is already listed above."),
        ({"units": (("DE", "-5"), ("FR", "30000"))}, "Between 1 and 100,000,000 units"),
        ({"units": (("DE", "0"), ("FR", "30000"))}, "Between 1 and 100,000,000 units"),
        ({"units": (("DE", "100000001"),)}, "Between 1 and 100,000,000 units"),
        ({"units": (("DE", "99999999999999999999"),)}, "Enter a whole number of units"),
        ({"units": (("DE", "12.5"), ("FR", "30000"))}, "Enter a whole number of units"),
        ({"units": (("DE", "lots"),)}, "Enter a whole number of units"),
        ({"units": (("", "30000"),)}, "Choose the country of these units."),
        ({"units": (("DE", ""), ("FR", "30000"))}, "Enter the units shipped in this country."),
        ({"units": (("US", "30000"),)}, "Not a valid choice"),
        ({"isrc": "GB-AYE-06-0149"}, "An ISRC is 2 letters"),
        ({"isrc": "1BAYE0601498"}, "An ISRC is 2 letters"),
        ({"isrc": "GBAYE06014AB"}, "An ISRC is 2 letters"),
        ({"upc": "12345"}, "A UPC has 12 digits, an EAN 13."),
        ({"upc": "50123456789001"}, "A UPC has 12 digits, an EAN 13."),
        ({"upc": "5012345678ABC"}, "A UPC has 12 digits, an EAN 13."),
        ({"confirm": None}, "Confirm that the figures are accurate."),
        ({"artist": ""}, "This field is required."),
        ({"format": "cassette"}, "Not a valid choice"),
        ({"release_date": "2999-01-01"}, "The release date must be in the past"),
        ({"release_date": "yesterday"}, "Not a valid date value."),
        ({"catalogue_number": "=HYPERLINK(1)"}, "Must not start with"),
        ({"title": "Glass\x01Rivers"}, "Remove the control characters"),
        ({"artist": "Ingrid\r\nBcc: x"}, "Remove the control characters"),
        ({"artist": "Tab\tArtist"}, "Remove the control characters"),
        ({"catalogue_number": "NT\x1b001"}, "Remove the control characters"),
    ],
)
def test_validation_errors_save_nothing(member, client, changes, message):
    before = support.stored_files()
    units = changes.pop("units", (("DE", "12000"), ("FR", "9000")))
    response = client.post("/awards/register", data=support.form(units=units, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    _nothing_saved(before)


def test_isrc_and_upc_are_optional(member, client):
    response = client.post("/awards/register", data=support.form(isrc="", upc=""))
    assert response.status_code == 302
    registration = db.session.scalar(select(AwardRegistration))
    assert registration.isrc is None and registration.upc is None


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Upload at least one statement"),
        ([support.pdf("notes.txt", b"plain text")], "This kind of file is not accepted"),
        ([support.pdf("figures.docx", support.XLSX)], "This kind of file is not accepted"),
        ([support.pdf("statement.pdf", b"just text, not a PDF")], "is not a PDF file"),
        ([support.pdf("sheet.xlsx", support.PDF)], "is not a XLSX file"),
        ([support.pdf("figures.csv", b"\xff\xfe\x00c\x00s\x00v")], "not plain UTF-8 text"),
        ([support.pdf("empty.pdf", b"")], "The file is empty."),
        # One good file and one bad one: nothing is stored, not even the good one.
        ([support.pdf(), support.pdf("fake.pdf", b"<html>")], "fake.pdf"),
    ],
)
def test_refused_uploads_store_nothing(member, client, files, message):
    before = support.stored_files()
    response = client.post("/awards/register", data=support.form(files=files))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    _nothing_saved(before)


def test_oversize_upload_is_refused(member, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "AWARD_UPLOAD_MAX_BYTES", 1024)
    before = support.stored_files()
    big = support.PDF + b"0" * 2000
    response = client.post("/awards/register", data=support.form(files=[support.pdf(data=big)]))
    assert response.status_code == 200
    assert "larger than the 1 KB this form accepts" in response.get_data(as_text=True)
    _nothing_saved(before)


def test_spreadsheets_and_csv_are_accepted(member, client):
    files = [
        support.pdf("sheet.xlsx", support.XLSX),
        support.pdf("sheet.ods", support.XLSX),
        support.pdf("figures.csv", "country,units\nDE,12000\nFR,9000 — Köln\n".encode()),
    ]
    response = client.post("/awards/register", data=support.form(files=files))
    assert response.status_code == 302
    names = sorted(e.original_name for e in db.session.scalar(select(AwardRegistration)).evidence)
    assert names == ["figures.csv", "sheet.ods", "sheet.xlsx"]


def test_the_same_release_cannot_be_registered_twice(member, client):
    assert client.post("/awards/register", data=support.form()).status_code == 302
    before = support.stored_files()
    response = client.post("/awards/register", data=support.form(artist="nova tides"))
    assert "already registered" in response.get_data(as_text=True)
    assert _count(AwardRegistration) == 1 and support.stored_files() == before


def test_registration_date_decides_the_scheme(member, client, monkeypatch):
    from crm.awards import registration

    monkeypatch.setattr(registration, "today", lambda: date(2013, 12, 31))
    response = client.post("/awards/register", data=support.form(units=(("DE", "25000"),)))
    assert "do not qualify yet" in response.get_data(as_text=True)
    response = client.post("/awards/register", data=support.form(units=(("DE", "100000"),)))
    assert response.status_code == 302
    level = db.session.scalar(select(AwardRegistration)).level
    assert (level.name, level.scheme) == ("Gold", "2007")


def test_form_states_the_limits_it_applies(member, client, app, monkeypatch):
    """The total a request may have (MAX_CONTENT_LENGTH) is on the form, next to the size of
    one file: three 8 MB statements no longer meet a bare 413 page."""
    page = client.get("/awards/register").get_data(as_text=True)
    assert "at most 10 MB each and 20 MB in all (the whole form)" in page
    assert "you can choose up to 10" in page
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 5 * 1024 * 1024)
    page = client.get("/awards/register").get_data(as_text=True)
    assert "at most 4.94 MB each and 5 MB in all" in page
    assert f'data-max-total="{5 * 1024 * 1024 - 64 * 1024}"' in page


def test_files_adding_up_to_more_than_the_total_are_refused(member, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    monkeypatch.setitem(app.config, "AWARD_UPLOAD_MAX_BYTES", 1_000_000)
    before = support.stored_files()
    statement = support.PDF + b"0" * 20_000
    files = [support.pdf("a.pdf", statement), support.pdf("b.pdf", statement)]
    response = client.post("/awards/register", data=support.form(files=files))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "one form accepts at most" in page and 'value="Nova Tides"' in page
    _nothing_saved(before)
