"""After a restore: hold the outbox, whose state is as old as the backup.

Mail that left between the backup and the restore is queued or sending again in the restored
database, and the next worker run would send it a second time. Every mailing that could still
send is paused for a person to check, and deliveries a worker had claimed go back to the queue.
"""

from dataclasses import dataclass

from sqlalchemy import exists, func, select, update

from crm.audit.services import record
from crm.extensions import db
from crm.mailings.models import Delivery, DeliveryStatus, Mailing, MailingStatus

REASON = "paused after a restore: check before resuming"
SENDABLE = (MailingStatus.SCHEDULED, MailingStatus.SENDING)
UNFINISHED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class HeldMail:
    mailings: int  # paused
    requeued: int  # deliveries a worker had claimed, back in the queue
    transactional: int  # transactional mail waiting (it is not paused: say so)


def hold_mail_after_restore() -> HeldMail:
    """Pause every mailing that still has queued or sending deliveries and put claimed
    deliveries back in the queue; audited; the caller commits."""
    waiting = exists().where(Delivery.mailing_id == Mailing.id, Delivery.status.in_(UNFINISHED))
    paused = db.session.scalars(
        update(Mailing)
        .where(Mailing.status.in_(SENDABLE), waiting)
        .values(status=MailingStatus.PAUSED, status_reason=REASON)
        .returning(Mailing.id)
        .execution_options(synchronize_session=False)
    ).all()
    for mailing_id in sorted(paused):
        record("pause", "mailing", mailing_id, REASON, after={"status": MailingStatus.PAUSED})
    # The worker that claimed them is not running on this database: nobody finishes them.
    requeued = db.session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.QUEUED, claimed_at=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    transactional = db.session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.mailing_id.is_(None), Delivery.status == DeliveryStatus.QUEUED)
    )
    db.session.flush()
    return HeldMail(len(paused), requeued, transactional)
