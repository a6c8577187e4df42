"""Forms of the policy domain. Select choices are built with crm.formutil.choices()."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from crm.formutil import choices
from crm.members.forms import PHONE
from crm.members.vocab import COUNTRY_CHOICES
from crm.policy import vocab
from crm.web import MAX_INT

SLUG = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message="Lower-case letters, digits and single hyphens only."
)
HTTP_URL = Regexp(r"^https?://[^\s<>\"]+$", message="Start with http:// or https://.")


def coerce_optional_int(value):
    """Select values where 0 or blank means "none"; garbage raises ValueError (a field error)."""
    if value in (None, "", "0", 0):
        return None
    return int(value)


def _vocab(mapping, blank: str | None = None):
    pairs = list(mapping.items())
    return choices(([("", blank)] if blank is not None else []) + pairs)


class PriorityForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Slug (web address part; left empty, it is made from the title)",
        validators=[Optional(), Length(max=80), SLUG],
    )
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=10000)])
    owner_id = SelectField("Owner", coerce=coerce_optional_int, validators=[Optional()])
    status = SelectField("Status", choices=_vocab(vocab.PRIORITY_STATUSES))
    position = IntegerField(
        "Position in the list (smaller first)",
        validators=[Optional(), NumberRange(min=0, max=10000)],
    )
    submit = SubmitField("Save")


class DocumentForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    url = URLField("Link (http:// or https://)", validators=[Optional(), Length(max=500), HTTP_URL])
    file = FileField("Or upload a file (PDF, DOCX, ODT, XLSX, CSV, TXT, PNG, JPEG)")
    submit = SubmitField("Add the document")

    def validate(self, extra_validators=None):
        # Not an inline validator: Optional() on an empty url would stop it from running.
        if not super().validate(extra_validators):
            return False
        has_file = bool(self.file.data and getattr(self.file.data, "filename", ""))
        if self.url.data and has_file:
            self.url.errors.append("Give a link or a file, not both.")
            return False
        if not self.url.data and not has_file:
            self.url.errors.append("Give a link, or choose a file to upload.")
            return False
        return True


class DossierForm(FlaskForm):
    priority_id = SelectField("Priority", coerce=int)
    title = StringField("Title", validators=[DataRequired(), Length(max=250)])
    reference = StringField(
        "Reference (e.g. 2016/0280(COD))", validators=[Optional(), Length(max=80)]
    )
    stage = SelectField("Stage", choices=_vocab(vocab.DOSSIER_STAGES))
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=10000)])
    asks = TextAreaField("Our asks", validators=[Optional(), Length(max=10000)])
    outcome = TextAreaField("Outcome", validators=[Optional(), Length(max=10000)])
    submit = SubmitField("Save")


class DossierDateForm(FlaskForm):
    label = StringField("What happens", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=_vocab(vocab.DOSSIER_DATE_KINDS))
    # InputRequired, not DataRequired: an unparseable date must say so, not "required".
    due_on = DateField("Date", validators=[InputRequired()])
    done = BooleanField("Done")
    submit = SubmitField("Add the date")


class StakeholderForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)])
    email = EmailField("Email", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40), PHONE])
    organisation_id = SelectField(
        "Organisation (an institution or outlet in the directory)",
        coerce=coerce_optional_int,
        validators=[Optional()],
    )
    kind = SelectField("Kind", choices=_vocab(vocab.STAKEHOLDER_KINDS))
    institution = StringField("Institution or outlet", validators=[Optional(), Length(max=200)])
    committees = SelectMultipleField(
        "Parliament committees",
        choices=choices((code, f"{code} – {label}") for code, label in vocab.EP_COMMITTEES.items()),
        validators=[Optional()],
    )
    political_group = SelectField(
        "Political group", choices=_vocab(vocab.EP_GROUPS, "—"), validators=[Optional()]
    )
    country = SelectField(
        "Country", choices=choices([("", "—"), *COUNTRY_CHOICES]), validators=[Optional()]
    )
    directorate = StringField(
        "Directorate, unit or cabinet", validators=[Optional(), Length(max=120)]
    )
    role = StringField("Role", validators=[Optional(), Length(max=200)])
    beat = StringField("Beat (what a journalist covers)", validators=[Optional(), Length(max=200)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Save")


class CampaignForm(FlaskForm):
    priority_id = SelectField("Priority", coerce=int)
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Slug (left empty, it is made from the title)",
        validators=[Optional(), Length(max=80), SLUG],
    )
    kind = SelectField("Kind", choices=_vocab(vocab.CAMPAIGN_KINDS))
    status = SelectField("Status", choices=_vocab(vocab.CAMPAIGN_STATUSES))
    owner_id = SelectField("Owner", coerce=coerce_optional_int, validators=[Optional()])
    starts_on = DateField("Starts on", validators=[Optional()])
    ends_on = DateField("Ends on", validators=[Optional()])
    deadline = DateField("Joint letters: co-signers answer by", validators=[Optional()])
    goals = TextAreaField("Goals", validators=[Optional(), Length(max=10000)])
    results = TextAreaField("Results", validators=[Optional(), Length(max=10000)])
    letter_text = TextAreaField(
        "Joint letters: the text of the letter", validators=[Optional(), Length(max=50000)]
    )
    submit = SubmitField("Save")

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end is before the start.")


class MilestoneForm(FlaskForm):
    happened_on = DateField("Date", validators=[InputRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=250)])
    body = TextAreaField(
        "Text (plain text; line breaks are kept)", validators=[Optional(), Length(max=10000)]
    )
    priority_id = SelectField("Priority", coerce=coerce_optional_int, validators=[Optional()])
    published = BooleanField("Published on the public milestones page", default=True)
    submit = SubmitField("Save")


class InviteForm(FlaskForm):
    organisation_id = IntegerField(
        "Organisation", validators=[InputRequired(), NumberRange(min=1, max=MAX_INT)]
    )
    submit = SubmitField("Invite")


class AnswerForm(FlaskForm):
    """Staff record an organisation's answer, whenever it arrives."""

    status = SelectField("Answer", choices=_vocab(vocab.JOINT_LETTER_STATUSES))
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save the answer")


class MemberAnswerForm(FlaskForm):
    """A member's own answer to an invitation to co-sign."""

    status = RadioField(
        "Your answer",
        choices=choices(
            [("agreed", "We co-sign this letter"), ("declined", "We do not co-sign this letter")]
        ),
        validators=[InputRequired(message="Choose an answer.")],
    )
    note = StringField(
        "Note for the secretariat (optional)", validators=[Optional(), Length(max=500)]
    )
    submit = SubmitField("Send our answer")
