"""Officers create and edit declarations and their texts in several languages; editing a signed
text makes a new version; every change is audited; comms reads only."""

from datetime import date, timedelta

from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.declarations import services
from crm.declarations.models import Declaration, DeclarationVersion, Signature
from crm.extensions import db
from crm.policy.models import Campaign, Priority
from tests import factories
from tests.test_declarations_public import form, make_open_declaration


def _campaign():
    priority = Priority(slug="fair-streaming", title="Fair streaming")
    campaign = Campaign(slug="streaming-letter", title="Streaming campaign", kind="lobbying")
    campaign.priority = priority
    db.session.add_all([priority, campaign])
    db.session.commit()
    return campaign


def _new_form(**fields):
    return {
        "slug": "",
        "campaign_id": "0",
        "open_on": "2026-03-01",
        "close_on": "",
        "target": "1000",
        "signer_kinds": "both",
        "asked_fields": ["organisation", "country"],
        "list_publicly": "y",
        "default_language": "en",
        "title": "Independent music is culture",
        "body": "We, the undersigned, **commit**.",
        "consent_label": "Keep me informed",
        **fields,
    }


def _audit(action=None):
    stmt = select(AuditEvent).where(AuditEvent.entity_type == "declaration")
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return db.session.scalars(stmt.order_by(AuditEvent.id)).all()


def _versions(declaration_id):
    db.session.expire_all()
    return db.session.scalars(
        select(DeclarationVersion)
        .where(DeclarationVersion.declaration_id == declaration_id)
        .order_by(DeclarationVersion.number)
    ).all()


def test_officer_creates_a_declaration(client, login_as):
    campaign = _campaign()
    login_as("officer")
    response = client.post(
        "/staff/declarations/new", data=_new_form(campaign_id=str(campaign.id), ask_consent="y")
    )
    assert response.status_code == 302
    declaration = db.session.scalar(select(Declaration))
    assert response.headers["Location"] == f"/staff/declarations/{declaration.id}/edit"
    assert declaration.slug == "independent-music-is-culture"
    assert declaration.campaign_id == campaign.id and declaration.target == 1000
    assert declaration.asked_fields == ["organisation", "country"]
    assert declaration.ask_consent and declaration.list_publicly
    [version] = _versions(declaration.id)
    [text] = version.texts
    assert (text.language, text.title, text.consent_label) == (
        "en",
        "Independent music is culture",
        "Keep me informed",
    )
    [created] = _audit("create")
    assert created.after["texts"]["en"]["title"] == "Independent music is culture"
    page = client.get(f"/staff/declarations/{declaration.id}/edit").get_data(as_text=True)
    for language in ("en", "fr", "de"):
        assert f'name="language" value="{language}"' in page
    assert "Streaming campaign" in page
    listing = client.get("/staff/declarations").get_data(as_text=True)
    assert "Independent music is culture" in listing


def test_new_declaration_form_errors(client, login_as):
    make_open_declaration("taken-slug")
    login_as("officer")
    taken = client.post("/staff/declarations/new", data=_new_form(slug="taken-slug"))
    assert taken.status_code == 200 and b"already uses this slug" in taken.data
    backwards = client.post(
        "/staff/declarations/new", data=_new_form(close_on="2026-01-01", open_on="2026-02-01")
    )
    assert b"closing date is before the opening date" in backwards.data
    long_title = client.post("/staff/declarations/new", data=_new_form(title="x" * 201))
    assert b"200 characters" in long_title.data
    assert db.session.scalar(select(Declaration.id).where(Declaration.slug != "taken-slug")) is None


def test_texts_are_edited_in_place_until_signed_then_versioned(client, login_as):
    # Not open yet: only then is an unsigned text edited in place. An open declaration's text
    # is versioned even before its first signature (a visitor may have the form loaded, and
    # the form's stamp binds the version, not its words): see
    # tests/test_declarations_staff_fixes.py. It opens below, before the first signature.
    declaration = make_open_declaration(open_on=date.today() + timedelta(days=1))
    login_as("officer")
    url = f"/staff/declarations/{declaration.id}/text"
    response = client.post(
        url,
        data={
            "language": "fr",
            "t-fr-title": "Des accords équitables",
            "t-fr-body": "Nous signons.",
            "t-fr-consent_label": "Tenez-moi informé",
        },
    )
    assert response.status_code == 302
    [version] = _versions(declaration.id)
    assert services.text_for(version, "fr").title == "Des accords équitables"
    # It opens and someone signs version 1; the next edit makes version 2 with every language
    # copied.
    declaration.open_on = date.today() - timedelta(days=1)
    db.session.commit()
    client.post("/declarations/fair-digital-deals", data=form())
    response = client.post(
        url,
        data={
            "language": "de",
            "t-de-title": "Faire Verträge",
            "t-de-body": "Wir unterzeichnen, geändert.",
            "t-de-consent_label": "",
        },
    )
    assert response.status_code == 302
    first, second = _versions(declaration.id)
    assert sorted(t.language for t in second.texts) == ["de", "en", "fr"]
    assert services.text_for(first, "de").title == "Faire digitale Verträge"
    assert services.text_for(second, "de").body == "Wir unterzeichnen, geändert."
    assert services.text_for(second, "fr").title == "Des accords équitables"
    [signature] = db.session.scalars(select(Signature)).all()
    assert signature.version_id == first.id
    # Unchanged text: no new version, no audit entry.
    before = len(_audit())
    client.post(
        url,
        data={
            "language": "de",
            "t-de-title": "Faire Verträge",
            "t-de-body": "Wir unterzeichnen, geändert.",
        },
    )
    assert len(_versions(declaration.id)) == 2 and len(_audit()) == before
    summaries = [e.summary for e in _audit("update")]
    assert any("fr text" in s and "version 1" in s for s in summaries)
    assert any("New version 2" in s for s in summaries)
    page = client.get(f"/staff/declarations/{declaration.id}").get_data(as_text=True)
    assert "version 2" in page and "Faire Verträge" in page


