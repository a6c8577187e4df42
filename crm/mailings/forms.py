"""Forms of the mailings: the draft, its attachments, preview, test send and scheduling.

Times are typed in a time zone the form names (the association's by default) and stored in UTC.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    Email,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from crm.awards.text import one_line
from crm.formutil import choices
from crm.mailings.models import MailingKind, MailingStatus
from crm.policy.forms import coerce_optional_int

KIND_LABELS = {
    MailingKind.PRESS_RELEASE: "Press release",
    MailingKind.NEWSLETTER: "Newsletter",
    MailingKind.MEMBER_UPDATE: "Member update",
    MailingKind.CAMPAIGN_UPDATE: "Campaign update",
}
STATUS_LABELS = {
    MailingStatus.DRAFT: "Draft",
    MailingStatus.SCHEDULED: "Scheduled",
    MailingStatus.SENDING: "Sending",
    MailingStatus.PAUSED: "Paused",
    MailingStatus.CANCELLED: "Cancelled",
    MailingStatus.SENT: "Sent",
}
# Where the association's staff and readers are; UTC for those who think in it.
TIMEZONES = (
    "Europe/Brussels",
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Stockholm",
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Budapest",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Bucharest",
    "Europe/Sofia",
)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
MAX_TEST_ADDRESSES = 10


def default_timezone() -> str:
    zone = current_app.config.get("MAILING_TIMEZONE", TIMEZONES[0])
    return zone if zone in TIMEZONES else TIMEZONES[0]


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed in `zone`, as an aware UTC datetime."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def to_local(value: datetime | None, zone: str) -> datetime | None:
    """A stored UTC time as the wall-clock time of `zone` (naive, for the input field)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_line(value):
    return one_line(value) if isinstance(value, str) else value


def _zone_field(label: str = "Time zone") -> SelectField:
    return SelectField(
        label,
        choices=choices((z, z.replace("_", " ")) for z in TIMEZONES),
        default=default_timezone,
    )


class MailingForm(FlaskForm):
    kind = SelectField("Kind", choices=choices(KIND_LABELS.items()))
    purpose = SelectField(
        "Consent purpose (who may receive it)", validators=[Optional()], validate_choice=False
    )
    subject = StringField("Subject", filters=[_one_line], validators=[Length(max=200)])
    from_name = StringField("From name", filters=[_one_line], validators=[Length(max=100)])
    from_email = StringField(
        "From address", filters=[_strip], validators=[Optional(), Length(max=254), Email()]
    )
    reply_to = StringField(
        "Reply-to address (optional)",
        filters=[_strip],
        validators=[Optional(), Length(max=254), Email()],
    )
    audience_id = SelectField("Audience", coerce=coerce_optional_int, validators=[Optional()])
    campaign_id = SelectField(
        "Campaign (optional)", coerce=coerce_optional_int, validators=[Optional()]
    )
    body = TextAreaField("Body (Markdown with merge fields)", validators=[Length(max=100_000)])
    embargo_at = DateTimeLocalField(
        "Embargo until (press releases only; empty: no embargo)",
        format=LOCAL_FORMAT,
        validators=[Optional()],
    )
    timezone = _zone_field("Time zone of the embargo")
    submit = SubmitField("Save draft")


class AttachmentForm(FlaskForm):
    file = FileField("PDF file", validators=[FileRequired("Choose a PDF file.")])
    title = StringField(
        "Title shown on the press page (empty: the file name)",
        filters=[_one_line],
        validators=[Optional(), Length(max=200)],
    )
    submit = SubmitField("Upload")


class RecipientForm(FlaskForm):
    """Whom a preview is rendered for (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    person_id = IntegerField(
        "Person id", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )


class SendTestForm(FlaskForm):
    addresses = TextAreaField(
        f"Send a test to (one address per line, at most {MAX_TEST_ADDRESSES})",
        validators=[Length(max=5000)],
    )
    person_id = IntegerField(
        "Render it as this person (id; empty: your own values)",
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
    )
    submit = SubmitField("Send test")

    def validate_addresses(self, field):
        from crm.mailings.services import parse_addresses

        addresses, errors = parse_addresses(field.data or "")
        if errors:
            raise ValidationError(" ".join(errors))
        self.parsed = addresses


class ScheduleForm(FlaskForm):
    when = RadioField(
        "When",
        choices=choices([("now", "Send now"), ("later", "Send at a time")]),
        default="now",
    )
    send_at = DateTimeLocalField("Send at", format=LOCAL_FORMAT)
    timezone = _zone_field()
    submit = SubmitField("Schedule")

    def validate_send_at(self, field):
        if self.when.data != "later":
            field.errors[:] = []  # whatever was typed, "send now" ignores it
            raise StopValidation()
        if field.data is None:
            field.errors[:] = []
            raise ValidationError("Give the date and time to send at.")

    def send_at_utc(self) -> datetime | None:
        """None for "send now"; else the chosen time in UTC."""
        if self.when.data != "later":
            return None
        return to_utc(self.send_at.data, self.timezone.data)


class ActionForm(FlaskForm):
    """A button that changes a mailing's state: the CSRF token and nothing else."""

    submit = SubmitField()


class ListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=choices([("", "Any status"), *STATUS_LABELS.items()]),
        validators=[Optional()],
    )
    kind = SelectField(
        "Kind", choices=choices([("", "Any kind"), *KIND_LABELS.items()]), validators=[Optional()]
    )
