"""What happened to a mailing: deliveries by status, bounces, unsubscribes, sent per time bucket,
and the recipient table. A fixed number of SQL statements however many recipients there are;
the buckets are counted by the database (GROUP BY), not in Python."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, Integer, cast, extract, func, select

from crm.extensions import db
from crm.mailings.audience_models import Suppression
from crm.mailings.models import Delivery, DeliveryStatus

STATUSES = tuple(DeliveryStatus)
BOUNCES = ("hard", "soft", "complaint")
# Bucket sizes in seconds, smallest first: the chart uses the smallest that keeps it readable.
BUCKET_SIZES = (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)
MAX_BUCKETS = 48
PAGE_SIZE = 50
CSV_HEADER = [
    "email",
    "first_name",
    "last_name",
    "organisation",
    "country",
    "status",
    "attempts",
    "sent_at",
    "bounce",
    "last_error",
]


@dataclass
class SentChart:
    """Messages sent per bucket of `size` seconds from `start` (UTC)."""

    start: datetime
    size: int
    counts: list[int]

    @property
    def labels(self) -> list[str]:
        fmt = "%Y-%m-%d" if self.size >= 86400 else "%H:%M"
        return [
            (self.start + timedelta(seconds=self.size * i)).strftime(fmt)
            for i in range(len(self.counts))
        ]

    @property
    def top(self) -> int:
        return max(self.counts, default=0) or 1

    @property
    def bucket_label(self) -> str:
        size = self.size
        if size >= 86400:
            return f"{size // 86400} day" + ("s" if size > 86400 else "")
        if size >= 3600:
            return f"{size // 3600} hour" + ("s" if size > 3600 else "")
        return f"{size // 60} minute" + ("s" if size > 60 else "")


@dataclass
class MailingReport:
    counts: dict[str, int]
    bounced: dict[str, int]
    unsubscribed: int
    chart: SentChart | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def bounced_total(self) -> int:
        return sum(self.bounced.values())


def _epoch_seconds(column):
    """Seconds since 1970 of a UTC timestamp column, as an integer, on either database."""
    if db.engine.dialect.name == "postgresql":
        return cast(extract("epoch", column), BigInteger)
    # SQLite stores UTC as naive text (see crm.db.UTCDateTime); strftime reads it as UTC.
    return cast(func.strftime("%s", column), Integer)


def _bucket_size(first: datetime, last: datetime) -> int:
    span = max((last - first).total_seconds(), 1)
    for size in BUCKET_SIZES:
        if span / size < MAX_BUCKETS:
            return size
    return BUCKET_SIZES[-1]


def _sent_chart(mailing_id: int, first: datetime | None, last: datetime | None):
    if first is None or last is None:
        return None
    size = _bucket_size(first, last)
    start = int(first.timestamp()) // size * size
    bucket = (_epoch_seconds(Delivery.sent_at) - start) // size
    rows = db.session.execute(
        select(bucket, func.count())
        .where(Delivery.mailing_id == mailing_id, Delivery.sent_at.is_not(None))
        .group_by(bucket)
    ).all()
    length = (int(last.timestamp()) - start) // size + 1
    counts = [0] * length
    for index, n in rows:
        if 0 <= int(index) < length:
            counts[int(index)] += n
    return SentChart(datetime.fromtimestamp(start, UTC), size, counts)


def mailing_report(mailing_id: int) -> MailingReport:
    """Counts, bounces, unsubscribes and the sent-over-time chart: three or four statements."""
    of_mailing = Delivery.mailing_id == mailing_id
    columns = [func.count().filter(Delivery.status == status) for status in STATUSES]
    columns += [func.count().filter(Delivery.bounce == kind) for kind in BOUNCES]
    columns += [func.min(Delivery.sent_at), func.max(Delivery.sent_at)]
    row = db.session.execute(select(*columns).where(of_mailing)).one()
    counts = dict(zip(STATUSES, row[: len(STATUSES)], strict=True))
    bounced = dict(zip(BOUNCES, row[len(STATUSES) : len(STATUSES) + 3], strict=True))
    first, last = row[-2], row[-1]  # min/max keep the column type: aware UTC
    unsubscribed = db.session.scalar(
        select(func.count())
        .select_from(Suppression)
        .where(Suppression.mailing_id == mailing_id, Suppression.reason == "unsubscribed")
    )
    return MailingReport(counts, bounced, unsubscribed or 0, _sent_chart(mailing_id, first, last))


def recipients_select(mailing_id: int, status: str | None = None):
    """The recipient table, in the order the deliveries were written."""
    stmt = select(Delivery).where(Delivery.mailing_id == mailing_id).order_by(Delivery.id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    return stmt


def csv_rows(mailing_id: int, status: str | None = None):
    """The recipient table as CSV rows, streamed from the database in chunks."""
    stmt = select(
        Delivery.to_email,
        Delivery.merge,
        Delivery.status,
        Delivery.attempts,
        Delivery.sent_at,
        Delivery.bounce,
        Delivery.last_error,
    ).where(Delivery.mailing_id == mailing_id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    result = db.session.execute(stmt.order_by(Delivery.id).execution_options(yield_per=1000))
    for email, merge, status_, attempts, sent_at, bounce, error in result:
        merge = merge or {}
        yield [
            email,
            merge.get("first_name"),
            merge.get("last_name"),
            merge.get("organisation"),
            merge.get("country"),
            status_,
            attempts,
            sent_at.strftime("%Y-%m-%d %H:%M:%S") if sent_at else "",
            bounce,
            error,
        ]


def list_counts(mailing_ids: list[int]) -> dict[int, dict[str, int]]:
    """Queued (or in flight), sent and failed per mailing, for the list: one statement."""
    if not mailing_ids:
        return {}
    waiting = Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.SENDING))
    rows = db.session.execute(
        select(
            Delivery.mailing_id,
            func.count().filter(waiting),
            func.count().filter(Delivery.status == DeliveryStatus.SENT),
            func.count().filter(Delivery.status == DeliveryStatus.FAILED),
        )
        .where(Delivery.mailing_id.in_(mailing_ids))
        .group_by(Delivery.mailing_id)
    )
    return {m: {"queued": q, "sent": s, "failed": f} for m, q, s, f in rows}