def test_a_new_language_can_be_added(client, login_as):
    declaration = make_open_declaration()
    login_as("admin")
    client.post(
        f"/staff/declarations/{declaration.id}/text",
        data={"language": "es", "t-es-title": "Acuerdos justos", "t-es-body": "Firmamos."},
    )
    # The declaration is open, so the change makes version 2 even without signatures (a
    # visitor may have version 1's form loaded); version 1 is left as it was.
    first, version = _versions(declaration.id)
    assert services.text_for(first, "es") is None
    assert services.text_for(version, "es").title == "Acuerdos justos"
    page = client.get("/declarations/fair-digital-deals?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in page and "Acuerdos justos" in page


def test_text_errors_are_shown(client, login_as):
    declaration = make_open_declaration()
    login_as("officer")
    url = f"/staff/declarations/{declaration.id}/text"
    empty_default = client.post(url, data={"language": "en", "t-en-title": "", "t-en-body": "x"})
    assert empty_default.status_code == 200 and b"Give a title." in empty_default.data
    too_long = client.post(url, data={"language": "fr", "t-fr-title": "t" * 201})
    assert too_long.status_code == 200 and b"200 characters" in too_long.data
    assert client.post(url, data={"language": "../x"}).status_code == 400


def test_settings_are_edited_and_audited(client, login_as):
    declaration = make_open_declaration()
    campaign = _campaign()
    login_as("officer")
    url = f"/staff/declarations/{declaration.id}/edit"
    response = client.post(
        url,
        data={
            "slug": "fair-digital-deals",
            "campaign_id": str(campaign.id),
            "open_on": "2026-01-01",
            "close_on": "2026-12-31",
            "target": "",
            "signer_kinds": "organisation",
            "asked_fields": ["city"],
            "moderate_individuals": "y",
            "default_language": "fr",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(Declaration, declaration.id)
    assert item.campaign_id == campaign.id and item.close_on == date(2026, 12, 31)
    assert item.signer_kinds == "organisation" and item.asked_fields == ["city"]
    assert item.moderate_individuals and not item.list_publicly and not item.ask_consent
    assert item.target is None and item.default_language == "fr"
    [update] = _audit("update")
    assert (
        update.before["signer_kinds"] == "both" and update.after["signer_kinds"] == "organisation"
    )
    bad = client.post(
        url,
        data={
            "slug": "Not A Slug",
            "open_on": "2026-01-01",
            "signer_kinds": "nobody",
            "default_language": "en",
        },
    )
    assert bad.status_code == 200 and b"Lower-case letters" in bad.data


def test_comms_reads_only_and_members_are_refused(app, login):
    declaration = make_open_declaration()
    comms = app.test_client()
    comms_user = factories.user("comms")
    db.session.commit()
    login(comms_user, comms)
    assert comms.get("/staff/declarations").status_code == 200
    page = comms.get(f"/staff/declarations/{declaration.id}")
    assert page.status_code == 200 and b"Fair digital deals" in page.data
    assert b">Edit<" not in page.data
    assert comms.get("/staff/declarations/new").status_code == 403
    assert comms.get(f"/staff/declarations/{declaration.id}/edit").status_code == 403
    response = comms.post(
        f"/staff/declarations/{declaration.id}/text",
        data={"language": "en", "t-en-title": "Hijacked"},
    )
    assert response.status_code == 403
    for role in ("association", "member"):
        user = factories.user(role)
        db.session.commit()
        client = login(user, app.test_client())
        assert client.get("/staff/declarations").status_code == 403
        assert client.get(f"/staff/declarations/{declaration.id}").status_code == 403
    [version] = _versions(declaration.id)
    assert services.text_for(version, "en").title == "Fair digital deals"


def test_staff_nav_links_to_declarations(client, login_as):
    login_as("officer")
    assert b'href="/staff/declarations"' in client.get("/").data


def test_declaration_page_renders_sanitised_markdown(client, login_as):
    declaration = make_open_declaration(open_on=date.today() + timedelta(days=2))
    services.save_text(
        declaration, "en", {"title": "Fair digital deals", "body": "*x* <img src=x onerror=y>"}
    )
    db.session.commit()
    login_as("comms")
    page = client.get(f"/staff/declarations/{declaration.id}").get_data(as_text=True)
    assert "<em>x</em>" in page and "<img" not in page and "closed" in page
