"""A mailing's report and the mailings list: counts by status, bounces, unsubscribes, the sent
chart, the recipient table and its CSV, in a fixed number of SQL statements."""

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update

from crm.db import utcnow
from crm.extensions import db
from crm.mailings import mailing_states, reports
from crm.mailings.audience_models import Suppression
from crm.mailings.models import Delivery, Mailing, MailingKind
from tests.test_directory import count_queries
from tests.test_mailings_compose import fresh, reachable_draft


def sent_mailing(app, n=10, **fields):
    """A scheduled mailing with `n` deliveries, the first six sent over an hour."""
    mailing = reachable_draft(n, **fields)
    with app.test_request_context():
        mailing_states.schedule(mailing)
    db.session.commit()
    ids = db.session.scalars(
        select(Delivery.id).where(Delivery.mailing_id == mailing.id).order_by(Delivery.id)
    ).all()
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    for i, delivery_id in enumerate(ids[:6]):
        db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status="sent", sent_at=start + timedelta(minutes=12 * i), attempts=1)
        )
    db.session.commit()
    return fresh(Mailing, mailing.id), ids


def _mark(delivery_id, **values):
    db.session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


def test_report_counts_statuses_bounces_and_unsubscribes(app):
    mailing, ids = sent_mailing(app)
    _mark(ids[0], bounce="hard")
    _mark(ids[1], bounce="soft")
    _mark(ids[2], bounce="complaint")
    _mark(ids[6], status="failed", last_error="550 no such user")
    _mark(ids[7], status="sending")
    _mark(ids[8], status="cancelled")
    db.session.add_all(
        [
            Suppression(email_hash="a" * 64, email_key="u1@x.org", reason="unsubscribed",
                        mailing_id=mailing.id),
            Suppression(email_hash="b" * 64, email_key="u2@x.org", reason="hard_bounce",
                        mailing_id=mailing.id),
            Suppression(email_hash="c" * 64, email_key="u3@x.org", reason="unsubscribed"),
        ]
    )  # fmt: skip
    db.session.commit()
    report = reports.mailing_report(mailing.id)
    assert report.counts == {"queued": 1, "sending": 1, "sent": 6, "failed": 1, "cancelled": 1}
    assert report.bounced == {"hard": 1, "soft": 1, "complaint": 1}
    assert report.unsubscribed == 1
    assert sum(report.chart.counts) == 6


def test_sent_chart_buckets_over_time(app):
    mailing, _ = sent_mailing(app)
    chart = reports.mailing_report(mailing.id).chart
    # Six messages 12 minutes apart: one hour, in 5-minute buckets.
    assert chart.size == 300
    assert len(chart.counts) == 13 and chart.counts.count(1) == 6
    assert chart.counts[0] == 1 and chart.counts[-1] == 1
    assert chart.labels[0] == chart.start.strftime("%H:%M")
    unsent = reachable_draft(2)
    assert reports.mailing_report(unsent.id).chart is None


def test_report_page_shows_the_chart_and_a_filtered_table(app, client, login_as):
    login_as("officer")
    mailing, ids = sent_mailing(app)
    _mark(ids[6], status="failed", last_error="550 mailbox unavailable")
    db.session.commit()
    page = client.get(f"/mailings/{mailing.id}/report").get_data(as_text=True)
    assert "<svg" in page and 'class="chart-bar"' in page
    assert "550 mailbox unavailable" in page and "10 recipients" in page
    failed = client.get(f"/mailings/{mailing.id}/report?status=failed").get_data(as_text=True)
    assert "1 recipient with status failed" in failed
    assert client.get(f"/mailings/{mailing.id}/report?status=bogus&page=x").status_code == 200


def test_report_page_uses_a_fixed_number_of_statements(app, client, login_as):
    login_as("comms")
    small = sent_mailing(app, n=3)[0].id
    large = sent_mailing(app, n=60)[0].id
    with count_queries() as few:
        client.get(f"/mailings/{small}/report")
    with count_queries() as many:
        client.get(f"/mailings/{large}/report?page=2")
    assert len(few) == len(many) <= 7
    with count_queries() as list_few:
        client.get("/mailings")
    for _ in range(5):
        reachable_draft(1)
    with count_queries() as list_many:
        client.get("/mailings")
    assert len(list_few) == len(list_many)


def test_report_csv_export_is_escaped_and_filtered(app, client, login_as):
    login_as("comms")
    mailing, ids = sent_mailing(app, n=3)
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == ids[0])
        .values(merge={"first_name": "=HYPERLINK(1)", "organisation": "Brass Hollow"})
    )
    db.session.commit()
    response = client.get(f"/mailings/{mailing.id}/report.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == reports.CSV_HEADER and len(rows) == 4
    assert rows[1][1] == "'=HYPERLINK(1)" and rows[1][5] == "sent"
    queued = client.get(f"/mailings/{mailing.id}/report.csv?status=queued").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(queued)))) == 1  # sent_mailing sent all three


def test_mailings_list_shows_counts_and_filters(app, client, login_as):
    login_as("officer")
    sent, _ = sent_mailing(app, n=8, subject="Newsletter of the month")
    reachable_draft(kind=MailingKind.PRESS_RELEASE, subject="Draft release")
    page = client.get("/mailings").get_data(as_text=True)
    assert "Newsletter of the month" in page and "Draft release" in page
    row = page.split("Newsletter of the month", 1)[1].split("</tr>", 1)[0]
    assert [cell.split("<")[0] for cell in row.split('class="text-end">')[1:]] == ["2", "6", "0"]
    drafts = client.get("/mailings?status=draft").get_data(as_text=True)
    assert "Draft release" in drafts and "Newsletter of the month" not in drafts
    releases = client.get("/mailings?kind=press_release").get_data(as_text=True)
    assert "Draft release" in releases and "Newsletter of the month" not in releases
    assert client.get("/mailings?status=<x>&kind=1").status_code == 200
    assert fresh(Mailing, sent.id).status == "scheduled"


def test_a_scheduled_mailing_reaches_each_recipient_once_and_reports_it(app, smtp_server):
    from crm.mailings import worker
    from tests.test_mailings_compose import draft, people, static_audience

    recipients = people(3, "newsletter", first_name="Mara")
    mailing = draft(static_audience(recipients), subject="News for {{ first_name }}")
    with app.test_request_context():
        mailing_states.schedule(mailing)
    db.session.commit()
    assert worker.run(drain=True) == 3
    assert worker.run(drain=True) == 0
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(p.email for p in recipients)
    message = smtp_server.messages[0]
    assert message["Subject"] == "News for Mara"
    assert "press@indiemusic.example" in message["From"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    report = reports.mailing_report(mailing.id)
    assert report.counts["sent"] == 3 and sum(report.chart.counts) == 3
    assert fresh(Mailing, mailing.id).status == "sent"
