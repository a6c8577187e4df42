"""Forms of the declarations: the officers' settings and texts, the public signing form."""

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from crm.declarations.models import OPTIONAL_FIELDS
from crm.declarations.public_text import words
from crm.email_check import email_problem
from crm.formutil import choices
from crm.members.vocab import COUNTRY_CHOICES
from crm.policy.forms import SLUG, coerce_optional_int

SIGNER_KIND_LABELS = {
    "both": "Organisations and individuals",
    "organisation": "Organisations only",
    "individual": "Individuals only",
}
FIELD_LABELS = {
    "organisation": "Organisation",
    "country": "Country",
    "job_title": "Job title",
    "city": "City",
    "comment": "Comment",
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeclarationForm(FlaskForm):
    slug = StringField(
        "Slug (web address part; left empty, it is made from the title)",
        validators=[Optional(), Length(max=80), SLUG],
    )
    campaign_id = SelectField("Campaign", coerce=coerce_optional_int, validators=[Optional()])
    open_on = DateField("Opens on", validators=[InputRequired()])
    close_on = DateField("Closes on (empty: open until closed)", validators=[Optional()])
    target = IntegerField(
        "Target (signatures)", validators=[Optional(), NumberRange(min=1, max=100_000_000)]
    )
    signer_kinds = SelectField(
        "Who may sign", choices=choices(SIGNER_KIND_LABELS.items()), default="both"
    )
    asked_fields = CheckboxesField(
        "Optional fields asked of signers",
        choices=choices((f, FIELD_LABELS[f]) for f in OPTIONAL_FIELDS),
        validators=[Optional()],
    )
    list_publicly = BooleanField("List signatories publicly (those who agree)", default=True)
    moderate_individuals = BooleanField(
        "Moderate individual signatures too (organisation signatures always are)"
    )
    ask_consent = BooleanField("Ask for consent to receive updates (label per language below)")
    default_language = SelectField(
        "Default language", choices=choices([("en", "English"), ("fr", "French"), ("de", "German")])
    )
    submit = SubmitField("Save")


class NewDeclarationForm(DeclarationForm):
    title = StringField("Title (default language)", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Text (Markdown)", validators=[Optional(), Length(max=50_000)])
    consent_label = StringField("Consent question", validators=[Optional(), Length(max=500)])


class TextForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    body = TextAreaField("Text (Markdown)", validators=[Optional(), Length(max=50_000)])
    consent_label = StringField(
        "Consent question (shown when consent is asked)", validators=[Optional(), Length(max=500)]
    )
    submit = SubmitField("Save this language")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# C0 and C1 control characters (line breaks, tabs, escapes) and the Unicode line separators.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(form, field):
    """A name, organisation or place is one line of plain text. Anyone can sign with anyone's
    address, so a line break in a name would let a stranger lay out text of their own in mail
    and lists that show it."""
    if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(words((form.meta.locales or ["en"])[0])["one_line"])


class SignForm(FlaskForm):
    """The public form. Labels are set per language by the view; WTForms' own messages come in
    the form's locale (meta={"locales": [...]})."""

    class Meta:
        def get_translations(self, form):
            # Flask-WTF would look for Flask-Babel; WTForms ships fr/de messages itself.
            return DefaultMeta.get_translations(self, form)

    first_name = StringField(
        filters=[_strip], validators=[DataRequired(), Length(max=100), one_line]
    )
    last_name = StringField(
        filters=[_strip], validators=[DataRequired(), Length(max=100), one_line]
    )
    email = EmailField(filters=[_strip], validators=[DataRequired(), Length(max=254), Email()])
    signing_as = RadioField(
        choices=choices([("individual", "individual"), ("organisation", "organisation")]),
        default="individual",
    )
    organisation = StringField(filters=[_strip], validators=[Optional(), Length(max=200), one_line])
    country = SelectField(
        choices=choices([("", "—"), *COUNTRY_CHOICES]), default="", validators=[Optional()]
    )
    job_title = StringField(filters=[_strip], validators=[Optional(), Length(max=120), one_line])
    city = StringField(filters=[_strip], validators=[Optional(), Length(max=120), one_line])
    comment = TextAreaField(filters=[_strip], validators=[Optional(), Length(max=1000)])
    list_publicly = BooleanField()
    consent_updates = BooleanField()
    # Spam traps: a field people never see, and when the form was shown (signed).
    website = StringField(validators=[Optional(), Length(max=200)])
    stamp = HiddenField(validators=[Optional(), Length(max=200)])
    submit = SubmitField()


class ConfirmForm(FlaskForm):
    """The one button on the confirmation page: confirming is a POST, never a GET."""

    submit = SubmitField()


# --- the signing POST's quick check ------------------------------------------------------------
# Building and validating a SignForm is a tenth of a signing request's CPU. A well-formed
# submission is checked here against the very rules of SignForm; anything this check does not
# clearly accept (an error, an odd value) goes to SignForm, which shows the errors. It may send
# a valid form on to SignForm, never accept one SignForm would refuse. (SignForm's Email() asks
# email_validator with its defaults, no DNS: the question email_problem answers.)
SIGN_FIELDS = frozenset(
    name for name, value in vars(SignForm).items() if isinstance(value, UnboundField)
)
_REQUIRED_LENGTHS = {"first_name": 100, "last_name": 100, "email": 254}
_OPTIONAL_LENGTHS = {"organisation": 200, "job_title": 120, "city": 120, "comment": 1000}
_ONE_LINE = frozenset(
    name
    for name, value in vars(SignForm).items()
    if isinstance(value, UnboundField) and one_line in value.kwargs.get("validators", ())
)
_COUNTRIES = frozenset(code for code, _name in COUNTRY_CHOICES)


def quick_sign_data(formdata, fields: frozenset) -> dict | None:
    """SignForm's data for a submission that clearly passes SignForm with only `fields` (the
    names the declaration's form keeps), or None: then build the SignForm."""
    data = {}
    for name, most in _REQUIRED_LENGTHS.items():
        value = formdata.get(name)
        value = value.strip() if value is not None else ""
        if (
            not value
            or len(value) > most
            or (name in _ONE_LINE and CONTROL_CHARACTERS.search(value))
        ):
            return None
        data[name] = value
    if email_problem(data["email"]) is not None:
        return None
    if "signing_as" in fields:
        data["signing_as"] = formdata.get("signing_as", "individual")
        if data["signing_as"] not in ("individual", "organisation"):
            return None
    for name, most in _OPTIONAL_LENGTHS.items():
        if name in fields:
            value = formdata.get(name)
            value = value.strip() if value is not None else None
            if value is not None and (
                len(value) > most or (name in _ONE_LINE and CONTROL_CHARACTERS.search(value))
            ):
                return None
            data[name] = value
    if "country" in fields:
        data["country"] = formdata.get("country", "")
        if data["country"] and data["country"] not in _COUNTRIES:
            return None
    for name in ("list_publicly", "consent_updates"):
        if name in fields:
            data[name] = formdata.get(name, "") not in ("", "false")
    if formdata.get("website") or len(formdata.get("stamp", "")) > 200:
        return None
    return data
