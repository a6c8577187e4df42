"""The personal data map: every table and column of the schema, classified in one place.

For each table: either why it holds no personal data, or how its rows link to a person
(`links`) and what erasure does with them (`on_erase`). For each column: whether it is personal
and what erasure writes into it. Export and erasure are driven by this map, and
tests/test_privacy_map.py fails when a table or column exists that the map does not classify,
so a new personal-data column cannot slip in unnoticed.
"""

from dataclasses import dataclass, field
from enum import StrEnum


class Erase(StrEnum):
    """What erasure writes into a column of a linked row."""

    KEEP = "keep"  # not personal, or no longer identifying once the rest is erased
    BLANK = "blank"  # NULL, or the empty value of the type where the column is NOT NULL
    ERASED = "erased"  # the word "Erased" (names that must stay non-empty)
    HASH = "hash"  # "erased:" + sha256 of the value: unique keys and counts stay right
    SCRUB = "scrub"  # JSON snapshots: values of personal keys replaced by "erased"
    REDACT = "redact"  # text or JSON: only the person's whole addresses become "erased user"


class OnErase(StrEnum):
    """What erasure does with the rows a table links to a person."""

    ANONYMISE = "anonymise"  # apply each column's Erase
    DELETE = "delete"  # remove the rows
    KEEP = "keep"  # nothing personal left once the person row is anonymised


@dataclass(frozen=True)
class Col:
    erase: Erase
    reason: str = ""  # why a personal-looking column is kept
    export: bool = True  # False: left out of the export (bodies, internals), said so there
    secret: bool = False  # exported as "set" or null, never its value

    @property
    def personal(self) -> bool:
        return self.erase is not Erase.KEEP or self.secret


def keep(reason: str = "") -> Col:
    """Not personal (say why when the name looks personal)."""
    return Col(Erase.KEEP, reason)


def hidden(reason: str) -> Col:
    """Not personal and not exported (internal bookkeeping)."""
    return Col(Erase.KEEP, reason, export=False)


BLANK = Col(Erase.BLANK)
REDACT = Col(Erase.REDACT)
ERASED = Col(Erase.ERASED)
HASH = Col(Erase.HASH)
ID = keep()
TIME = keep()
STAFF_REF = keep("the staff account that acted; NULL once that account is deleted")


@dataclass(frozen=True)
class Link:
    """Rows whose `columns` match the person's `key`: person ids, user ids, lower-cased email
    keys, email hashes, audit entities (type, id), or email keys mentioned in the text."""

    columns: tuple[str, ...]
    key: str
    # Only these columns are erased in rows found by this link (default: every personal one).
    erase_only: tuple[str, ...] | None = None
    # Compare the column lower-cased (addresses stored as typed).
    fold: bool = False
    # REDACT: rows found only by this link lose just the person's addresses from those columns
    # (the rest is someone else's history), whatever the columns' own rules say.
    erase_as: Erase | None = None
    # Only these columns are exported from rows found only by this link (default: all).
    export_only: tuple[str, ...] | None = None


KEYS = ("person", "user", "email_key", "email_hash", "entity", "mention")


def by(
    column: str,
    key: str,
    erase_only: tuple[str, ...] | None = None,
    fold: bool = False,
    export_only: tuple[str, ...] | None = None,
) -> Link:
    return Link((column,), key, erase_only, fold, export_only=export_only)


def mentioned_in(column: str, export_only: tuple[str, ...]) -> Link:
    """Rows of other people whose `column` quotes one of the person's addresses (a staff
    user's "staff: <address>"): only that column is theirs, to export and to redact."""
    return Link((column,), "mention", (column,), export_only=export_only)


