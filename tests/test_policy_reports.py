"""Reports: the EU-officials meetings CSV (exact rows), actions per priority per month, and a
campaign's report; bad periods are form errors, never a 500."""

import csv
import io
from datetime import UTC, date, datetime

from crm.extensions import db
from crm.policy import actions as services
from crm.policy.reports import actions_per_priority, campaign_report, eu_meetings
from tests import factories
from tests import test_policy_actions_support as support


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _known_actions():
    prio = support.priority("Value gap")
    camp = support.campaign(prio, "Fair streaming")
    dos = support.dossier(prio, "Copyright directive", "2016/0280(COD)")
    mep = support.stakeholder("mep", "Clara", "Berg", "European Parliament")
    official = support.stakeholder("commission", "Jan", "Dvorak", "DG CONNECT")
    perm_rep = support.stakeholder("perm_rep", "Ana", "Silva", None)
    journalist = support.stakeholder("journalist", "Pat", "Press", "Music Weekly")
    ministry = support.stakeholder("ministry", "Eva", "Ministerial", "Kulturministerium")
    label = factories.organisation("Nordlicht Records")
    support.log(
        "Rapporteur meeting",
        "meeting",
        date(2026, 2, 3),
        people=[mep, journalist],
        orgs=[label],
        dossier_id=dos.id,
    )
    support.log(
        "=cmd|' /C calc'!A0",
        "call",
        date(2026, 2, 10),
        people=[official, perm_rep],
        campaign_id=camp.id,
    )
    support.log("Interview only", "meeting", date(2026, 2, 11), people=[journalist])
    support.log("Ministry meeting", "meeting", date(2026, 2, 12), people=[ministry])
    support.log("Letter to the MEP", "letter", date(2026, 2, 13), people=[mep])
    support.log("Before the period", "meeting", date(2026, 1, 31), people=[mep])
    support.log("Last day", "meeting", date(2026, 2, 28), people=[official], priority_id=prio.id)
    support.log("After the period", "call", date(2026, 3, 1), people=[official])
    db.session.commit()
    return prio, camp


EXPECTED_ROWS = [
    ["date", "kind", "officials", "institutions", "subject", "title"],
    [
        "2026-02-03",
        "Meeting",
        "Clara Berg",
        "European Parliament",
        "Value gap / Copyright directive (2016/0280(COD))",
        "Rapporteur meeting",
    ],
    [
        "2026-02-10",
        "Call",
        "Jan Dvorak; Ana Silva",
        "DG CONNECT; Permanent representation",
        "Value gap / Fair streaming",
        "'=cmd|' /C calc'!A0",
    ],
    ["2026-02-28", "Meeting", "Jan Dvorak", "DG CONNECT", "Value gap", "Last day"],
]


def test_eu_meetings_csv_has_exactly_the_meetings_with_officials(client, login_as):
    login_as("comms")
    _known_actions()
    response = client.get("/reports/eu-meetings.csv?date_from=2026-02-01&date_to=2026-02-28")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    # The journalist-only meeting, the ministry, the letter and the days outside are left out.
    assert _csv(response) == EXPECTED_ROWS
    assert eu_meetings(date(2026, 2, 1), date(2026, 2, 28))[1][5] == "=cmd|' /C calc'!A0"
    page = client.get("/reports/eu-meetings?date_from=2026-02-01&date_to=2026-02-28")
    text = page.get_data(as_text=True)
    assert "3 meetings" in text and "Interview only" not in text and "Clara Berg" in text


