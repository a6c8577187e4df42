"""Whatever staff type into the mailing forms (draft, test send, schedule, preview), the answer
is a page or a redirect, never a 500, and a refused form changes nothing."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.mailings.models import Delivery, Mailing
from tests import factories
from tests.test_mailings_compose import reachable_draft

text = st.text(max_size=200) | st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "99999999999999",
        "2099-13-40T25:61",
        "2099-01-01T10:00",
        "press_release",
        "newsletter",
        "Europe/Brussels",
        "{{ first_name }}",
        "{{ nope",
        "<script>x</script>",
        "a" * 5000,
        "x@example.org\ny@example.org",
        "\x00",
    ]
)
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DRAFT_FIELDS = (
    "kind",
    "purpose",
    "subject",
    "from_name",
    "from_email",
    "reply_to",
    "audience_id",
    "campaign_id",
    "body",
    "embargo_at",
    "timezone",
)


def _ok(values, response, allowed=(200, 302)):
    expected = {400} if any("\x00" in v for v in values) else set(allowed)
    assert response.status_code in expected, (values, response.status_code)


@FUZZ
@given(data=st.fixed_dictionaries({}, optional={name: text for name in DRAFT_FIELDS}))
def test_new_mailing_form_never_fails(app, data):
    client = app.test_client()
    user = factories.user("comms")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    before = db.session.scalar(db.select(db.func.count()).select_from(Mailing))
    response = client.post("/mailings/new", data=data)
    _ok(data.values(), response)
    after = db.session.scalar(db.select(db.func.count()).select_from(Mailing))
    assert after == before + (1 if response.status_code == 302 else 0)


@FUZZ
@given(
    test=st.fixed_dictionaries({}, optional={"addresses": text, "person_id": text}),
    schedule=st.fixed_dictionaries({}, optional={"when": text, "send_at": text, "timezone": text}),
    preview=text,
)
def test_test_send_schedule_and_preview_never_fail(app, test, schedule, preview):
    client = app.test_client()
    user = factories.user("admin")
    mailing = reachable_draft(2, tested=False)
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    _ok(schedule.values(), client.post(f"/mailings/{mailing.id}/schedule", data=schedule))
    db.session.expire_all()
    # Untested, it can never be scheduled, whatever was typed.
    assert db.session.get(Mailing, mailing.id).status == "draft"
    _ok(test.values(), client.post(f"/mailings/{mailing.id}/test", data=test))
    bulk = db.session.scalar(
        db.select(db.func.count()).select_from(Delivery).where(Delivery.mailing_id.is_not(None))
    )
    assert bulk == 0
    query = {"person_id": preview}
    _ok([preview], client.get(f"/mailings/{mailing.id}/preview", query_string=query), (200,))
    frame = client.get(f"/mailings/{mailing.id}/preview.html", query_string=query)
    _ok([preview], frame, (200, 404))
