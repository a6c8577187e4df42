"""Public pages of the Sales Awards (no login): winners, one award, its certificate, the feed."""

from flask import Response, abort, render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from crm.awards import bp, certificates, feed, winners
from crm.awards.models import FORMATS
from crm.extensions import db
from crm.formutil import choices
from crm.members.vocab import country_name
from crm.web import page_arg


class WinnerFilterForm(FlaskForm):
    class Meta:
        csrf = False

    year = SelectField("Year", validate_choice=False)
    level = SelectField("Level", validate_choice=False)
    country = SelectField("Country", validate_choice=False)
    label = StringField("Label")


def _filter_form(filters: winners.WinnerFilters) -> WinnerFilterForm:
    options = winners.filter_choices()
    form = WinnerFilterForm(
        formdata=None,
        year=str(filters.year or ""),
        level=filters.level or "",
        country=filters.country or "",
        label=filters.label or "",
    )
    form.year.choices = choices([("", "Any year"), *((str(y), str(y)) for y in options["years"])])
    form.level.choices = choices([("", "Any level"), *((n, n) for n in options["levels"])])
    form.country.choices = choices(
        [("", "Any country"), *((c, country_name(c)) for c in options["countries"])]
    )
    return form


@bp.get("/awards")
def public_awards():
    """Public on purpose: verified Sales Awards, filtered by year, level, country and label."""
    filters = winners.WinnerFilters.from_args(request.args)
    page = db.paginate(
        winners.winners_query(filters), page=page_arg(), per_page=winners.PER_PAGE, error_out=False
    )
    return render_template(
        "awards/public_list.html",
        page=page,
        form=_filter_form(filters),
        filters=filters,
        formats=FORMATS,
    )


@bp.get("/awards/<int:registration_id>")
def public_award(registration_id: int):
    """Public on purpose: one verified award (404 for any other registration)."""
    award = winners.verified_award(registration_id) or abort(404)
    return render_template("awards/public_award.html", award=award, formats=FORMATS)


@bp.get("/awards/<int:registration_id>/certificate.pdf")
def certificate(registration_id: int):
    """Public on purpose: the award's certificate as a PDF."""
    award = winners.verified_award(registration_id) or abort(404)
    return Response(
        certificates.certificate_pdf(award),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="sales-award-{award.id}.pdf"'},
    )


@bp.get("/awards/feed.atom")
def feed_atom():
    """Public on purpose: an Atom feed of newly verified awards."""
    return Response(feed.atom_feed(), content_type="application/atom+xml; charset=utf-8")
