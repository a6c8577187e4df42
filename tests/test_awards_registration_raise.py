"""Raising a registration with new figures: a higher level, status back to submitted, a new
revision, history kept and shown; a level that is not higher is refused and nothing changes."""

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.awards.models import AwardRegistration, AwardRevision
from crm.extensions import db
from tests import test_awards_registration_support as support


@pytest.fixture
def registered(login_as, client):
    support.seed_levels()
    login_as("member")
    assert client.post("/awards/register", data=support.form()).status_code == 302
    return db.session.scalar(select(AwardRegistration))


def test_raise_form_is_prefilled(registered, client):
    page = client.get(f"/awards/registrations/{registered.id}/raise").get_data(as_text=True)
    assert 'value="Nova Tides"' in page and 'value="12000"' in page and 'value="9000"' in page
    assert '<option selected value="DE">' in page
    assert 'name="units-3-country"' in page  # empty rows for more countries
    assert "Currently <strong>21,000 units</strong>" in page


def test_raise_keeps_history(registered, client):
    registration_id = registered.id
    registered.status = "verified"  # as if staff had verified it
    db.session.commit()
    data = support.form(
        units=(("DE", "30000"), ("FR", "9000"), ("BE", "6000")),
        files=[support.pdf("q3-statement.pdf")],
    )
    response = client.post(f"/awards/registrations/{registration_id}/raise", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    registration = db.session.get(AwardRegistration, registration_id)
    assert registration.status == "submitted"
    assert registration.total_units == 45_000
    assert registration.level.name == "Double Silver"
    assert {u.country: u.units for u in registration.units} == {
        "BE": 6_000,
        "DE": 30_000,
        "FR": 9_000,
    }
    assert [r.number for r in registration.revisions] == [1, 2]
    first, second = registration.revisions
    assert (first.total_units, first.level.name, first.units) == (
        21_000,
        "Silver",
        {"DE": 12_000, "FR": 9_000},
    )
    assert (second.total_units, second.level.name, second.status) == (
        45_000,
        "Double Silver",
        "submitted",
    )
    assert sorted(e.original_name for e in registration.evidence) == [
        "q3-statement.pdf",
        "statement.pdf",
    ]
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "award_registration", AuditEvent.action == "update"
        )
    )
    assert event.before["total_units"] == 21_000 and event.after["total_units"] == 45_000
    assert event.before["status"] == "verified"
    page = client.get(f"/awards/registrations/{registration_id}").get_data(as_text=True)
    assert "45,000" in page and "21,000" in page and "Double Silver" in page
    assert "DE 12,000, FR 9,000" in page and "BE 6,000, DE 30,000, FR 9,000" in page


def test_raise_to_a_level_that_is_not_higher_is_refused(registered, client):
    before = support.stored_files()
    url = f"/awards/registrations/{registered.id}/raise"
    data = support.form(units=(("DE", "30000"), ("FR", "9000")))  # 39,000: still Silver
    response = client.post(url, data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "not higher than the current level, Silver" in page
    assert "Nothing was saved" in page
    db.session.expire_all()
    registration = db.session.get(AwardRegistration, registered.id)
    assert registration.total_units == 21_000 and len(registration.units) == 2
    assert db.session.scalar(select(db.func.count()).select_from(AwardRevision)) == 1
    assert support.stored_files() == before
    # Fewer units than before are refused the same way.
    response = client.post(url, data=support.form(units=(("DE", "5000"),)))
    assert "do not qualify yet" in response.get_data(as_text=True)


def test_raise_with_check_shows_the_comparison(registered, client):
    url = f"/awards/registrations/{registered.id}/raise"
    data = support.form(units=(("DE", "80000"),), save=None, check="Check")
    page = client.post(url, data=data).get_data(as_text=True)
    assert "Level reached: <strong>Gold</strong>" in page
    assert db.session.scalar(select(db.func.count()).select_from(AwardRevision)) == 1
