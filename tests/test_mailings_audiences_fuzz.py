"""Whatever is typed into the audience form or its live count, the answer is a page, a redirect
or a 400, never a 500; a refused form saves nothing. The demo data seeds audiences quickly and
deterministically."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.extensions import db
from crm.mailings.audience_models import Audience, Consent
from crm.mailings.demo_audiences import seed_audience_demo
from crm.members import demo
from tests import factories

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
value = st.text(max_size=40) | st.sampled_from(
    [
        "",
        "DE",
        "de",
        "label",
        "active",
        "none",
        "primary",
        "1",
        "0",
        "-1",
        "99999999999",
        "2147483648",
        "newsletter",
        "%",
        "_",
        "\\",
        "=1+1",
        "a" * 300,
    ]
)
FIELDS = [
    f"{side}-{name}"
    for side in ("include", "exclude")
    for name in (
        "countries",
        "org_kinds",
        "association_ids",
        "membership_statuses",
        "roles",
        "languages",
        "priority_ids",
        "not_signed_declaration_ids",
        "beat_contains",
        "list_ids",
    )
]
form_data = st.dictionaries(
    st.sampled_from([*FIELDS, "name", "purpose", "kind", "audience_id"]),
    st.lists(value, max_size=3),
    max_size=8,
)


def _client(app):
    client = app.test_client()
    user = factories.user("comms")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    return client


def _nul(data) -> bool:
    return any("\x00" in v for values in data.values() for v in values)


@FUZZ
@given(data=form_data, save=st.booleans())
def test_audience_form_never_fails(app, data, save):
    client = _client(app)
    before = db.session.scalar(select(func.count()).select_from(Audience))
    response = client.post(
        "/mailings/audiences/new", data={**data, ("save" if save else "preview"): "x"}
    )
    assert response.status_code in ({400} if _nul(data) else {200, 302})
    after = db.session.scalar(select(func.count()).select_from(Audience))
    assert after == before + (1 if response.status_code == 302 else 0)


@FUZZ
@given(data=form_data)
def test_live_count_never_fails(app, data):
    client = _client(app)
    response = client.get("/mailings/audiences/count.json", query_string=data)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert isinstance(response.json["count"], int)


def test_demo_audiences_are_seeded_deterministically():
    demo.seed_demo(200, seed=3)
    first = seed_audience_demo(3)
    db.session.commit()
    assert first["segments"] >= 2 and first["press_lists"] >= 1
    assert first["consents"] == db.session.scalar(select(func.count()).select_from(Consent))
    grants = db.session.scalars(
        select(Consent.purpose).where(Consent.granted).order_by(Consent.person_id, Consent.purpose)
    ).all()
    assert {"member_communications", "newsletter"} <= set(grants)
    # Seeding again adds no audience twice (names are unique).
    again = seed_audience_demo(3)
    assert again["segments"] == 0 and again["press_lists"] == 0
