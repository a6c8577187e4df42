"""The public list of signatories (no login)."""

from flask import abort, render_template
from sqlalchemy import select

from crm.declarations import bp
from crm.declarations.models import Declaration
from crm.declarations.signatories import public_signatories, title_for
from crm.extensions import db


@bp.get("/declarations/<slug>/signatories")
def signatories(slug: str):
    """Published signatures by country and national association, with counts."""
    declaration = db.session.scalar(select(Declaration).where(Declaration.slug == slug[:80]))
    if declaration is None or not declaration.list_publicly:
        abort(404)
    groups, total = public_signatories(declaration.id)
    return render_template(
        "declarations/signatories.html",
        declaration=declaration,
        title=title_for(declaration),
        groups=groups,
        total=total,
    )
