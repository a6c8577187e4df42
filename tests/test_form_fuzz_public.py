"""Whatever anyone on the internet posts to a public form, the answer is a page, a redirect or
a refusal (4xx), never a 500. The forms are not listed here: every PUBLIC endpoint of the access
matrix that takes a POST is fuzzed, with the fields its own page shows (plus strays), so a new
public form is covered the day it lands."""

from html.parser import HTMLParser

from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.auth.services import _serializer as reset_serializer
from crm.declarations import signing, tokens
from crm.declarations.models import Declaration
from crm.extensions import db
from tests import factories
from tests.test_access_matrix import EXPECTED, PUBLIC
from tests.test_declarations_public import form, make_open_declaration

# The public forms that must be found (a typo in the discovery would otherwise fuzz nothing).
KNOWN = {
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "declarations.public_declaration",
    "declarations.embed",
    "declarations.confirm_signature",
}
EXAMPLES = 40

hostile = st.text(max_size=300) | st.sampled_from(
    [
        "",
        " ",
        "a" * 5000,
        "\x00",
        '=HYPERLINK("http://x")',
        "<script>alert(1)</script>",
        "x@example.org",
        "ana.signer@example.org",
        "ä@ö.example",
        "@",
        "a@b",
        "DE",
        "XX",
        "individual",
        "organisation",
        "y",
        "99999999999999999999",
        "-1",
        "\u202e\ufeff",
        "\ud7ff" * 10,
    ]
)


class _Fields(HTMLParser):
    """The names (and shown values) of the fields of the page's forms that post."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.choices: dict[str, list[str]] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag in ("input", "textarea") and name and attrs.get("type") != "submit":
            if attrs.get("type") in ("checkbox", "radio"):
                self.choices.setdefault(name, []).append(attrs.get("value") or "y")
            else:
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields[name] = ""
        elif tag == "option" and self._select:
            self.choices.setdefault(self._select, []).append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _public_post_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if EXPECTED.get(rule.endpoint) == PUBLIC and "POST" in rule.methods
    ]


def _world():
    """Real values for the public URLs: an open declaration, a signature's confirmation token,
    a member's password-reset token, a reader's unsubscribe token."""
    declaration = make_open_declaration("fuzz-declaration", asked_fields=["organisation", "city"])
    with current_app.test_request_context():  # the confirmation mail holds a link
        signature = signing.sign(declaration, form("first.signer@example.org"), None, "en")
    signature = signature.signature
    user = factories.user("member")
    reader = factories.person(email="reader@example.org")
    db.session.commit()
    from crm.mailings.tokens import unsubscribe_token

    mail_token = unsubscribe_token(reader.email_key, "member_communications", None)
    return {
        "mailings.unsubscribe": {"token": mail_token},
        "mailings.preferences": {"token": mail_token},
        "declarations.confirm_signature": {"token": tokens.confirm_token(signature)},
        "auth.reset_password": {
            "token": reset_serializer().dumps({"uid": user.id, "fp": user.password_fingerprint})
        },
        "*": {"slug": declaration.slug, "token": "not-a-token"},
    }


def _path(rule, world) -> str:
    known = {**world["*"], **world.get(rule.endpoint, {})}
    values = {}
    for name in rule.arguments:
        integer = "Integer" in type(rule._converters[name]).__name__
        values[name] = known.get(name, 1 if integer else "x")
    return rule.build(values)[1]


def _strategy(fields: _Fields):
    """Each shown field: what the page put there, a hostile value, or left out; strays too."""

    def value(name):
        options = [st.just(fields.fields.get(name, "")), hostile]
        if fields.choices.get(name):
            options.append(st.sampled_from(fields.choices[name]))
        return st.one_of(*options)

    names = set(fields.fields) | set(fields.choices)
    return st.tuples(
        st.fixed_dictionaries({}, optional={name: value(name) for name in names}),
        st.dictionaries(st.text(min_size=1, max_size=12), hostile, max_size=2),
    )


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _fuzz(app, rule, path):
    client = app.test_client()
    shown = client.get(path) if "GET" in rule.methods else None
    fields = _Fields()
    if shown is not None and shown.status_code == 200:
        fields.feed(shown.get_data(as_text=True))

    @FUZZ
    @given(data=_strategy(fields))
    def post(data):
        shown_fields, strays = data
        body = {**strays, **shown_fields}
        response = client.post(path, data=body)
        has_nul = any("\x00" in str(v) for v in body.values())
        assert response.status_code < 500 or has_nul and response.status_code == 400, (
            rule.endpoint,
            response.status_code,
            body,
        )
        db.session.rollback()

    post()
    return set(fields.fields) | set(fields.choices)


def test_every_public_form_answers_anything_without_a_500(app):
    world = _world()
    rules = _public_post_rules(app)
    assert {rule.endpoint for rule in rules} >= KNOWN
    seen = {}
    for rule in rules:
        seen[rule.endpoint] = _fuzz(app, rule, _path(rule, world))
    # The fields were really found (else only strays were posted).
    assert {"email", "password"} <= seen["auth.login"]
    assert {"email", "first_name", "stamp", "city"} <= seen["declarations.embed"]
    assert {"password", "confirm"} <= seen["auth.reset_password"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(["lang", "next", "embed", "page", "q"]), hostile, max_size=3
    ),
    # What a header can carry: printable Latin-1 (no line breaks).
    accept_language=st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60),
)
def test_public_pages_take_any_query_and_language(app, query, accept_language):
    client = app.test_client()
    if not db.session.scalar(db.select(db.func.count()).select_from(Declaration)):
        make_open_declaration("fuzz-query")
    headers = {"Accept-Language": accept_language}
    for path in (
        "/login",
        "/password/forgot",
        "/declarations/fuzz-query",
        "/declarations/fuzz-query/embed",
        "/declarations/fuzz-query/count.json",
    ):
        response = client.get(path, query_string=query, headers=headers)
        has_nul = any("\x00" in v for v in query.values())
        assert response.status_code in ({400} if has_nul else {200}), (path, query)