@dataclass(frozen=True)
class Table:
    about: str  # how it links to a person, or why it holds no personal data
    columns: dict[str, Col] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    on_erase: OnErase = OnErase.ANONYMISE
    # The audit log's entity_type for this table's rows: their audit events are the person's.
    audit_entity: str | None = None
    # Erasure rebuilds this derived table (see erasure.py) rather than editing its rows.
    rebuilt: bool = False

    @property
    def personal(self) -> bool:
        return bool(self.links) or self.rebuilt


def not_personal(about: str, plain: str, **flagged: Col) -> Table:
    """A table without personal data: `plain` names its ordinary columns, `flagged` gives the
    reason for each column whose name looks personal (or STAFF_REF for staff accounts)."""
    return Table(about, {**dict.fromkeys(plain.split(), keep()), **flagged})


ORG_FACT = "the organisation's own contact details, not a person's"
FREE_TEXT = "staff free text about the record; docs/data-protection.md says no personal details"
FILE_NAME = "the name of an uploaded document"

MAP: dict[str, Table] = {
    # --- people and accounts ------------------------------------------------------------------
    "person": Table(
        "the person themself",
        links=(by("id", "person"),),
        audit_entity="person",
        columns={
            "id": ID,
            "organisation_id": BLANK,  # where someone works is personal
            "first_name": ERASED,  # the record reads "Erased"
            "last_name": BLANK,
            "email": BLANK,
            "email_key": BLANK,
            "phone": BLANK,
            "job_title": BLANK,
            "language": BLANK,
            "is_primary_contact": BLANK,
            "created_at": TIME,
            "updated_at": TIME,
        },
    ),
    "user_account": Table(
        "the person's login (user.person_id), or an account with the same address; erasure "
        "disables and anonymises it rather than deleting it, because deleting an account "
        "deletes its action_participant rows (ON DELETE CASCADE) and unlinks its history",
        links=(by("person_id", "person"), by("email", "email_key")),
        audit_entity="user",
        columns={
            "id": ID,
            "email": HASH,  # unique and NOT NULL: a placeholder nobody can sign in with
            "password_hash": Col(Erase.BLANK, secret=True),
            "role": keep(),
            "organisation_id": keep(),
            "person_id": BLANK,  # the erased person no longer leads to the account
            "active": BLANK,  # False: disabled
            "failed_logins": keep(),
            "locked_until": keep(),
            "last_login_at": BLANK,
            "created_at": TIME,
            "updated_at": TIME,
        },
    ),
    "stakeholder_profile": Table(
        "what makes the person a policymaker or journalist (person_id)",
        links=(by("person_id", "person"),),
        on_erase=OnErase.DELETE,
        audit_entity="stakeholder",
        columns={
            "id": ID,
            "person_id": ID,
            "kind": BLANK,
            "institution": BLANK,
            "committees": BLANK,
            "political_group": BLANK,
            "country": BLANK,
            "directorate": BLANK,
            "role": BLANK,
            "beat": BLANK,
            "notes": BLANK,
            "created_at": TIME,
            "updated_at": TIME,
        },
    ),
    # --- consent, interests, lists, suppression -------------------------------------------------
    "consent": Table(
        "the person's answers per purpose (person_id); erasure deletes them, the erasure's "
        "audit entry keeps how many there were; a staff user's address in the source of "
        'answers they recorded for others ("staff: <address>") becomes "erased user"',
        links=(by("person_id", "person"), mentioned_in("source", ("id", "created_at", "source"))),
        on_erase=OnErase.DELETE,
        audit_entity="consent",
        columns={
            "id": ID,
            "person_id": ID,
            "purpose": BLANK,
            "granted": BLANK,
            "basis": BLANK,
            "granted_at": BLANK,
            "withdrawn_at": BLANK,
            "source": REDACT,
            "wording_version": BLANK,
            "wording": BLANK,
            "created_at": TIME,
            "updated_at": TIME,
        },
    ),
    "person_interest": Table(
        "policy priorities the person follows (person_id)",
        links=(by("person_id", "person"),),
        on_erase=OnErase.DELETE,
        columns={"id": ID, "person_id": ID, "priority_id": BLANK},
    ),
    "audience_entry": Table(
        "the person's place on static lists (person_id)",
        links=(by("person_id", "person"),),
        on_erase=OnErase.DELETE,
        columns={"id": ID, "audience_id": BLANK, "person_id": ID, "added_at": BLANK},
    ),
    "suppression": Table(
        "the person's address is never mailed again: by email_key or its hash; erasure keeps "
        "only the hash (reason 'erased'); a staff user's address in the source of entries they "
        'made ("staff: <address>") becomes "erased user"',
        links=(
            by("email_key", "email_key"),
            by("email_hash", "email_hash"),
            mentioned_in("source", ("id", "created_at", "source")),
        ),
        audit_entity="suppression",
        columns={
            "id": ID,
            "email_hash": keep("a one-way hash kept so the erased address is never mailed again"),
            "email_key": BLANK,
            "reason": keep(),
            "source": REDACT,
            "mailing_id": keep(),
            "created_at": TIME,
        },
    ),
    # --- declarations ---------------------------------------------------------------------------
    "signature": Table(
        "signatures matched to the person (person_id) or given with their address (email_key); "
        "erased ones still count",
        links=(by("person_id", "person"), by("email_key", "email_key")),
        audit_entity="signature",
        columns={
            "id": ID,
            "declaration_id": keep(),
            "version_id": keep(),
            "created_at": TIME,
            "email": BLANK,
            "email_key": HASH,
            "first_name": BLANK,
            "last_name": BLANK,
            "signing_as": keep(),
            "organisation_name": BLANK,
            "country": keep("a country alone identifies nobody; kept for counts by country"),
            "job_title": BLANK,
            "city": BLANK,
            "comment": BLANK,
            "language": keep(),
            "list_publicly": BLANK,  # off: an erased signature is counted, never listed
            "consent_updates": BLANK,
            "consent_wording": keep("the question as shown, the same for every signer"),
            "status": keep(),
            "confirmed_at": keep(),
            "confirmation_sent_at": keep(),
            "confirmations_sent": keep(),
            "moderation": keep(),
            "moderated_by_id": STAFF_REF,
            "moderated_at": keep(),
            "moderation_reason": BLANK,
            "person_id": ID,
            "organisation_id": keep(),
            "match_status": keep(),
            "suggested_organisation_id": keep(),
        },
    ),
    # --- mail -----------------------------------------------------------------------------------
    "delivery": Table(
        "mail sent to the person (person_id, or their address as recipient_key or to_email); "
        "rows stay for the mailing statistics",
        links=(
            by("person_id", "person"),
            by("recipient_key", "email_key"),
            # Transactional mail carries only the address, as it was typed.
            by("to_email", "email_key", fold=True),
        ),
        columns={
            "id": ID,
            "created_at": TIME,
            "kind": keep(),
            "priority": hidden("outbox ordering"),
            "to_email": BLANK,
            "recipient_key": HASH,
            "subject": keep("the mailing's subject or a fixed transactional subject"),
            "text_body": Col(Erase.BLANK, export=False),
            "html_body": Col(Erase.BLANK, export=False),
            "headers": Col(Erase.BLANK, export=False),
            "mailing_id": keep(),
            "person_id": ID,
            "merge": Col(Erase.BLANK, export=False),
            "message_id": hidden("a hash of the message's identity"),
            "status": keep(),
            "attempts": keep(),
            "next_attempt_at": hidden("outbox scheduling"),
            "claimed_at": hidden("outbox bookkeeping"),
            "claimed_by": hidden("the worker that sent it"),
            "sent_at": keep(),
            "last_error": BLANK,  # SMTP replies quote the address
            "bounce": keep(),
        },
    ),
    "bounce_event": Table(
        "bounce reports for the person's address (email_key)",
        links=(by("email_key", "email_key"),),
        columns={
            "id": ID,
            "received_at": TIME,
            "email_key": HASH,
            "kind": keep(),
            "status_code": keep(),
            "diagnostic": BLANK,  # the remote server's text quotes the address
            "delivery_id": keep(),
            "mailing_id": keep(),
            "report_id": hidden("the report's own Message-ID"),
        },
    ),
    # --- policy ---------------------------------------------------------------------------------
    "action_participant": Table(
        "the person's (person_id) or their account's (user_id) part in logged actions; the row "
        "then points at the anonymised person and the action keeps its participant count",
        links=(by("person_id", "person"), by("user_id", "user")),
        on_erase=OnErase.KEEP,
        columns={
            "id": ID,
            "action_id": keep(),
            "person_id": ID,
            "organisation_id": keep(),
            "user_id": ID,
        },
    ),
    # --- the audit log --------------------------------------------------------------------------
    "audit_event": Table(
        "events about the person's records (entity), events the person's account did (actor_id; "
        "exported without the snapshots), and events whose text quotes one of their addresses "
        "whole (erasure replaces just the address there)",
        links=(
            Link(("entity_type", "entity_id"), "entity", ("summary", "before", "after")),
            # What their account did to other records: the event, not the others' snapshots.
            by(
                "actor_id",
                "user",
                ("actor",),
                export_only=("id", "created_at", "action", "entity_type", "entity_id"),
            ),
            Link(
                ("summary", "before", "after"),
                "mention",
                ("summary", "before", "after"),
                erase_as=Erase.REDACT,
            ),
        ),
        columns={
            "id": ID,
            "created_at": TIME,
            "actor_id": ID,
            "actor": ERASED,  # only where the person's own account acted (see the link)
            "action": keep(),
            "entity_type": keep(),
            "entity_id": ID,
            "organisation_id": keep(),
            "summary": ERASED,
            "before": Col(Erase.SCRUB),
            "after": Col(Erase.SCRUB),
        },
    ),
    # --- derived --------------------------------------------------------------------------------
    "search_token": Table(
        "words of the organisation's name, city and its people's email addresses; erasure "
        "rebuilds the person's former organisation's tokens",
        rebuilt=True,
        columns={"organisation_id": keep(), "token": keep("rebuilt from the remaining people")},
    ),
    # --- no personal data -----------------------------------------------------------------------
    "organisation": not_personal(
        "organisations, not people: a self-releasing artist's company is erased by deleting "
        "the organisation",
        "id acronym kind country website vat_number sme_size association_id membership_status "
        "created_at updated_at",
        name=keep("the organisation's name"),
        name_key=keep("the organisation's name, normalised"),
        sort_name=keep("the organisation's name, for sorting"),
        city=keep(ORG_FACT),
        address=keep(ORG_FACT),
        postcode=keep(ORG_FACT),
        email=keep(ORG_FACT),
        phone=keep(ORG_FACT),
        notes=keep(FREE_TEXT),
    ),
    "membership": not_personal(
        "an organisation's membership periods",
        "id organisation_id route via_association_id start_date end_date resigned_on status "
        "created_at updated_at",
        notes=keep(FREE_TEXT),
    ),
    "award_level": not_personal(
        "Sales Award levels",
        "id threshold position scheme valid_from valid_to",
        name=keep("a level's name"),
    ),
    "award_registration": not_personal(
        "releases a label registered: the registration is the organisation's",
        "id organisation_id title format release_date catalogue_number isrc upc registered_on "
        "total_units level_id status figures_confirmed decided_at created_at updated_at",
        submitted_by_id=STAFF_REF,
        artist=keep("the performing artist's public name on the release"),
        decided_by_id=STAFF_REF,
        decision_note=keep(FREE_TEXT),
    ),
    "award_units": not_personal(
        "units per country of a registration",
        "id registration_id country units",
    ),
    "award_evidence": not_personal(
        "distributor statements of a registration (the organisation's)",
        "id registration_id content_type size created_at",
        stored_name=keep("a random file name"),
        original_name=keep(FILE_NAME),
        uploaded_by_id=STAFF_REF,
    ),
    "award_revision": not_personal(
        "the history of a registration's figures",
        "id registration_id number created_at registered_on total_units units level_id status",
        created_by_id=STAFF_REF,
    ),
    "priority": not_personal(
        "policy priorities",
        "id slug title summary status position created_at updated_at",
        owner_id=STAFF_REF,
    ),
    "priority_document": not_personal(
        "documents of a priority",
        "id priority_id title url content_type size created_at",
        stored_name=keep("a random file name"),
        original_name=keep(FILE_NAME),
        uploaded_by_id=STAFF_REF,
    ),
    "dossier": not_personal(
        "EU dossiers",
        "id priority_id title reference stage summary asks outcome created_at updated_at",
    ),
    "dossier_date": not_personal(
        "key dates of a dossier",
        "id dossier_id label kind due_on done",
    ),
    "campaign": not_personal(
        "campaigns",
        "id priority_id slug title kind status starts_on ends_on deadline goals results "
        "letter_text created_at updated_at",
        owner_id=STAFF_REF,
    ),
    "joint_letter_signatory": not_personal(
        "organisations invited to co-sign a joint letter: organisations, not people",
        "id campaign_id organisation_id status responded_at created_at updated_at",
        note=keep(FREE_TEXT),
    ),
    "action": not_personal(
        "logged policy work; the people who took part are in action_participant",
        "id kind occurred_on title priority_id campaign_id dossier_id shared_with_members "
        "followup_due_on followup_done_at created_at updated_at",
        summary=keep(FREE_TEXT),
        outcome=keep(FREE_TEXT),
        logged_by_id=STAFF_REF,
        followup_note=keep(FREE_TEXT),
        followup_assignee_id=STAFF_REF,
    ),
    "milestone": not_personal(
        "the association's public achievements",
        "id happened_on title body priority_id published created_at updated_at",
    ),
    "declaration": not_personal(
        "declarations",
        "id slug campaign_id open_on close_on target signer_kinds asked_fields list_publicly "
        "moderate_individuals ask_consent default_language created_at updated_at",
    ),
    "declaration_version": not_personal(
        "versions of a declaration's text",
        "id declaration_id number created_at",
        created_by_id=STAFF_REF,
    ),
    "declaration_text": not_personal(
        "a declaration's text per language",
        "id version_id language title body consent_label",
    ),
    "audience": not_personal(
        "saved segments and static lists; the people on a list are in audience_entry",
        "id description kind filters scope_association_id created_at updated_at",
        name=keep("the list's name"),
        created_by_id=STAFF_REF,
    ),
    "mailing": not_personal(
        "press releases and newsletters; recipients are in delivery",
        "id kind purpose subject body audience_id campaign_id status status_reason scheduled_at "
        "embargo_until slug published_at test_sent_at queued_at finished_at recipient_count "
        "created_at updated_at",
        from_name=keep("the association's sender name"),
        from_email=keep("the association's sender address"),
        reply_to=keep("the association's reply address"),
        created_by_id=STAFF_REF,
        updated_by_id=STAFF_REF,
    ),
    "mailing_attachment": not_personal(
        "PDFs of a press release",
        "id mailing_id title size created_at",
        stored_name=keep("a random file name"),
        original_name=keep(FILE_NAME),
    ),
}


def linked_tables() -> dict[str, Table]:
    """The tables whose rows erasure and export look for, by name."""
    return {name: spec for name, spec in MAP.items() if spec.links}


def entity_tables() -> dict[str, str]:
    """audit entity_type -> table, for the tables whose audit events follow their rows."""
    return {spec.audit_entity: name for name, spec in MAP.items() if spec.audit_entity}
