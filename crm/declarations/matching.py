"""Matching signatures to the directory: by email to a known person, else a suggested
organisation for staff to confirm. Matching links a signature; it never changes a Person or an
Organisation."""

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from crm.audit.services import record
from crm.declarations.models import Signature
from crm.extensions import db
from crm.members.models import Organisation, Person
from crm.members.normalise import email_key, name_key

MATCH_STATUSES = {
    "none": "No match",
    "suggested": "Suggested organisation",
    "matched": "Matched",
    "rejected": "Suggestion rejected",
}


class MatchError(ValueError):
    """A match decision that does not apply to this signature."""


ALREADY_DECIDED = "This suggestion was already decided by someone else; nothing was changed."


def _decide_suggestion(signature: Signature, values: dict, *conditions) -> None:
    """Change an open suggestion with a conditional UPDATE, so of two staff deciding at once
    only the first changes the row; the second gets MatchError."""
    won = db.session.execute(
        update(Signature)
        .where(Signature.id == signature.id, Signature.match_status == "suggested", *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(signature)
    if won != 1:
        raise MatchError(ALREADY_DECIDED)


def match_signature(signature: Signature) -> str:
    """Link a confirmed signature to the person with its email, or suggest an organisation
    with the same normalised name in the same country. Returns the match status."""
    key = email_key(signature.email)
    person = db.session.scalar(select(Person).where(Person.email_key == key)) if key else None
    if person is not None:
        signature.person_id = person.id
        signature.organisation_id = person.organisation_id
        signature.suggested_organisation_id = None
        signature.match_status = "matched"
        return signature.match_status
    suggestion = None
    if signature.organisation_name and signature.country:
        key_name = name_key(signature.organisation_name)
        if key_name:
            suggestion = db.session.scalar(
                select(Organisation.id).where(
                    Organisation.name_key == key_name,
                    Organisation.country == signature.country.upper(),
                )
            )
    signature.suggested_organisation_id = suggestion
    signature.match_status = "suggested" if suggestion else "none"
    return signature.match_status


def _audit(signature: Signature, summary: str, before: dict) -> None:
    record(
        "update",
        "signature",
        signature.id,
        summary,
        before=before,
        after={
            "match_status": signature.match_status,
            "organisation_id": signature.organisation_id,
        },
    )


def confirm_suggestion(signature: Signature) -> Signature:
    """Accept the suggested organisation: the signature now counts for it."""
    if signature.match_status != "suggested" or signature.suggested_organisation_id is None:
        raise MatchError("This signature has no open suggestion.")
    before = {"match_status": signature.match_status, "organisation_id": signature.organisation_id}
    _decide_suggestion(
        signature,
        {"organisation_id": Signature.suggested_organisation_id, "match_status": "matched"},
        Signature.suggested_organisation_id.is_not(None),
    )
    name = signature.suggested_organisation.name if signature.suggested_organisation else ""
    _audit(signature, f"Signature {signature.id} matched to {name}", before)
    return signature


def reject_suggestion(signature: Signature) -> Signature:
    """Turn the suggestion down: the signature stays unlinked."""
    if signature.match_status != "suggested":
        raise MatchError("This signature has no open suggestion.")
    before = {"match_status": signature.match_status, "organisation_id": signature.organisation_id}
    _decide_suggestion(signature, {"match_status": "rejected"})
    _audit(signature, f"Suggested organisation for signature {signature.id} rejected", before)
    return signature


def suggestion_queue(declaration_id: int | None = None, limit: int = 200) -> list[Signature]:
    """Confirmed signatures with a suggested organisation waiting for staff, oldest first."""
    stmt = (
        select(Signature)
        .where(Signature.match_status == "suggested", Signature.status == "confirmed")
        .options(
            joinedload(Signature.suggested_organisation).joinedload(Organisation.association),
            joinedload(Signature.declaration),
        )
        .order_by(Signature.confirmed_at, Signature.id)
        .limit(limit)
    )
    if declaration_id is not None:
        stmt = stmt.where(Signature.declaration_id == declaration_id)
    return list(db.session.scalars(stmt))
