"""Forms for award levels and registrations."""

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import NumberInput

from crm.awards.models import FORMATS
from crm.formutil import choices
from crm.members.vocab import COUNTRY_CHOICES
from crm.web import MAX_INT

MAX_UNITS = 100_000_000
# Every European country once, and no more rows than that however the form is tampered with.
MAX_ROWS = len(COUNTRY_CHOICES)
EMPTY_ROWS = 3
ISRC = r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"
NO_FORMULA = Regexp(r"^(?![=+\-@\t\r])", message="Must not start with = + - or @.")
# Control characters (tabs and line breaks included) cannot be printed on a certificate, sent
# in a mail subject or written to the Atom feed; nobody means to type them.
NO_CONTROL = Regexp(
    r"^[^\x00-\x1f\x7f]*$",
    message="Remove the control characters (such as tabs or line breaks) from this field.",
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _compact_code(value):
    """ISRCs and barcodes are often written with dashes or spaces: keep the characters only."""
    if not isinstance(value, str):
        return value
    return "".join(value.split()).replace("-", "").upper() or None


class UnitsField(IntegerField):
    """A whole number of units; thousands separators (spaces, commas, apostrophes) allowed."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0] or ""
        cleaned = "".join(raw.split()).replace(",", "").replace("'", "").replace("_", "")
        if not cleaned:
            self.data = None
            return
        if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 12:
            self.data = None
            raise ValueError("Enter a whole number of units, such as 12000.")
        self.data = int(cleaned)


class BoundedFieldList(FieldList):
    """A FieldList that reads only plain row numbers from the form: keys such as
    'units-²-country' or 'units-99999999999-units' are ignored, not a crash or a huge form."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix + self._separator):
                index = key[offset:].split(self._separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 3:
                    yield int(index)


class UnitsRowForm(Form):
    """Units shipped in one country (a row of the registration form)."""

    country = SelectField(
        "Country", choices=choices([("", "— country —"), *COUNTRY_CHOICES]), validators=[Optional()]
    )
    units = UnitsField(
        "Units",
        validators=[
            Optional(),
            NumberRange(1, MAX_UNITS, message=f"Between 1 and {MAX_UNITS:,} units per country."),
        ],
        widget=NumberInput(min=1, max=MAX_UNITS, step=1),
    )

    @property
    def is_blank(self) -> bool:
        return not self.country.data and self.units.data is None and not self.units.errors


class RegistrationForm(FlaskForm):
    artist = StringField("Artist", validators=[DataRequired(), Length(max=200), NO_CONTROL])
    title = StringField("Title", validators=[DataRequired(), Length(max=200), NO_CONTROL])
    format = SelectField("Format", choices=choices(FORMATS.items()))
    # InputRequired, not DataRequired: an unparseable date must say so, not "required".
    release_date = DateField("Release date", validators=[InputRequired()])
    catalogue_number = StringField(
        "Catalogue number",
        validators=[Optional(), Length(max=60), NO_FORMULA, NO_CONTROL],
        filters=[_strip],
    )
    isrc = StringField(
        "ISRC",
        description="12 characters, for example GBAYE0601498 (dashes are removed).",
        validators=[
            Optional(),
            Regexp(ISRC, message="An ISRC is 2 letters, 3 letters or digits, then 7 digits."),
        ],
        filters=[_compact_code],
    )
    upc = StringField(
        "UPC / EAN",
        description="The barcode: 12 or 13 digits.",
        validators=[
            Optional(),
            Regexp(r"^[0-9]{12,13}$", message="A UPC has 12 digits, an EAN 13."),
        ],
        filters=[_compact_code],
    )
    units = BoundedFieldList(FormField(UnitsRowForm), min_entries=EMPTY_ROWS, max_entries=MAX_ROWS)
    evidence = MultipleFileField("Evidence (distributor or collecting-society statements)")
    confirm = BooleanField(
        "I confirm that these figures are accurate and that the statements uploaded show them."
    )
    check = SubmitField("Check total and level")
    add_row = SubmitField("Add another country")
    save = SubmitField("Register")

    def validate_release_date(self, field):
        if field.data and not date(1900, 1, 1) <= field.data <= date.today():
            raise ValidationError("The release date must be in the past (and after 1900).")

    def validate_units(self, field):
        problem = False
        seen: set[str] = set()
        for entry in field.entries:
            row = entry.form
            if row.is_blank:
                continue
            if row.units.errors or row.country.errors:
                problem = True
                continue
            if not row.country.data:
                row.country.errors.append("Choose the country of these units.")
                problem = True
            elif row.units.data is None:
                row.units.errors.append("Enter the units shipped in this country.")
                problem = True
            elif row.country.data in seen:
                row.country.errors.append("This country is already listed above.")
                problem = True
            seen.add(row.country.data)
        if problem:
            raise ValidationError("Check the countries and units marked below.")
        if not self.units_by_country():
            raise ValidationError("Enter the units shipped in at least one country.")

    def units_by_country(self) -> dict[str, int]:
        """The complete rows as {country: units} (the first row wins for a repeated country)."""
        result: dict[str, int] = {}
        for entry in self.units.entries:
            row = entry.form
            if row.country.data and row.units.data is not None and not row.units.errors:
                result.setdefault(row.country.data, row.units.data)
        return result

    def add_empty_row(self) -> None:
        if len(self.units.entries) < MAX_ROWS:
            self.units.append_entry()


class LevelForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=60)])
    threshold = IntegerField(
        "Threshold (units)",
        validators=[
            InputRequired(),
            NumberRange(1, MAX_INT, message="A positive number of units."),
        ],
    )
    position = IntegerField(
        "Position (order in the scheme)",
        default=0,
        validators=[Optional(), NumberRange(0, 10_000)],
    )
    scheme = StringField(
        "Scheme",
        description="For example 2014 or 2007.",
        validators=[DataRequired(), Length(max=60)],
    )
    valid_from = DateField("Valid from", validators=[InputRequired()])
    valid_to = DateField("Valid to (empty: still in force)", validators=[Optional()])
    submit = SubmitField("Save")
