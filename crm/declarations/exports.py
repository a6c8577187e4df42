"""Signatures as CSV for staff, filtered; unconfirmed ones only when asked for by name."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import DateField, Form, SelectField
from wtforms.validators import Optional, ValidationError

from crm.declarations.matching import MATCH_STATUSES
from crm.declarations.models import Signature
from crm.declarations.moderation import MODERATION_STATES
from crm.extensions import db
from crm.formutil import choices
from crm.members.vocab import COUNTRY_CHOICES, country_name

STATUS_FILTERS = {
    "confirmed": "Confirmed only",
    "unconfirmed": "Unconfirmed only (never counted)",
    "all": "All, including unconfirmed (never counted)",
}

HEADER = [
    "id",
    "signed at (UTC)",
    "confirmed at (UTC)",
    "status",
    "moderation",
    "moderation reason",
    "signing as",
    "first name",
    "last name",
    "email",
    "organisation (as typed)",
    "country",
    "job title",
    "city",
    "comment",
    "language",
    "text version",
    "list publicly",
    "consent to updates",
    "consent wording",
    "match",
    "matched organisation",
]


FIRST_YEAR, LAST_YEAR = 2000, 2100


def _plausible_year(form, field):
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(f"Give a date between {FIRST_YEAR} and {LAST_YEAR}.")


class ExportFilterForm(Form):
    """The export's filters, read from the query string (GET: no CSRF token)."""

    status = SelectField("Status", default="confirmed")
    moderation = SelectField("Moderation", default="")
    country = SelectField("Country", default="")
    signed_from = DateField("Signed from", validators=[Optional(), _plausible_year])
    signed_to = DateField("Signed until", validators=[Optional(), _plausible_year])

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata, **kwargs)
        self.status.choices = choices(STATUS_FILTERS.items())
        self.moderation.choices = choices([("", "Any"), *MODERATION_STATES.items()])
        self.country.choices = choices([("", "Any"), *COUNTRY_CHOICES])


@dataclass
class ExportFilter:
    status: str = "confirmed"
    moderation: str = ""
    country: str = ""
    signed_from: date | None = None
    signed_to: date | None = None

    @classmethod
    def from_form(cls, form: ExportFilterForm) -> "ExportFilter":
        return cls(
            status=form.status.data or "confirmed",
            moderation=form.moderation.data or "",
            country=form.country.data or "",
            signed_from=form.signed_from.data,
            signed_to=form.signed_to.data,
        )

    @property
    def filename_part(self) -> str:
        return {"all": "all-including-unconfirmed", "unconfirmed": "unconfirmed-only"}.get(
            self.status, "confirmed"
        )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def export_stmt(declaration_id: int, filters: ExportFilter):
    """The signatures that match the filters, oldest first."""
    stmt = (
        select(Signature)
        .where(Signature.declaration_id == declaration_id)
        .options(joinedload(Signature.organisation), joinedload(Signature.version))
        .order_by(Signature.created_at, Signature.id)
    )
    if filters.status in ("confirmed", "unconfirmed"):
        stmt = stmt.where(Signature.status == filters.status)
    if filters.moderation:
        stmt = stmt.where(Signature.moderation == filters.moderation)
    if filters.country:
        stmt = stmt.where(Signature.country == filters.country)
    if filters.signed_from:
        stmt = stmt.where(Signature.created_at >= _day_start(filters.signed_from))
    if filters.signed_to:
        stmt = stmt.where(Signature.created_at < _day_start(filters.signed_to + timedelta(days=1)))
    return stmt


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def export_rows(declaration_id: int, filters: ExportFilter):
    """One row per signature, streamed; csv_stream makes the cells formula-safe. The query is
    built here, before the response starts, so a bad filter fails as an error page."""
    stmt = export_stmt(declaration_id, filters).execution_options(yield_per=500)
    return _rows(stmt)


def _rows(stmt):
    for s in db.session.scalars(stmt):
        yield (
            s.id,
            _when(s.created_at),
            _when(s.confirmed_at),
            s.status,
            s.moderation,
            s.moderation_reason or "",
            s.signing_as,
            s.first_name,
            s.last_name,
            s.email,
            s.organisation_name or "",
            country_name(s.country),
            s.job_title or "",
            s.city or "",
            s.comment or "",
            s.language,
            s.version.number if s.version else "",
            "yes" if s.list_publicly else "no",
            "yes" if s.consent_updates else "no",
            s.consent_wording or "",
            MATCH_STATUSES.get(s.match_status, s.match_status),
            s.organisation.name if s.organisation else "",
        )
