"""Whatever an officer types into the action form, the answer is a page or a redirect, never a
500, and a refused form saves nothing (the pattern of test_form_fuzz.py)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.members.services import find_person_by_email
from crm.policy.models import Action
from tests import factories
from tests import test_policy_actions_support as support

text = st.text(max_size=300) | st.sampled_from(
    [
        "",
        " ",
        "=1+1",
        "meeting",
        "call",
        "0",
        "1",
        "-1",
        "99999999999999999999",
        "2026-03-10",
        "2025-13-40",
        "0001-01-01",
        "9999-12-31",
        "person:1",
        "user:1",
        "organisation:1",
        "person:99999999999",
        "person:-1",
        "a@b.example\nnobody@x.example",
        "a" * 5000,
        "\x00",
        "<b>x</b>",
    ]
)

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FIELDS = (
    "kind",
    "occurred_on",
    "title",
    "participant_emails",
    "priority_id",
    "campaign_id",
    "dossier_id",
    "summary",
    "outcome",
    "shared_with_members",
    "followup_note",
    "followup_due_on",
    "followup_assignee_id",
)


@FUZZ
@given(
    data=st.fixed_dictionaries({}, optional={name: text for name in FIELDS}),
    participants=st.lists(text, max_size=4),
    from_valid=st.booleans(),
)
def test_action_form_never_fails(app, data, participants, from_valid):
    if from_valid:  # half the examples start from a form that would be saved
        data = {"kind": "meeting", "occurred_on": "2026-03-10", "title": "Met", **data}
    client = app.test_client()
    user = factories.user("officer")
    prio = support.priority()
    support.campaign(prio)
    if find_person_by_email("a@b.example") is None:  # examples share the database
        support.stakeholder(email="a@b.example")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    before = db.session.scalar(db.select(db.func.count()).select_from(Action))
    response = client.post("/actions/new", data={**data, "participant": participants})
    values = [*data.values(), *participants]
    expected = {400} if any("\x00" in v for v in values) else {200, 302}
    assert response.status_code in expected
    after = db.session.scalar(db.select(db.func.count()).select_from(Action))
    assert after == before + (1 if response.status_code == 302 else 0)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["date_from", "date_to", "q", "tpage"]), text))
def test_report_and_search_queries_never_fail(app, query):
    client = app.test_client()
    user = factories.user("comms")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    expected = {400} if any("\x00" in v for v in query.values()) else {200}
    for path in ("/reports/eu-meetings", "/reports/eu-meetings.csv", "/actions/participants.json"):
        assert client.get(path, query_string=query).status_code in expected, path


LIST_ARGS = (
    "page",
    "tpage",
    "priority",
    "priority_id",
    "campaign_id",
    "dossier_id",
    "person_id",
    "organisation_id",
    "stage",
    "kind",
    "status",
    "q",
    "committee",
    "group",
    "country",
    "next",
)
LIST_PAGES = ("/dossiers", "/stakeholders", "/campaigns", "/actions/new", "/follow-ups")


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(LIST_ARGS),
        st.sampled_from(["99999999999999999999", "2147483648", "-1", "0", "1"]) | text,
        max_size=8,
    )
)
def test_list_pages_never_fail_whatever_the_query(app, query):
    client = app.test_client()
    user = factories.user("officer")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    expected = {400} if any("\x00" in v for v in query.values()) else {200}
    for path in LIST_PAGES:
        assert client.get(path, query_string=query).status_code in expected, path


def test_oversized_numbers_in_list_queries_are_ignored(client, login_as):
    login_as("officer")
    support.priority()
    db.session.commit()
    big = "99999999999999999999"
    for path in (
        f"/dossiers?priority={big}",
        f"/stakeholders?page={big}0",
        f"/campaigns/new?priority_id={big}",
        f"/dossiers/new?priority_id={big}",
        f"/actions/new?campaign_id={big}&person_id={big}",
    ):
        assert client.get(path).status_code == 200, path