def test_bad_periods_are_form_errors(client, login_as):
    login_as("officer")
    for query in (
        "date_from=2026-02-30&date_to=2026-03-01",
        "date_from=yesterday&date_to=2026-03-01",
        "date_from=2026-03-01&date_to=2026-02-01",
        "date_from=2026-03-01",
        "date_from=&date_to=",
        "date_from=99999-01-01&date_to=2026-01-01",
    ):
        for path in ("/reports/eu-meetings", "/reports/eu-meetings.csv"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 200, (path, query)
            assert response.mimetype == "text/html", (path, query)
            assert "invalid-feedback" in response.get_data(as_text=True), (path, query)
    assert client.get("/reports/eu-meetings").status_code == 200  # a fresh form
    assert client.get("/reports").status_code == 200


def test_actions_per_priority_per_month(client, login_as):
    login_as("admin")
    value_gap = support.priority("Value gap")
    vat = support.priority("VAT on music")
    camp = support.campaign(vat, "Cut the rate")
    dos = support.dossier(value_gap, "DSM")
    support.log("a", on=date(2026, 5, 3), priority_id=value_gap.id)
    support.log("b", on=date(2026, 5, 30), dossier_id=dos.id)  # counts for the dossier's priority
    support.log("c", on=date(2026, 6, 1), campaign_id=camp.id)  # and the campaign's
    support.log("d", on=date(2026, 6, 2))  # no priority at all
    support.log("e", on=date(2025, 6, 30), priority_id=vat.id)  # 12 months back: outside
    support.log("f", on=date(2025, 7, 1), priority_id=vat.id)  # first month of the window
    db.session.commit()
    table = actions_per_priority(date(2026, 6, 15))
    assert (
        table.labels[0] == "2025-07" and table.labels[-1] == "2026-06" and len(table.labels) == 12
    )
    series = dict(table.series)
    assert [name for name, _ in table.series] == ["Value gap", "VAT on music", "No priority"]
    assert series["Value gap"][-2:] == [2, 0]
    assert series["VAT on music"][0] == 1 and series["VAT on music"][-1] == 1
    assert series["No priority"][-1] == 1
    assert table.total == 5 and table.month_totals[-1] == 2
    page = client.get("/reports/actions-by-priority").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page.split("<footer")[0].split("</nav>", 1)[1]
    assert "style=" not in page


def test_campaign_report(client, login_as):
    login_as("comms")
    prio = support.priority()
    camp = support.campaign(prio, "Fair streaming", results="Rapporteur tabled our amendment.")
    other = support.campaign(prio, "Other")
    officer = factories.user("officer")
    mep, mep2 = support.stakeholder(), support.stakeholder()
    org = factories.organisation()
    support.log(
        "m1",
        "meeting",
        date(2026, 1, 5),
        people=[mep],
        orgs=[org],
        users=[officer],
        campaign_id=camp.id,
        followup_due_on=date(2026, 1, 12),
        followup_assignee_id=officer.id,
    )
    done = support.log(
        "m2",
        "meeting",
        date(2026, 1, 20),
        people=[mep, mep2],
        campaign_id=camp.id,
        followup_due_on=date(2026, 1, 25),
        followup_assignee_id=officer.id,
    )
    services.complete_followup(done, now=datetime(2026, 1, 26, tzinfo=UTC))
    support.log(
        "l1",
        "letter",
        date(2026, 3, 2),
        people=[mep2],
        campaign_id=camp.id,
        followup_due_on=date(2099, 1, 1),
        followup_assignee_id=officer.id,
    )
    support.log("elsewhere", "meeting", date(2026, 1, 6), people=[mep], campaign_id=other.id)
    db.session.commit()
    report = campaign_report(camp, date(2026, 6, 1))
    assert report.by_kind.labels == ["2026-01", "2026-03"]
    assert dict(report.by_kind.series) == {"Meeting": [2, 0], "Letter": [0, 1]}
    assert (report.actions, report.people, report.organisations, report.staff) == (3, 2, 1, 1)
    assert (report.followups_open, report.followups_overdue, report.followups_done) == (2, 1, 1)
    page = client.get(f"/reports/campaigns/{camp.id}").get_data(as_text=True)
    assert "Rapporteur tabled our amendment." in page
    assert '<dd class="col-4" id="report-actions">3</dd>' in page
    assert client.get("/reports/campaigns/999999").status_code == 404
