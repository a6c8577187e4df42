"""Dossiers: the list puts the nearest open deadline first and filters by stage and priority;
key dates are added, ordered, marked done and removed on the dossier page."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.policy import services
from crm.policy.models import Dossier, DossierDate

TODAY = date.today()


def _dossier(priority, title, stage="committee", dates=()):
    item = services.create_dossier({"priority_id": priority.id, "title": title, "stage": stage})
    for label, days, done in dates:
        services.add_dossier_date(
            item,
            {
                "label": label,
                "kind": "deadline",
                "due_on": TODAY + timedelta(days=days),
                "done": done,
            },
        )
    return item


def _titles(response) -> list[str]:
    body = response.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'href="/dossiers/\d+">([^<]+)</a>', body)


def test_list_puts_the_nearest_open_date_first(client, login_as):
    login_as("comms")
    value_gap = services.create_priority({"title": "Value gap", "status": "active"})
    vat = services.create_priority({"title": "VAT", "status": "active"})
    _dossier(value_gap, "No dates")
    _dossier(value_gap, "Next month", dates=[("Vote", 30, False), ("Old", -10, True)])
    _dossier(vat, "Next week", stage="council", dates=[("Council", 7, False)])
    _dossier(vat, "Done already", dates=[("Closed", 2, True)])
    _dossier(value_gap, "Overdue", dates=[("Missed", -3, False), ("Later", 60, False)])
    db.session.commit()
    assert _titles(client.get("/dossiers")) == [
        "Overdue",
        "Next week",
        "Next month",
        "Done already",
        "No dates",
    ]
    assert _titles(client.get("/dossiers?stage=council")) == ["Next week"]
    assert _titles(client.get(f"/dossiers?priority={vat.id}")) == ["Next week", "Done already"]
    assert _titles(client.get(f"/dossiers?priority={vat.id}&stage=adopted")) == []
    assert client.get("/dossiers?stage=nonsense&priority=x").status_code == 200


def test_dates_are_added_in_order_marked_done_and_removed(client, login_as):
    login_as("officer")
    priority = services.create_priority({"title": "Copyright", "status": "active"})
    dossier = _dossier(priority, "Copyright directive", stage="implementation")
    db.session.commit()
    for label, days in (("Transposition check", 90), ("Committee vote", 10)):
        response = client.post(
            f"/dossiers/{dossier.id}/dates",
            data={
                "label": label,
                "kind": "vote",
                "due_on": (TODAY + timedelta(days=days)).isoformat(),
            },
        )
        assert response.status_code == 302
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert page.index("Committee vote") < page.index("Transposition check")
    first = db.session.scalar(select(DossierDate).where(DossierDate.label == "Committee vote"))
    assert client.post(f"/dossier-dates/{first.id}/done").status_code == 302
    db.session.expire_all()
    assert first.done is True
    assert client.post(f"/dossier-dates/{first.id}/delete").status_code == 302
    db.session.expire_all()
    assert [d.label for d in db.session.get(Dossier, dossier.id).dates] == ["Transposition check"]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "dossier_date")
    ).all()
    assert sorted(actions) == ["create", "create", "delete", "update"]


def test_a_bad_date_comes_back_with_field_errors(client, login_as):
    login_as("officer")
    priority = services.create_priority({"title": "Copyright", "status": "active"})
    dossier = _dossier(priority, "DSM")
    db.session.commit()
    response = client.post(
        f"/dossiers/{dossier.id}/dates", data={"label": "", "kind": "zzz", "due_on": "2025-13-40"}
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "This field is required." in text and "Not a valid date value." in text
    assert "Not a valid choice." in text
    assert db.session.scalar(select(DossierDate.id)) is None


def test_officer_creates_and_edits_a_dossier(client, login_as):
    login_as("officer")
    priority = services.create_priority({"title": "VAT on music", "status": "active"})
    db.session.commit()
    form = client.get(f"/dossiers/new?priority_id={priority.id}").get_data(as_text=True)
    [option] = re.findall(rf'<option[^>]*value="{priority.id}"[^>]*>', form)
    assert "selected" in option
    response = client.post(
        "/dossiers/new",
        data={
            "priority_id": priority.id,
            "title": "VAT rates directive",
            "reference": "2018/0005(CNS)",
            "stage": "council",
            "asks": "Reduced rates",
        },
    )
    assert response.status_code == 302
    dossier = db.session.scalar(select(Dossier))
    response = client.post(
        f"/dossiers/{dossier.id}/edit",
        data={
            "priority_id": priority.id,
            "title": dossier.title,
            "stage": "adopted",
            "outcome": "Adopted <b>in 2022</b>",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Adopted &lt;b&gt;in 2022&lt;/b&gt;" in page
    assert "Timeline" in page
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "dossier").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in audit] == ["create", "update"]
    assert audit[1].before["stage"] == "council" and audit[1].after["stage"] == "adopted"


def test_comms_reads_dossiers_but_cannot_change_them(client, login_as):
    login_as("comms")
    priority = services.create_priority({"title": "Copyright", "status": "active"})
    dossier = _dossier(priority, "DSM", dates=[("Vote", 3, False)])
    db.session.commit()
    date_id = dossier.dates[0].id
    assert client.get(f"/dossiers/{dossier.id}").status_code == 200
    assert "Add a date" not in client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    for url in (
        "/dossiers/new",
        f"/dossiers/{dossier.id}/edit",
        f"/dossiers/{dossier.id}/dates",
        f"/dossier-dates/{date_id}/done",
        f"/dossier-dates/{date_id}/delete",
    ):
        assert client.post(url, data={"title": "x"}).status_code == 403, url
    assert db.session.get(DossierDate, date_id) is not None
