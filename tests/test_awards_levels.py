"""Award levels are data: the level a total reaches at every boundary, across the change of
scheme, after an admin adds a level; the admin pages and their validation."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.awards import levels
from crm.awards.models import AwardLevel
from crm.extensions import db

TODAY = date(2026, 6, 1)


@pytest.fixture
def seeded():
    levels.seed_award_levels()
    db.session.commit()


def _name(units, on=TODAY):
    level = levels.level_for(units, on)
    return (level.name, level.scheme) if level else None


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (0, None),
        (19_999, None),
        (20_000, "Silver"),
        (39_999, "Silver"),
        (40_000, "Double Silver"),
        (74_999, "Double Silver"),
        (75_000, "Gold"),
        (199_999, "Gold"),
        (200_000, "Diamond"),
        (399_999, "Diamond"),
        (400_000, "Platinum"),
        (799_999, "Platinum"),
        (800_000, "Double Platinum"),
        (50_000_000, "Double Platinum"),
    ],
)
def test_level_at_every_boundary_of_todays_scheme(seeded, units, expected):
    assert _name(units) == ((expected, "2014") if expected else None)


@pytest.mark.parametrize(
    ("units", "on", "expected"),
    [
        (25_000, date(2010, 6, 1), None),
        (29_999, date(2010, 6, 1), None),
        (30_000, date(2010, 6, 1), ("Silver", "2007")),
        (99_999, date(2013, 12, 31), ("Silver", "2007")),
        (100_000, date(2013, 12, 31), ("Gold", "2007")),
        (100_000, date(2014, 1, 1), ("Gold", "2014")),
        (250_000, date(2007, 1, 1), ("Diamond", "2007")),
        (500_000, date(2012, 1, 1), ("Platinum", "2007")),
        (1_000_000, date(2013, 12, 31), ("Double Platinum", "2007")),
        (999_999, date(2013, 12, 31), ("Platinum", "2007")),
        (25_000, date(2014, 1, 1), ("Silver", "2014")),
        (1_000_000, date(2006, 12, 31), None),  # before any scheme
    ],
)
def test_level_across_the_change_of_scheme(seeded, units, on, expected):
    assert _name(units, on) == expected


def test_levels_in_force_by_date(seeded):
    assert [lv.threshold for lv in levels.levels_in_force(date(2013, 12, 31))] == [
        30_000,
        100_000,
        250_000,
        500_000,
        1_000_000,
    ]
    assert [lv.threshold for lv in levels.levels_in_force(date(2014, 1, 1))] == [
        20_000,
        40_000,
        75_000,
        200_000,
        400_000,
        800_000,
    ]
    assert levels.levels_in_force(date(2000, 1, 1)) == []


def test_seeding_twice_adds_nothing_more(seeded):
    assert levels.seed_award_levels() == 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AwardLevel)) == 11


def test_admin_adds_triple_silver_and_it_is_picked_up(seeded, login_as, client):
    login_as("admin")
    response = client.post(
        "/awards/levels/new",
        data={
            "name": "Triple Silver",
            "threshold": "60000",
            "position": "3",
            "scheme": "2014",
            "valid_from": "2014-01-01",
            "valid_to": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _name(59_999) == ("Double Silver", "2014")
    assert _name(60_000) == ("Triple Silver", "2014")
    assert _name(74_999) == ("Triple Silver", "2014")
    assert _name(75_000) == ("Gold", "2014")
    assert _name(60_000, date(2013, 6, 1)) == ("Silver", "2007")
    level = db.session.scalar(select(AwardLevel).where(AwardLevel.name == "Triple Silver"))
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "award_level", AuditEvent.entity_id == level.id
        )
    )
    assert event is not None and event.action == "create" and event.actor.startswith("admin")
    page = client.get("/awards/levels").get_data(as_text=True)
    assert "Triple Silver" in page and "Scheme 2007" in page and "Scheme 2014" in page
    assert page.index("Scheme 2014") < page.index("Scheme 2007")


def _level_form(**overrides):
    data = {
        "name": "Quadruple Silver",
        "threshold": "80000",
        "position": "3",
        "scheme": "2014",
        "valid_from": "2014-01-01",
        "valid_to": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"threshold": "0"}, "A positive number of units."),
        ({"threshold": "-5"}, "A positive number of units."),
        ({"threshold": "abc"}, "Not a valid integer value."),
        ({"valid_to": "2013-01-01"}, "must end on or after the day it starts"),
        ({"threshold": "75000"}, "already has a level at 75,000 units"),
        ({"name": ""}, "This field is required."),
        ({"valid_from": "not a date"}, "Not a valid date value."),
    ],
)
def test_level_validation(seeded, login_as, client, overrides, message):
    login_as("admin")
    response = client.post("/awards/levels/new", data=_level_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AwardLevel)) == 11


def test_same_threshold_in_another_scheme_is_fine(seeded, login_as, client):
    # The 2014 scheme ends first: two schemes are never in force on the same day.
    for level in db.session.scalars(select(AwardLevel).where(AwardLevel.scheme == "2014")):
        level.valid_to = date(2029, 12, 31)
    db.session.commit()
    login_as("admin")
    response = client.post(
        "/awards/levels/new",
        data=_level_form(threshold="75000", scheme="2030", valid_from="2030-01-01"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        ("2030-01-01", ""),  # the 2014 scheme has no end date
        ("2010-01-01", "2010-12-31"),  # inside the 2007 scheme
        ("2013-12-31", "2014-01-01"),  # one day of each
        ("2000-01-01", ""),  # around both
    ],
)
def test_a_level_overlapping_another_scheme_is_refused(
    seeded, login_as, client, valid_from, valid_to
):
    login_as("admin")
    response = client.post(
        "/awards/levels/new",
        data=_level_form(scheme="2030", valid_from=valid_from, valid_to=valid_to),
    )
    assert response.status_code == 200
    assert "only one scheme can be in force on a day" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AwardLevel)) == 11


def test_editing_a_level_into_another_schemes_period_is_refused(seeded, login_as, client):
    gold_2007 = db.session.scalar(
        select(AwardLevel).where(AwardLevel.scheme == "2007", AwardLevel.name == "Gold")
    )
    login_as("admin")
    response = client.post(
        f"/awards/levels/{gold_2007.id}/edit",
        data=_level_form(
            name="Gold",
            threshold="100000",
            scheme="2007",
            valid_from="2007-01-01",
            valid_to="2015-12-31",
        ),
    )
    assert response.status_code == 200
    assert "overlap the 2014 scheme" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AwardLevel, gold_2007.id).valid_to == date(2013, 12, 31)


def test_admin_edits_a_level_and_the_change_is_audited(seeded, login_as, client):
    login_as("admin")
    gold = db.session.scalar(
        select(AwardLevel).where(AwardLevel.scheme == "2014", AwardLevel.name == "Gold")
    )
    form = _level_form(name="Gold", threshold="70000", position="4")
    assert client.get(f"/awards/levels/{gold.id}/edit").status_code == 200
    assert client.post(f"/awards/levels/{gold.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert _name(70_000) == ("Gold", "2014")
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity_type == "award_level", AuditEvent.action == "update"
        )
    )
    assert event.before["threshold"] == 75_000 and event.after["threshold"] == 70_000
    # Editing into a clash with another level of the scheme is refused.
    response = client.post(
        f"/awards/levels/{gold.id}/edit", data=_level_form(name="Gold", threshold="40000")
    )
    assert "already has a level at 40,000 units" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AwardLevel, gold.id).threshold == 70_000


@pytest.mark.parametrize("role", ["officer", "comms", "association", "member"])
def test_only_admins_manage_levels(seeded, login_as, client, role):
    login_as(role)
    assert client.get("/awards/levels").status_code == 403
    assert client.post("/awards/levels/new", data=_level_form()).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AwardLevel)) == 11


def test_seed_demo_seeds_both_schemes_once(runner):
    result = runner.invoke(args=["crm", "seed-demo", "--members", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "award levels: 11 added" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AwardLevel)) == 11
    assert {lv.scheme for lv in db.session.scalars(select(AwardLevel))} == {"2007", "2014"}
