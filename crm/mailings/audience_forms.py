"""Forms for audiences, static lists, the suppression list and consent per person."""

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from crm.declarations.models import Declaration
from crm.declarations.signatories import title_for
from crm.extensions import db
from crm.formutil import choices
from crm.mailings.audience_models import Audience
from crm.mailings.audiences import ROLES, STATUSES
from crm.mailings.consent import BASIS_LABELS, PURPOSES, REASON_LABELS
from crm.mailings.consent_rules import basis_problem
from crm.members.models import Organisation
from crm.members.vocab import (
    COUNTRY_CHOICES,
    KIND_LABELS,
    LANGUAGE_CHOICES,
    SME_LABELS,
    OrgKind,
)
from crm.policy.models import Priority
from crm.policy.vocab import STAKEHOLDER_KINDS

PURPOSE_CHOICES = choices((key, label) for key, (label, _) in PURPOSES.items())
ID_FIELDS = (
    "association_ids",
    "priority_ids",
    "signed_declaration_ids",
    "not_signed_declaration_ids",
    "list_ids",
)


def _multi(label, coerce=str):
    return SelectMultipleField(label, coerce=coerce)


class CriteriaForm(Form):
    """One side (include or exclude) of a segment's filters."""

    countries = _multi("Countries")
    org_kinds = _multi("Kinds of organisation")
    sme_sizes = _multi("SME sizes")
    association_ids = _multi("National associations", int)
    membership_statuses = _multi("Membership statuses")
    roles = _multi("Roles")
    languages = _multi("Languages")
    priority_ids = _multi("Interested in priorities", int)
    signed_declaration_ids = _multi("Signed the declarations", int)
    not_signed_declaration_ids = _multi("Have not signed the declarations", int)
    stakeholder_kinds = _multi("Stakeholder kinds")
    beat_contains = StringField("Journalist's beat contains", validators=[Length(max=100)])
    list_ids = _multi("On the static lists", int)

    def criteria(self) -> dict:
        """The filled criteria as the filters JSON wants them."""
        out = {}
        for name, field in self._fields.items():
            value = field.data
            if isinstance(value, str):
                value = value.strip()
            if value:
                out[name] = value
        return out


class AudienceForm(FlaskForm):
    """A segment's or static list's name, filters, and the purpose its count is shown for."""

    name = StringField("Name", validators=[DataRequired(), Length(max=150)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    kind = RadioField(
        "Kind",
        choices=choices(
            [("segment", "Saved segment (filters)"), ("static", "Static list (chosen people)")]
        ),
        default="segment",
    )
    include = FormField(CriteriaForm, label="Include people who match all of these")
    exclude = FormField(CriteriaForm, label="Leave out people who match all of these")
    purpose = SelectField("Count and preview for the purpose", choices=PURPOSE_CHOICES)
    preview = SubmitField("Preview")
    save = SubmitField("Save")


def _criteria_choices() -> dict[str, list]:
    associations = db.session.execute(
        select(Organisation.id, Organisation.acronym, Organisation.name, Organisation.country)
        .where(Organisation.kind == OrgKind.ASSOCIATION)
        .order_by(Organisation.sort_name)
    )
    declarations = db.session.scalars(select(Declaration).order_by(Declaration.open_on.desc()))
    return {
        "countries": COUNTRY_CHOICES,
        "org_kinds": list(KIND_LABELS.items()),
        "sme_sizes": list(SME_LABELS.items()),
        "association_ids": [(r.id, f"{r.acronym or r.name} ({r.country})") for r in associations],
        "membership_statuses": [(s, "no membership" if s == "none" else s) for s in STATUSES],
        "roles": list(ROLES.items()),
        "languages": list(LANGUAGE_CHOICES),
        "priority_ids": list(
            tuple(row)
            for row in db.session.execute(
                select(Priority.id, Priority.title).order_by(Priority.title)
            )
        ),
        "signed_declaration_ids": [(d.id, title_for(d)) for d in declarations],
        "stakeholder_kinds": list(STAKEHOLDER_KINDS.items()),
        "list_ids": list(
            tuple(row)
            for row in db.session.execute(
                select(Audience.id, Audience.name)
                .where(Audience.kind == "static")
                .order_by(Audience.name)
            )
        ),
    }


def criteria_choices() -> dict[str, list]:
    """Choices of every multi-select, also used to name the values of saved filters."""
    found = _criteria_choices()
    found["not_signed_declaration_ids"] = found["signed_declaration_ids"]
    return found


def set_choices(form: AudienceForm, found: dict | None = None) -> dict:
    """Fill the include and exclude multi-selects from the database."""
    found = found or criteria_choices()
    for side in (form.include.form, form.exclude.form):
        for name, pairs in found.items():
            getattr(side, name).choices = choices(pairs)
    return found


class EntriesForm(FlaskForm):
    """Add people to a static list: ticked search results, or addresses one a line."""

    person_ids = SelectMultipleField("People", coerce=int, validate_choice=False)
    emails = TextAreaField(
        "Email addresses, one a line", validators=[Optional(), Length(max=200_000)]
    )
    submit = SubmitField("Add to the list")


class RemoveEntriesForm(FlaskForm):
    person_ids = SelectMultipleField("People", coerce=int, validate_choice=False)
    submit = SubmitField("Remove the ticked people")


class SuppressionForm(FlaskForm):
    """Add an address to the suppression list by hand."""

    email = StringField(
        "Email address",
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
    )
    reason = SelectField(
        "Reason",
        choices=choices((k, v) for k, v in REASON_LABELS.items() if k != "erased"),
        default="unsubscribed",
    )
    submit = SubmitField("Suppress")


class ConsentForm(FlaskForm):
    """Record a person's answer for one purpose; a yes to an opt-in purpose needs a provable
    basis (consent_rules.basis_problem), so set `journalist` for the person first."""

    journalist = False

    purpose = SelectField("Purpose", choices=PURPOSE_CHOICES)
    granted = RadioField(
        "Answer",
        choices=choices(
            [("yes", "Granted (may be mailed)"), ("no", "Withdrawn (must not be mailed)")]
        ),
        validators=[InputRequired(message="Choose granted or withdrawn.")],
    )
    basis = SelectField("Legal basis", choices=choices(BASIS_LABELS.items()), default="consent")
    wording_version = StringField(
        "Wording version", validators=[Optional(), Length(max=40)], description="e.g. 2026-01"
    )
    wording = TextAreaField(
        "Wording the person agreed to", validators=[Optional(), Length(max=500)]
    )
    submit = SubmitField("Record")

    def validate(self, extra_validators=None) -> bool:
        """The fields, then whether the answer may be recorded on this basis."""
        if not super().validate(extra_validators):
            return False
        problem = basis_problem(
            self.purpose.data,
            self.granted.data == "yes",
            self.basis.data,
            wording_version=self.wording_version.data,
            wording=self.wording.data,
            journalist=self.journalist,
        )
        if problem is None:
            return True
        message, field = problem
        target = getattr(self, field)
        target.errors = [*target.errors, message]
        return False


class InterestsForm(FlaskForm):
    """The policy priorities a person wants to hear about."""

    priority_ids = SelectMultipleField("Topic interests", coerce=int)
    submit = SubmitField("Save interests")
