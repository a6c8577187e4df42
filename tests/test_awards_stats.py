"""Staff statistics on verified awards, the formula-safe CSV export and the demo awards."""

import csv
import io
from datetime import date

from sqlalchemy import func, select

from crm.awards import stats
from crm.awards.demo import seed_awards_demo
from crm.awards.levels import SEED_LEVELS
from crm.awards.models import AwardLevel, AwardRegistration
from crm.extensions import db
from tests import factories
from tests.awards_helpers import award, on


def _known_set():
    de = factories.organisation('=HYPERLINK("http://evil")', country="DE")
    fr = factories.organisation("Label Français", country="FR")
    award(
        de, title="A", units={"DE": 15_000, "FR": 10_000}, status="verified", decided_at=on(2023)
    )  # Silver, 25,000
    award(
        de,
        artist="@risky",
        title="-B",
        units={"DE": 50_000},
        status="verified",
        decided_at=on(2024),
    )  # Double Silver, 50,000
    award(
        fr, title="C", units={"FR": 60_000, "BE": 20_000}, status="verified", decided_at=on(2024, 9)
    )  # Gold, 80,000
    award(fr, title="Pending", units={"FR": 900_000})  # not counted
    award(fr, title="Refused", units={"NL": 30_000}, status="rejected", decided_at=on(2024))
    db.session.commit()


def test_stats_numbers_for_a_known_set():
    _known_set()
    numbers = stats.award_stats()
    assert numbers.awards == 3
    assert numbers.total_units == 155_000
    assert numbers.per_year == [(2023, 1), (2024, 2)]
    assert numbers.per_level == [("Silver", 1), ("Double Silver", 1), ("Gold", 1)]
    assert numbers.by_country == [("FR", 70_000), ("DE", 65_000), ("BE", 20_000)]


def test_stats_page_shows_charts_and_tables(client, login_as):
    _known_set()
    login_as("comms")
    page = client.get("/awards/stats").get_data(as_text=True)
    assert '<dd class="col-sm-9" id="stat-awards">3</dd>' in page
    assert '<dd class="col-sm-9" id="stat-units">155,000</dd>' in page
    assert page.count("<svg") == 3
    assert '<td>France</td><td class="text-end">70,000</td>' in page
    assert '<td>2024</td><td class="text-end">2</td>' in page
    assert "Netherlands" not in page and "900,000" not in page
    assert "style=" not in page and "<script>" not in page


def test_stats_page_without_awards(client, login_as):
    login_as("officer")
    page = client.get("/awards/stats").get_data(as_text=True)
    assert "No verified awards yet." in page


def test_csv_export_is_formula_safe(client, login_as):
    _known_set()
    login_as("admin")
    response = client.get("/awards/stats/verified.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == stats.EXPORT_HEADER
    assert [r[2] for r in rows[1:]] == ["A", "'-B", "C"]
    first, second, third = rows[1:]
    assert first[5] == '\'=HYPERLINK("http://evil")'
    assert second[1] == "'@risky"
    assert first[7] == "Silver" and first[8] == "25000" and first[9] == "DE:15000 FR:10000"
    assert third[5] == "Label Français" and third[11] == "2024-09-15"


def test_demo_awards():
    for n in range(5):
        factories.membership(factories.organisation(f"Demo Label {n}"))
    db.session.commit()
    summary = seed_awards_demo(seed=3, today=date(2026, 6, 1))
    db.session.commit()
    assert (summary.verified, summary.pending) == (40, 4)
    # Both known schemes, seeded once: 5 levels of 2007 and 6 of 2014.
    assert db.session.scalar(select(func.count()).select_from(AwardLevel)) == len(SEED_LEVELS)
    assert len(SEED_LEVELS) == 11
    verified = db.session.scalars(
        select(AwardRegistration).where(AwardRegistration.status == "verified")
    ).all()
    assert len(verified) == 40
    assert all(r.level_id and r.decided_at and r.units for r in verified)
    assert all(sum(u.units for u in r.units) == r.total_units for r in verified)
    assert len({r.decided_at.year for r in verified}) > 3
    # Once only.
    assert seed_awards_demo(seed=3).verified == 0


def test_seed_demo_command_prints_sales_awards(runner):
    result = runner.invoke(args=["crm", "seed-demo", "--members", "60", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "sales awards: 40 verified, 4 waiting for review" in result.output
    statuses = db.session.scalars(select(AwardRegistration.status)).all()
    assert statuses.count("verified") == 40 and len(statuses) == 44
