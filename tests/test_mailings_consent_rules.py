"""A withdrawal cancels the person's queued bulk mail of that purpose (from any source), and a
yes to an opt-in purpose needs a provable basis: consent with its wording, or legitimate
interest for press releases to a journalist. The demo seeds only answers the rules accept."""

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.mailings import consent, unsubscribe
from crm.mailings.audience_models import Consent
from crm.mailings.demo_audiences import seed_audience_demo
from crm.mailings.models import Delivery, Mailing
from crm.members import demo
from crm.policy import services_stakeholders
from tests import factories
from tests.test_mailings_consent import _delivery


def _mailing(purpose, status="sending"):
    mailing = Mailing(
        purpose=purpose, subject=purpose, from_name="IME", from_email="n@example.org", status=status
    )
    db.session.add(mailing)
    db.session.flush()
    return mailing


@pytest.fixture
def queued():
    """Ada with queued bulk mail of two purposes, one already sent, one transactional; Bob with
    queued newsletter mail."""
    org = factories.organisation("Withdrawals")
    factories.membership(org)
    ada = factories.person(org, "Ada@Withdraw.example")
    consent.record_consent(ada, "newsletter", True, basis="consent", source="t", wording="yes")
    news, other_news, press = (
        _mailing("newsletter"),
        _mailing("newsletter"),
        _mailing("press_releases"),
    )
    deliveries = {
        "news": _delivery(news.id, "ada@withdraw.example"),
        "other_news": _delivery(other_news.id, "ada@withdraw.example"),
        "press": _delivery(press.id, "ada@withdraw.example"),
        "sent": _delivery(_mailing("newsletter").id, "ada@withdraw.example", "sent"),
        "transactional": _delivery(None, "ada@withdraw.example"),
        "bob": _delivery(news.id, "bob@withdraw.example"),
    }
    db.session.commit()
    return ada, deliveries


def _statuses(deliveries) -> dict[str, str]:
    db.session.expire_all()
    return {name: db.session.get(Delivery, d.id).status for name, d in deliveries.items()}


CANCELLED_NEWS = {
    "news": "cancelled",
    "other_news": "cancelled",
    "press": "queued",
    "sent": "sent",
    "transactional": "queued",
    "bob": "queued",
}


def test_withdrawing_cancels_queued_bulk_mail_of_that_purpose_only(queued):
    ada, deliveries = queued
    consent.record_consent(ada, "newsletter", False, basis="consent", source="staff: x")
    db.session.commit()
    assert _statuses(deliveries) == CANCELLED_NEWS
    assert db.session.get(Delivery, deliveries["news"].id).last_error == "consent withdrawn"
    summary = db.session.scalars(
        select(AuditEvent.summary).where(AuditEvent.entity_type == "consent")
    ).all()[-1]
    assert "2 queued deliveries cancelled" in summary
    # Granting again does not bring cancelled mail back; a second withdrawal finds nothing.
    assert consent.cancel_queued_for_purpose("ada@withdraw.example", "newsletter") == 0


def test_withdrawing_in_the_preference_centre_cancels_too(queued):
    _, deliveries = queued
    unsubscribe.save_preferences("ada@withdraw.example", {"newsletter": False}, False)
    db.session.commit()
    assert _statuses(deliveries) == CANCELLED_NEWS


def test_withdrawing_on_the_staff_page_cancels_too(queued, client, login_as):
    ada, deliveries = queued
    login_as("comms")
    response = client.post(
        f"/people/{ada.id}/consent",
        data={"purpose": "newsletter", "granted": "no", "basis": "consent"},
    )
    assert response.status_code == 302
    assert _statuses(deliveries) == CANCELLED_NEWS


def _journalist():
    return services_stakeholders.create_stakeholder(
        {
            "first_name": "Jo",
            "last_name": "Press",
            "email": "jo@press.example",
            "kind": "journalist",
        }
    ).person


@pytest.mark.parametrize(
    ("purpose", "granted", "basis", "wording_version", "journalist", "field"),
    [
        ("newsletter", True, "consent", None, False, "wording_version"),
        ("newsletter", True, "consent", "  ", False, "wording_version"),
        ("newsletter", True, "legitimate_interest", "v1", False, "basis"),
        ("campaign_updates", True, "contract", "v1", False, "basis"),
        ("campaign_updates", True, "legitimate_interest", "v1", True, "basis"),
        ("press_releases", True, "legitimate_interest", None, False, "basis"),
        ("press_releases", True, "consent", None, True, "wording_version"),
        ("newsletter", True, "consent", "v1", False, None),
        ("press_releases", True, "legitimate_interest", None, True, None),
        ("press_releases", True, "consent", "2026-01", True, None),
        ("member_communications", True, "contract", None, False, None),
        ("newsletter", False, "legitimate_interest", None, False, None),
        ("press_releases", False, "contract", None, False, None),
    ],
)
def test_a_yes_to_an_opt_in_purpose_needs_a_provable_basis(
    purpose, granted, basis, wording_version, journalist, field
):
    person = _journalist() if journalist else factories.person(factories.organisation())
    db.session.commit()

    def answer():
        return consent.record_consent(
            person, purpose, granted, basis=basis, source="t", wording_version=wording_version
        )

    if field is None:
        assert answer().granted is granted
        return
    with pytest.raises(consent.ConsentError) as refused:
        answer()
    assert refused.value.field == field and "opt-in" in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0


def test_the_wording_itself_is_enough_without_a_version():
    person = factories.person(factories.organisation())
    row = consent.record_consent(
        person, "campaign_updates", True, basis="consent", source="t", wording="Keep me posted"
    )
    assert row.granted


def test_the_demo_seeds_only_answers_the_rules_accept():
    demo.seed_demo(200, seed=5)
    seed_audience_demo(5)
    db.session.commit()
    rows = db.session.scalars(select(Consent)).all()
    assert {r.purpose for r in rows if r.granted} >= {"newsletter", "press_releases"}
    for row in rows:
        problem = consent.basis_problem(
            row.purpose,
            row.granted,
            row.basis,
            wording_version=row.wording_version,
            wording=row.wording,
            journalist=consent.is_journalist(row.person_id),
        )
        assert problem is None, (row.purpose, row.basis, problem)
