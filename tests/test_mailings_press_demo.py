"""Demo mailings: sent press releases on /press with a chart in their reports, a draft
newsletter and a campaign update scheduled for next week."""

from datetime import date, timedelta

from sqlalchemy import func, select

from crm.db import utcnow
from crm.declarations.demo import seed_declarations_demo
from crm.extensions import db
from crm.mailings import reports
from crm.mailings.audience_models import Audience
from crm.mailings.demo_audiences import seed_audience_demo
from crm.mailings.demo_mailings import FALLBACK, seed_mailing_demo
from crm.mailings.models import Delivery, Mailing
from crm.members import demo as member_demo
from crm.policy.demo import seed_policy_demo
from tests import factories


def _by_kind():
    mailings = db.session.scalars(select(Mailing).order_by(Mailing.id)).all()
    found: dict[str, list[Mailing]] = {}
    for mailing in mailings:
        found.setdefault(mailing.kind, []).append(mailing)
    return found


def test_seed_mailing_demo_with_the_demo_audiences(client):
    member_demo.seed_demo(200, seed=3)
    seed_policy_demo(3)
    seed_declarations_demo(3, today=date(2026, 11, 1))
    seed_audience_demo(3)
    summary = seed_mailing_demo(3)
    db.session.commit()
    assert summary["press_releases"] == 3 and summary["scheduled"] == 1
    kinds = _by_kind()
    releases = kinds["press_release"]
    assert all(r.status == "sent" and r.published_at < utcnow() for r in releases)
    assert sum(len(r.attachments) for r in releases) == 1
    listing = client.get("/press").get_data(as_text=True)
    assert all(f"/press/{r.slug}" in listing for r in releases)
    with_pdf = next(r for r in releases if r.attachments)
    download = client.get(f"/press/{with_pdf.slug}/files/{with_pdf.attachments[0].id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    report = reports.mailing_report(releases[0].id)
    assert report.counts["sent"] > 0 and len(report.chart.counts) > 3
    assert [m.status for m in kinds["newsletter"]] == ["draft"]
    (update,) = kinds["campaign_update"]
    assert update.status == "scheduled"
    assert timedelta(days=6) < update.scheduled_at - utcnow() < timedelta(days=8)
    queued = db.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.mailing_id == update.id)
    )
    assert queued == update.recipient_count > 0


def test_seed_mailing_demo_without_audiences_uses_a_simple_segment():
    org = factories.organisation()
    factories.membership(org)  # member communications reach current members only
    for _ in range(3):
        factories.person(org)
    summary = seed_mailing_demo(1)
    db.session.commit()
    assert summary["press_releases"] == 3
    kinds = _by_kind()
    audience_ids = {m.audience_id for ms in kinds.values() for m in ms}
    assert {db.session.get(Audience, i).name for i in audience_ids} == {FALLBACK}
    assert kinds["press_release"][0].recipient_count == 3


def test_seed_demo_command_prints_the_mailings(runner):
    result = runner.invoke(args=["crm", "seed-demo", "--members", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "mailings: 3 press releases sent" in result.output
