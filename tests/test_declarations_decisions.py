"""Decisions that must not race or crash: moderation and match decisions taken twice at once,
the export's date range, a declaration's text in its default language."""

from datetime import date

import pytest
from sqlalchemy import update

from crm.declarations import matching, models, moderation, public_views, services, signing
from crm.declarations.models import Declaration, DeclarationVersion, Signature
from crm.extensions import db
from tests import factories
from tests.test_declarations_public import make_open_declaration
from tests.test_declarations_staff import make_declaration, make_signature


def _behind_the_back(signature, **values):
    """Another officer's decision, committed while this session holds a stale object."""
    db.session.execute(
        update(Signature)
        .where(Signature.id == signature.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_moderation_decided_meanwhile_is_reported_not_overwritten(decision):
    declaration = make_declaration()
    signature = make_signature(
        declaration, "org@example.org", signing_as="organisation", moderation="pending"
    )
    db.session.commit()
    assert signature.moderation == "pending"  # loaded
    _behind_the_back(signature, moderation="rejected", moderation_reason="Not a member")
    with pytest.raises(moderation.ModerationError, match="already decided"):
        if decision == "approve":
            moderation.approve(signature, None)
        else:
            moderation.reject(signature, None, "Duplicate")
    db.session.expire_all()
    row = db.session.get(Signature, signature.id)
    assert (row.moderation, row.moderation_reason) == ("rejected", "Not a member")


def test_second_officer_is_told_already_decided(client, login_as):
    declaration = make_declaration()
    signature = make_signature(
        declaration, "org@example.org", signing_as="organisation", moderation="pending"
    )
    db.session.commit()
    login_as("officer")
    url = f"/staff/signatures/{signature.id}/moderate"
    client.post(url, data={"decision": "approve"})
    second = client.post(url, data={"decision": "reject", "reason": "x"}, follow_redirects=True)
    assert b"already decided" in second.data
    db.session.expire_all()
    assert db.session.get(Signature, signature.id).moderation == "approved"


def test_a_moderation_decision_refreshes_the_cached_count(app):
    app.config["SIGNATURE_COUNT_CACHE_SECONDS"] = 300
    try:
        declaration = make_declaration()
        signature = make_signature(
            declaration, "org@example.org", signing_as="organisation", moderation="pending"
        )
        db.session.commit()
        assert signing.confirmed_count(declaration.id) == 0
        moderation.approve(signature, None)
        db.session.commit()
        assert signing.confirmed_count(declaration.id) == 1
    finally:
        app.config["SIGNATURE_COUNT_CACHE_SECONDS"] = 0
        signing._count_cache.clear()


@pytest.mark.parametrize("decision", ["confirm", "reject"])
def test_match_decided_meanwhile_is_reported_not_overwritten(decision):
    org = factories.organisation("Suggested Label")
    declaration = make_declaration()
    signature = make_signature(
        declaration,
        "someone@example.org",
        match_status="suggested",
        suggested_organisation_id=org.id,
    )
    db.session.commit()
    assert signature.match_status == "suggested"
    _behind_the_back(signature, match_status="rejected")
    with pytest.raises(matching.MatchError, match="already decided"):
        if decision == "confirm":
            matching.confirm_suggestion(signature)
        else:
            matching.reject_suggestion(signature)
    db.session.expire_all()
    row = db.session.get(Signature, signature.id)
    assert (row.match_status, row.organisation_id) == ("rejected", None)


def test_match_decision_still_works():
    org = factories.organisation("Suggested Label")
    declaration = make_declaration()
    signature = make_signature(
        declaration,
        "someone@example.org",
        match_status="suggested",
        suggested_organisation_id=org.id,
    )
    db.session.commit()
    matching.confirm_suggestion(signature)
    assert (signature.match_status, signature.organisation_id) == ("matched", org.id)


def test_one_definition_of_each_rule():
    assert signing.initial_moderation is moderation.initial_moderation
    assert signing.PUBLISHED_STATES is models.PUBLISHED_STATES
    assert not hasattr(signing, "SIGNER_FIELDS")
    assert not hasattr(public_views, "OPTIONAL_INPUTS")


@pytest.mark.parametrize(
    "query",
    ["?signed_to=9999-12-31", "?signed_from=0001-01-01", "?signed_from=1999-12-31"],
)
def test_export_dates_out_of_range_are_refused_not_a_500(client, login_as, query):
    declaration = make_declaration()
    db.session.commit()
    login_as("officer")
    response = client.get(f"/staff/declarations/{declaration.id}/signatures.csv{query}")
    assert response.status_code == 400
    assert b"between 2000 and 2100" in response.data


def test_export_dates_at_the_limits_are_accepted(client, login_as):
    declaration = make_declaration()
    make_signature(declaration, "a@example.org")
    db.session.commit()
    login_as("officer")
    query = "?signed_from=2000-01-01&signed_to=2100-12-31"
    response = client.get(f"/staff/declarations/{declaration.id}/signatures.csv{query}")
    assert response.status_code == 200 and b"a@example.org" in response.data


def test_default_language_needs_a_text(client, login_as):
    # English only: German cannot become the default.
    only_en = services.create_declaration(
        {"slug": "only-en", "open_on": date(2026, 1, 1)}, {"en": {"title": "Only English"}}
    )
    db.session.commit()
    with pytest.raises(services.DeclarationError) as error:
        services.update_declaration(only_en, {"default_language": "de"})
    assert error.value.field == "default_language"
    db.session.rollback()
    login_as("officer")
    page = client.post(
        f"/staff/declarations/{only_en.id}/edit",
        data={"open_on": "2026-01-01", "signer_kinds": "both", "default_language": "de"},
    )
    assert page.status_code == 200 and b"add it before making it the default" in page.data
    db.session.expire_all()
    assert db.session.get(Declaration, only_en.id).default_language == "en"


def test_the_last_text_cannot_be_removed(client, login_as):
    only_en = services.create_declaration(
        {"slug": "only-en", "open_on": date(2026, 1, 1)}, {"en": {"title": "Only English"}}
    )
    db.session.commit()
    only_en.default_language = "fr"  # data from before the rule
    db.session.commit()
    with pytest.raises(services.DeclarationError, match="last text"):
        services.save_text(only_en, "en", {"title": ""})
    db.session.rollback()
    assert [t.language for t in services.current_version(only_en).texts] == ["en"]


def test_a_version_without_text_is_not_a_500(client):
    declaration = make_open_declaration()
    db.session.add(DeclarationVersion(declaration_id=declaration.id, number=2))
    db.session.commit()
    assert client.get("/declarations/fair-digital-deals").status_code == 404
    assert client.get("/declarations/fair-digital-deals/embed").status_code == 404
