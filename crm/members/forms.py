"""Forms for organisations, people and memberships."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from crm.formutil import choices
from crm.members.vocab import (
    COUNTRY_CHOICES,
    KIND_LABELS,
    LANGUAGE_CHOICES,
    SME_LABELS,
    MembershipRoute,
)

# For short codes and references where a leading = + - @ is never legitimate. Names keep them
# ("+1 Records"): exports escape such cells instead.
NO_FORMULA = Regexp(r"^(?![=+\-@\t\r])", message="Must not start with = + - or @.")
PHONE = Regexp(r"^\+?[0-9 ()./-]{4,40}$", message="Digits, spaces and + ( ) . / - only.")


def _coerce_optional_int(value):
    if value in (None, "", "0", 0):
        return None
    return int(value)


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    acronym = StringField("Acronym", validators=[Optional(), Length(max=30)])
    kind = SelectField("Kind", choices=choices((k.value, v) for k, v in KIND_LABELS.items()))
    country = SelectField("Country", choices=choices(COUNTRY_CHOICES))
    city = StringField("City", validators=[Optional(), Length(max=120)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=500)])
    postcode = StringField("Postcode", validators=[Optional(), Length(max=20)])
    email = EmailField("General email", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40), PHONE])
    website = StringField(
        "Website",
        validators=[
            Optional(),
            Length(max=300),
            Regexp(r"^https?://\S+$", message="Start with http:// or https://."),
        ],
    )
    vat_number = StringField("VAT number", validators=[Optional(), Length(max=40)])
    sme_size = SelectField(
        "SME size",
        choices=choices([("", "—")] + [(k.value, v) for k, v in SME_LABELS.items()]),
        validators=[Optional()],
    )
    association_id = SelectField(
        "National association", coerce=_coerce_optional_int, validators=[Optional()]
    )
    move_membership = BooleanField(
        "Move its current membership to the new association "
        "(the old one is closed and kept in history)"
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Save")


class PersonForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)])
    email = EmailField("Email", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40), PHONE])
    job_title = StringField("Job title", validators=[Optional(), Length(max=120)])
    language = SelectField(
        "Preferred language",
        validators=[Optional()],
        choices=choices([("", "—"), *LANGUAGE_CHOICES]),
    )
    is_primary_contact = BooleanField("Primary contact")
    submit = SubmitField("Save")


class MembershipForm(FlaskForm):
    route = SelectField(
        "Route",
        choices=choices(
            [
                (MembershipRoute.DIRECT.value, "Direct member"),
                (MembershipRoute.ASSOCIATION.value, "Through a national association"),
            ]
        ),
    )
    # No Optional(): it would stop the chain before validate_via_association_id runs.
    via_association_id = SelectField("Through association", coerce=_coerce_optional_int)
    # InputRequired, not DataRequired: an unparseable date must say so, not "required".
    start_date = DateField("Start date", validators=[InputRequired()])
    end_date = DateField("Paid until (end date)", validators=[Optional()])
    resigned_on = DateField("Resigned on", validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save")

    def validate_via_association_id(self, field):
        if self.route.data == MembershipRoute.ASSOCIATION and not field.data:
            raise ValidationError("Choose the association the membership comes through.")


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file", validators=[FileRequired(), FileAllowed(["csv", "txt"], "A .csv file, please.")]
    )
    submit = SubmitField("Check the file")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm")
