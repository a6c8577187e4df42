"""The database side of the mail benchmarks: a fresh PostgreSQL database with people and a
newsletter queued to each of them (as scheduling queues it), `crm worker` processes on it, and
what the outbox says afterwards."""

import os
import subprocess
from collections import Counter
from pathlib import Path

from config import ProductionConfig, database_url

ROOT = Path(__file__).resolve().parents[1]
SERVER = "postgresql://postgres@127.0.0.1:5432"
SECRET = "bench-only-secret-not-for-production-0123456789"  # noqa: S105
PUBLIC_URL = "https://crm.bench.example"
PEOPLE_PER_ORGANISATION = 10

SUBJECT = "Indie Music Europe news for {{ first_name }}"
BODY = """Dear {{ first_name | colleague }},

This month the association met the European Parliament's culture committee about **fair
digital deals** for artists, and published its response to the consultation on streaming
remuneration. {{ organisation }} in {{ country }} can read the full text on our website.

- The Fair Digital Deals Declaration passed 1,000 signatures.
- The Sales Awards scheme now includes a Triple Silver level.
- Our next webinar covers the AI Act's transparency duties for labels.

[Read this newsletter on the web]({{ web_version_url }})

You receive this newsletter as a contact of a member company.
[Unsubscribe]({{ unsubscribe_url }}) or [choose what you receive]({{ preferences_url }}).
"""


def bench_config(database: str) -> type:
    """Production settings on the bench's database (its own secret, no HTTPS cookies)."""

    class BenchMailConfig(ProductionConfig):
        SECRET_KEY = SECRET
        SQLALCHEMY_DATABASE_URI = database_url(f"{SERVER}/{database}")
        SESSION_COOKIE_SECURE = False
        PUBLIC_BASE_URL = PUBLIC_URL

    return BenchMailConfig


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1"]
        + ["-q", "-c", sql],
        check=True,
    )


def query(database: str, sql: str, **params) -> list:
    """The rows of one statement on the bench database (committed when it writes)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url(f"{SERVER}/{database}"))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def prepare_database(database: str, recipients: int):
    """A fresh, migrated database with `recipients` people and a mailing queued to each of
    them; returns (app, mailing id)."""
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{database}", "CRM_CONFIG": "development"}
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    from crm import create_app

    app = create_app(bench_config(database))
    with app.app_context():
        mailing_id = _seed(recipients)
    vacuum(database)
    return app, mailing_id


def _seed(recipients: int) -> int:
    """People at member labels, and a newsletter queued to each with the rows scheduling writes."""
    from sqlalchemy import insert, select

    from crm.db import utcnow
    from crm.extensions import db
    from crm.mailings.mailing_states import delivery_row
    from crm.mailings.models import Delivery, Mailing, MailingKind, MailingStatus
    from crm.members.models import Organisation, Person

    countries = ("DE", "FR", "NL", "BE", "ES", "IT", "SE", "PL", "AT", "IE")
    organisations = [
        {
            "name": f"Bench Label {n}",
            "name_key": f"bench label {n}",
            "sort_name": f"bench label {n}",
            "kind": "label",
            "country": countries[n % len(countries)],
        }
        for n in range(-(-recipients // PEOPLE_PER_ORGANISATION))
    ]
    org_ids = db.session.scalars(
        insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
        organisations,
    ).all()
    people = [
        {
            "organisation_id": org_ids[n // PEOPLE_PER_ORGANISATION],
            "first_name": f"Reader{n}",
            "last_name": f"Bench{n}",
            "email": f"Reader{n}@recipients.bench.example",
            "email_key": f"reader{n}@recipients.bench.example",
        }
        for n in range(recipients)
    ]
    db.session.execute(insert(Person), people)
    now = utcnow()
    mailing = Mailing(
        kind=MailingKind.NEWSLETTER,
        purpose="newsletter",
        subject=SUBJECT,
        from_name="Indie Music Europe",
        from_email="news@indiemusic.example",
        body=BODY,
        status=MailingStatus.SENDING,
        scheduled_at=now,
        queued_at=now,
        recipient_count=recipients,
    )
    db.session.add(mailing)
    db.session.flush()
    rows = db.session.execute(
        select(
            Person.id.label("person_id"),
            Person.email,
            Person.email_key,
            Person.first_name,
            Person.last_name,
            Organisation.name.label("organisation"),
            Organisation.country,
        )
        .join(Organisation, Person.organisation_id == Organisation.id)
        .order_by(Person.id)
    ).all()
    deliveries = [delivery_row(mailing, row, now, now) for row in rows]
    db.session.execute(insert(Delivery), deliveries)
    db.session.commit()
    mailing_id = mailing.id
    db.engine.dispose()
    return mailing_id


def vacuum(database: str) -> None:
    """Fresh statistics and no dead rows from the previous run, so each run starts alike."""
    psql("VACUUM ANALYZE delivery, mailing", database)


def reset(database: str, mailing_id: int) -> None:
    """Every delivery of the mailing queued again, the mailing sending again."""
    query(
        database,
        "UPDATE delivery SET status = 'queued', attempts = 0, claimed_at = NULL, "
        "claimed_by = NULL, sent_at = NULL, last_error = NULL, next_attempt_at = now() "
        "WHERE mailing_id = :m",
        m=mailing_id,
    )
    query(
        database,
        "UPDATE mailing SET status = 'sending', finished_at = NULL WHERE id = :m",
        m=mailing_id,
    )
    vacuum(database)


def delivery_counts(database: str, mailing_id: int) -> Counter:
    """The mailing's deliveries by status."""
    sql = "SELECT status, count(*) FROM delivery WHERE mailing_id = :m GROUP BY status"
    return Counter(dict(query(database, sql, m=mailing_id)))


def expected_ids(database: str, mailing_id: int) -> dict[str, str]:
    """Message-ID -> status of each of the mailing's deliveries."""
    sql = "SELECT message_id, status FROM delivery WHERE mailing_id = :m"
    return dict(query(database, sql, m=mailing_id))


def worker_env(database: str, port: int, **extra) -> dict:
    """The environment of a `crm worker` on the bench database and the sink's port."""
    return {
        **os.environ,
        "CRM_CONFIG": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"{SERVER}/{database}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "PUBLIC_BASE_URL": PUBLIC_URL,
        **extra,
    }


def start_worker(database: str, port: int, *args: str, **env) -> subprocess.Popen:
    """`flask --app wsgi crm worker` on the bench database, sending to the sink's port."""
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "crm", "worker", *args],
        cwd=ROOT,
        env=worker_env(database, port, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
