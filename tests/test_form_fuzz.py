"""Whatever a person types into the directory forms, the answer is a page or a redirect, never a
500, and a refused form saves nothing."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.members.models import Organisation
from tests import factories

text = st.text(max_size=300) | st.sampled_from(
    ["", " ", "=1+1", "@x", "DE", "label", "0", "-1", "2025-13-40", "a" * 5000, "\x00", "<b>x</b>"]
)


def _expected(values, ok):
    """A NUL character is refused as a bad request; anything else gets a page or a redirect."""
    return {400} if any("\x00" in v for v in values) else ok


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            name: text
            for name in (
                "name",
                "acronym",
                "kind",
                "country",
                "city",
                "address",
                "postcode",
                "email",
                "phone",
                "website",
                "vat_number",
                "sme_size",
                "association_id",
                "notes",
            )
        },
    )
)
def test_organisation_form_never_fails(app, data):
    client = app.test_client()
    user = factories.user("officer")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    before = db.session.scalar(db.select(db.func.count()).select_from(Organisation))
    response = client.post("/organisations/new", data=data)
    assert response.status_code in _expected(data.values(), {200, 302})
    after = db.session.scalar(db.select(db.func.count()).select_from(Organisation))
    assert after == before + (1 if response.status_code == 302 else 0)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            name: text
            for name in (
                "route",
                "via_association_id",
                "start_date",
                "end_date",
                "resigned_on",
                "notes",
            )
        },
    )
)
def test_membership_form_never_fails(app, data):
    client = app.test_client()
    user = factories.user("admin")
    org = factories.organisation()
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    response = client.post(f"/organisations/{org.id}/memberships/new", data=data)
    assert response.status_code in _expected(data.values(), {200, 302})


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(
            ["q", "country", "kind", "sme_size", "association", "status", "sort", "page"]
        ),
        text,
        max_size=6,
    )
)
def test_directory_query_never_fails(app, query):
    client = app.test_client()
    user = factories.user("comms")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    response = client.get("/organisations", query_string=query)
    assert response.status_code in _expected(query.values(), {200})
