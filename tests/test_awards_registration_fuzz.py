"""Whatever a member types into the registration form, the answer is a page or a redirect,
never a 500 (400 only for NUL characters), and a refused form saves nothing."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.awards.models import AwardRegistration
from crm.extensions import db
from tests import factories
from tests import test_awards_registration_support as support

text = st.text(max_size=200) | st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1",
        "20000",
        "100000000",
        "100000001",
        "99999999999999999999",
        "9" * 5000,
        "1e5",
        "١٢٣",
        "²",
        "12 000",
        "DE",
        "FR",
        "US",
        "album",
        "2024-05-01",
        "0001-01-01",
        "9999-12-31",
        "GBAYE0601498",
        "5012345678900",
        "=1+1",
        "\x00",
        "<script>x</script>",
        "y",
    ]
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FIELDS = (
    "artist",
    "title",
    "format",
    "release_date",
    "catalogue_number",
    "isrc",
    "upc",
    "confirm",
    "check",
    "add_row",
    "save",
    "evidence",
    "units-0-country",
    "units-0-units",
    "units-1-country",
    "units-1-units",
    "units-7-units",
    "units-²-country",
    "units-99999999999-units",
    "units--units",
    "units-0",
)
row_keys = st.builds(
    lambda n, f: f"units-{n}-{f}", st.integers(0, 80), st.sampled_from(["country", "units", "x"])
)


@FUZZ
@given(
    data=st.fixed_dictionaries({}, optional={name: text for name in FIELDS}),
    extra=st.dictionaries(row_keys, text, max_size=5),
    from_valid=st.booleans(),
    with_file=st.booleans(),
)
def test_registration_form_never_fails(app, data, extra, from_valid, with_file):
    if not _has_levels():  # examples share the database
        support.seed_levels()
    if from_valid:  # half the examples start from a form that would be saved
        base = support.form()
        base.pop("evidence")
        data = {**base, **data}
    user = factories.user("member")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    before = db.session.scalar(db.select(db.func.count()).select_from(AwardRegistration))
    payload = {**data, **extra}
    if with_file:
        payload["evidence"] = [(io.BytesIO(support.PDF), "statement.pdf")]
    values = [v for v in payload.values() if isinstance(v, str)]
    response = client.post("/awards/register", data=payload)
    expected = {400} if any("\x00" in v for v in values) else {200, 302}
    assert response.status_code in expected, (response.status_code, payload)
    after = db.session.scalar(db.select(db.func.count()).select_from(AwardRegistration))
    if response.status_code != 302:
        assert after == before


def _has_levels() -> bool:
    from crm.awards.models import AwardLevel

    return db.session.scalar(db.select(AwardLevel.id).limit(1)) is not None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.fixed_dictionaries({}, optional={name: text for name in FIELDS}))
def test_raise_form_never_fails(app, data):
    if not _has_levels():
        support.seed_levels()
    user = factories.user("member")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert client.post("/awards/register", data=support.form()).status_code == 302
    registration = db.session.scalar(
        db.select(AwardRegistration)
        .where(AwardRegistration.organisation_id == user.organisation_id)
        .order_by(AwardRegistration.id.desc())
    )
    response = client.post(f"/awards/registrations/{registration.id}/raise", data=data)
    values = [v for v in data.values() if isinstance(v, str)]
    expected = {400} if any("\x00" in v for v in values) else {200, 302}
    assert response.status_code in expected, (response.status_code, data)
