"""Finding people by the start of their first name, last name or email address: the picker
behind the action log's participants and the audiences' static lists."""

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.members.models import Person


def escape_like(text: str) -> str:
    """Text to match literally in a LIKE pattern written with escape="\\"."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_people(q: str, limit: int) -> list[Person]:
    """People whose first name, last name or address begins with `q` (at least two
    characters; the first 100 count), with their organisation loaded, by name."""
    q = (q or "").strip()[:100]
    if len(q) < 2:
        return []
    like = escape_like(q) + "%"
    return list(
        db.session.scalars(
            select(Person)
            .where(
                or_(
                    Person.first_name.ilike(like, escape="\\"),
                    Person.last_name.ilike(like, escape="\\"),
                    Person.email_key.like(like.lower(), escape="\\"),
                )
            )
            .options(joinedload(Person.organisation))
            .order_by(Person.last_name, Person.first_name, Person.id)
            .limit(limit)
        )
    )
