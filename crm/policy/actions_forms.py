"""Forms of the action log, the follow-ups and the reports."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from crm.formutil import choices
from crm.policy.forms import coerce_optional_int
from crm.policy.vocab import ACTION_KINDS

PARTICIPANT_KINDS = ("person", "organisation", "user")


def parse_participant(token: str) -> tuple[str, int] | None:
    """ "person:12" -> ("person", 12); anything else -> None."""
    kind, _, number = (token or "").partition(":")
    if kind not in PARTICIPANT_KINDS or not number.isascii() or not number.isdigit():
        return None
    value = int(number)
    if not 0 < value < 2**31:
        return None
    return kind, value


class ParticipantsField(Field):
    """The participants chosen so far, sent as repeated "kind:id" values (checkboxes the page
    renders, and those the participant search adds with JavaScript)."""

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        self.data = [value for value in valuelist if value]

    def process_data(self, value):
        self.data = list(value or [])

    def pre_validate(self, form):
        bad = [value for value in self.data if parse_participant(value) is None]
        if bad:
            self.data = [value for value in self.data if value not in bad]
            raise ValidationError("Some participants were not understood; choose them again.")


class ActionForm(FlaskForm):
    kind = SelectField("Kind", choices=choices(ACTION_KINDS.items()))
    # InputRequired, not DataRequired: an unparseable date must say so, not "required".
    occurred_on = DateField("Date", validators=[InputRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=250)])
    participant = ParticipantsField("Participants")
    participant_emails = TextAreaField(
        "Participants by email",
        description="One email a line: stakeholders, member contacts or staff users we know.",
        validators=[Optional(), Length(max=5000)],
    )
    priority_id = SelectField("Priority", coerce=coerce_optional_int, validators=[Optional()])
    campaign_id = SelectField("Campaign", coerce=coerce_optional_int, validators=[Optional()])
    dossier_id = SelectField("Dossier", coerce=coerce_optional_int, validators=[Optional()])
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=10000)])
    outcome = TextAreaField("Outcome", validators=[Optional(), Length(max=10000)])
    shared_with_members = BooleanField(
        "Share with the member companies and associations that took part"
    )
    followup_note = StringField("Follow-up", validators=[Optional(), Length(max=500)])
    followup_due_on = DateField("Follow-up due on", validators=[Optional()])
    followup_assignee_id = SelectField(
        "Follow-up assigned to", coerce=coerce_optional_int, validators=[Optional()]
    )
    submit = SubmitField("Save")

    def validate_followup_due_on(self, field):
        if field.data is None and (self.followup_note.data or "").strip():
            raise ValidationError("Give the follow-up a due date.")
        if field.data is None and self.followup_assignee_id.data:
            raise ValidationError("Give the follow-up a due date.")


class PeriodForm(FlaskForm):
    """A reporting period, read from the query string (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    date_from = DateField("From", validators=[InputRequired()])
    date_to = DateField("To", validators=[InputRequired()])

    def validate_date_to(self, field):
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError("The end of the period is before its start.")
