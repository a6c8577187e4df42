"""Milestones: staff write and unpublish them; the public page (no login) shows the published
ones, newest first and grouped by year, with their text escaped."""

from datetime import date

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.policy import services
from crm.policy.models import Milestone


def test_public_page_shows_published_milestones_only_escaped_and_by_year(client):
    services.create_milestone(
        {
            "happened_on": date(2019, 7, 1),
            "title": "Article 17 adopted",
            "body": "<script>alert(1)</script>\nSecond line",
        }
    )
    services.create_milestone({"happened_on": date(2024, 3, 5), "title": "VAT rates reformed"})
    services.create_milestone(
        {"happened_on": date(2024, 9, 9), "title": "Draft not ready", "published": False}
    )
    db.session.commit()
    response = client.get("/milestones")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Draft not ready" not in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Second line" in page
    assert page.index('id="year-2024"') < page.index("VAT rates reformed")
    assert page.index("VAT rates reformed") < page.index('id="year-2019"')
    assert page.index('id="year-2019"') < page.index("Article 17 adopted")
    assert '<time datetime="2024-03-05">5 March 2024</time>' in page


def test_officer_writes_edits_and_unpublishes(client, login_as):
    login_as("officer")
    response = client.post(
        "/milestones/new",
        data={
            "happened_on": "2023-05-04",
            "title": "Streaming report",
            "published": "y",
            "priority_id": 0,
        },
    )
    assert response.status_code == 302
    milestone = db.session.scalar(select(Milestone))
    assert milestone.published is True
    assert "Streaming report" in client.get("/milestones").get_data(as_text=True)
    assert client.post(f"/milestones/{milestone.id}/publish").status_code == 302
    db.session.expire_all()
    assert milestone.published is False
    assert "Streaming report" not in client.get("/milestones").get_data(as_text=True)
    assert "Streaming report" in client.get("/milestones/manage").get_data(as_text=True)
    response = client.post(
        f"/milestones/{milestone.id}/edit",
        data={"happened_on": "2023-05-05", "title": "Streaming report out", "published": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert milestone.title == "Streaming report out" and milestone.published is True
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "milestone")
    ).all()
    assert sorted(actions) == ["create", "update", "update"]


def test_comms_reads_the_staff_list_but_changes_nothing(client, login_as):
    login_as("comms")
    milestone = services.create_milestone({"happened_on": date(2020, 1, 1), "title": "X"})
    db.session.commit()
    assert client.get("/milestones/manage").status_code == 200
    assert client.post("/milestones/new", data={"title": "Y"}).status_code == 403
    assert client.post(f"/milestones/{milestone.id}/edit", data={"title": "Y"}).status_code == 403
    assert client.post(f"/milestones/{milestone.id}/publish").status_code == 403
    db.session.expire_all()
    assert milestone.published is True and milestone.title == "X"


def test_anonymous_users_see_the_public_page_but_not_the_staff_list(app):
    client = app.test_client()
    assert client.get("/milestones").status_code == 200
    response = client.get("/milestones/manage")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
