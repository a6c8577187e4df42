"""The import from the command line, and through upload, preview and confirm."""

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.members import importing
from crm.members.models import Organisation
from tests import factories
from tests.import_helpers import (
    CLEAN,
    FORMULA,
    counts,
    hostile_file,
    org_named,
    system_actor,  # noqa: F401 (an autouse fixture)
)


def test_stored_upload_tokens_cannot_escape_the_folder(app, tmp_path):
    token = importing.store_upload(str(tmp_path), b"Name,Country\n")
    assert importing.stored_upload(str(tmp_path), token).read_bytes() == b"Name,Country\n"
    (tmp_path / "secret.csv").write_bytes(b"x")
    for bad in ("../secret", "..%2Fsecret", "a/b", "", "short", token + ".csv", "x" * 40):
        assert importing.stored_upload(str(tmp_path), bad) is None


def test_cli_imports_and_prints_one_summary_line(runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(
        b"Name,Country,First name,Last name,Email\n"
        b"CLI Label,DE,Ann,Lee,ann@cli.example.com\n"
        b"CLI Label,DE,Bob,Lee,ann@cli.example.com\n"
    )
    result = runner.invoke(args=["crm", "import-members", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "line 3: duplicate: ann@cli.example.com already appears on line 2: not added",
        "imported 1 organisations, 1 people, 1 duplicates, 0 errors",
    ]
    org = org_named("CLI Label")
    assert [p.first_name for p in org.people] == ["Ann"]
    actors = set(db.session.scalars(select(AuditEvent.actor)))
    assert actors == {"cli:import-members"}


def test_cli_with_errors_exits_non_zero_and_writes_nothing(runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(hostile_file())
    before = counts()
    result = runner.invoke(args=["crm", "import-members", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "warning: Ignored unknown columns: Remarks"
    assert lines[1] == f"line 4, column 'Company': error: Starts with '=': {FORMULA}"
    assert lines[-1] == "imported 0 organisations, 0 people, 1 duplicates, 9 errors"
    assert sum(line.startswith("line ") for line in lines) == 10
    assert counts() == before


def test_cli_when_the_directory_changes_meanwhile_reports_and_writes_nothing(
    runner, tmp_path, monkeypatch
):
    """A record added between the check and the write (another import, a colleague): the
    write meets it, and the command still ends with its summary line, the error counted."""
    path = tmp_path / "members.csv"
    path.write_bytes(
        b"Name,Country,First name,Last name,Email\n"
        b"Race Label,DE,Ann,Lee,ann@race.example.com\n"
        b"Race Label,DE,Ann,Lee,ann@race.example.com\n"
    )
    check = importing.check

    def check_then_someone_else_inserts(data):
        result = check(data)
        factories.organisation("Race Label", country="DE")
        db.session.commit()
        return result

    monkeypatch.setattr(importing, "check", check_then_someone_else_inserts)
    result = runner.invoke(args=["crm", "import-members", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-2:] == [
        "error: The directory changed while importing (a record was added meanwhile); "
        "nothing was written. Run the import again.",
        "imported 0 organisations, 0 people, 1 duplicates, 1 errors",
    ]
    # Only the other writer's organisation (and its audit event) is there.
    assert [org.people for org in db.session.scalars(select(Organisation))] == [[]]
    assert (counts()["Person"], counts()["AuditEvent"]) == (0, 1)


@pytest.mark.parametrize("name", ["missing.csv", ""], ids=["missing", "a folder"])
def test_cli_unreadable_file_exits_with_the_summary_line(runner, tmp_path, name):
    path = str(tmp_path / name)
    result = runner.invoke(args=["crm", "import-members", path])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        result.output.splitlines()[0],
        "imported 0 organisations, 0 people, 0 duplicates, 1 errors",
    ]
    assert result.output.startswith(f"error: Cannot read {path}: ")


def test_cli_reads_standard_input_for_a_dash(runner):
    result = runner.invoke(
        args=["crm", "import-members", "-", "--dry-run"], input=b"Name,Country\nStdin Label,DE\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "imported 1 organisations, 0 people, 0 duplicates, 0 errors"
    )


def test_cli_dry_run_writes_nothing(runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(b"Name,Country\nDry CLI Label,DE\n")
    result = runner.invoke(args=["crm", "import-members", str(path), "--dry-run"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "dry run: nothing was written",
        "imported 1 organisations, 0 people, 0 duplicates, 0 errors",
    ]
    assert counts()["Organisation"] == 0


def _upload(client, data: bytes, name: str = "members.csv"):
    return client.post(
        "/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _token(page: str) -> str:
    return re.search(r"/import/([A-Za-z0-9_-]+)/confirm", page).group(1)


def test_upload_preview_confirm(app, client, login_as):
    login_as("admin")
    assert client.get("/import").status_code == 200

    response = _upload(client, CLEAN)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "would create 2 organisations and 2 people" in page
    assert "Web Label" in page and "Zweites Label" in page and "Austria" in page
    assert counts()["Organisation"] == 0
    token = _token(page)
    stored = Path(app.instance_path) / "imports" / f"{token}.csv"
    assert stored.read_bytes() == CLEAN

    response = client.post(f"/import/{token}/confirm", data={"submit": "Confirm"})

    assert response.status_code == 302 and response.headers["Location"] == "/organisations"
    assert not stored.exists()
    page = client.get("/organisations").get_data(as_text=True)
    assert "Imported 2 organisations, 2 people, 0 duplicates, 0 errors." in page
    assert sorted(p.first_name for p in org_named("Web Label").people) == ["Ann", "Bob"]
    actors = set(
        db.session.scalars(
            select(AuditEvent.actor).where(AuditEvent.entity_type.in_(("organisation", "person")))
        )
    )
    assert len(actors) == 1 and actors.pop().startswith("admin")
    # The file is gone: confirming twice is impossible.
    assert client.post(f"/import/{token}/confirm").status_code == 404
    # The same file again has nothing left to import, and no confirm button.
    page = _upload(client, CLEAN).get_data(as_text=True)
    assert "Nothing to import" in page and "Confirm" not in page


def test_preview_with_errors_offers_no_confirm_and_confirm_is_refused(app, client, login_as):
    login_as("admin")
    before = counts()
    response = _upload(client, hostile_file())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The file has 9 errors" in page and "Confirm" not in page
    assert "Unknown country &#39;Atlantis&#39;" in page and "<td>5</td>" in page
    folder = Path(app.instance_path) / "imports"
    token = next(p.stem for p in folder.glob("*.csv") if p.read_bytes() == hostile_file())

    response = client.post(f"/import/{token}/confirm", data={"submit": "Confirm"})

    assert response.status_code == 422
    assert "The file has 9 errors" in response.get_data(as_text=True)
    assert counts() == before


def test_upload_form_errors(client, login_as):
    login_as("admin")
    response = _upload(client, b"Name,Country\n", name="members.xlsx")
    assert response.status_code == 200 and "A .csv file, please." in response.get_data(as_text=True)
    response = client.post("/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "This field is required" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", ["officer", "comms", "association", "member"])
def test_import_is_for_admins_only(app, client, login_as, role):
    token = importing.store_upload(app.instance_path, CLEAN)
    login_as(role)
    assert client.get("/import").status_code == 403
    assert _upload(client, CLEAN).status_code == 403
    assert client.post(f"/import/{token}/confirm").status_code == 403
    assert importing.stored_upload(app.instance_path, token) is not None
    assert counts()["Organisation"] == (1 if role in ("association", "member") else 0)


@pytest.mark.parametrize("token", ["not-a-token", "a" * 32, "..", "%2E%2E%2Fsecret", "x" * 200])
def test_unknown_or_malformed_token_is_404(client, login_as, token):
    login_as("admin")
    assert client.post(f"/import/{token}/confirm").status_code == 404
