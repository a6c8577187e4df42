"""One delivery's message as the worker sends it: a mailing is compiled once into a plan (kept
from batch to batch while the mailing does not change), each copy is rendered with its
recipient's values and signed links, and the addresses are put in the form SMTP carries.
"""

import logging
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import Row

from crm.mailings import consent
from crm.mailings.headers import (
    DELIVERY_HEADER,
    RefSigner,
    build_message,
    bulk_headers,
    list_id,
    sender_header,
)
from crm.mailings.models import Mailing
from crm.mailings.rendering import CompiledMailing, compile_mailing
from crm.mailings.smtp import smtp_address
from crm.mailings.tokens import recipient_links

log = logging.getLogger("crm.mailings.worker")


@dataclass
class Plan:
    """What a mailing's copies share, worked out once per batch."""

    mailing_id: int
    purpose: str
    compiled: CompiledMailing
    sender: str
    envelope: str
    reply_to: str | None
    list_id: str


class PlanBroken(RuntimeError):
    """The mailing could not be compiled: its copies are retried later, the rest goes on."""


class Composer:
    """Builds the messages of a batch from the plans of its mailings."""

    def __init__(self, config, plans: dict | None = None):
        self.config = config
        self.sign = RefSigner(config["SECRET_KEY"])
        # mailing id -> ((updated_at, embargoed), Plan), shared with later batches
        self.plans: dict[int, tuple[tuple, Plan]] = {} if plans is None else plans
        self.broken: dict[int, str] = {}

    def prepare(self, mailings: list[Mailing], now) -> None:
        """Compile the mailings whose plan is missing or out of date. One that cannot be
        compiled (a bug, not the recipient) is remembered as broken, not raised: the batch's
        other mail still goes."""
        for m in mailings:
            embargoed = m.embargo_until is not None and m.embargo_until > now
            key = (m.updated_at, embargoed)
            if m.id in self.plans and self.plans[m.id][0] == key:
                continue
            try:
                self.plans[m.id] = (key, self._plan(m, now))
            except Exception as error:  # noqa: BLE001 (logged; its deliveries are retried)
                log.exception("mailing %s could not be compiled", m.id)
                self.plans.pop(m.id, None)
                self.broken[m.id] = repr(error)

    def _plan(self, m: Mailing, now) -> Plan:
        label = consent.PURPOSES.get(m.purpose, (m.purpose,))[0]
        return Plan(
            mailing_id=m.id,
            purpose=m.purpose,
            compiled=compile_mailing(m, now=now),
            sender=sender_header(m.from_name, m.from_email),
            envelope=self.config.get("MAIL_BOUNCE_ADDRESS") or m.from_email,
            reply_to=m.reply_to or None,
            list_id=list_id(m.purpose, label, self.config["MAIL_MESSAGE_ID_DOMAIN"]),
        )

    def message(self, delivery: Row, eight_bit: bool) -> tuple[str, str, bytes]:
        """(envelope sender, envelope recipient, MIME bytes) of one delivery. ValueError (or
        UnicodeError) when it can never be sent; PlanBroken when its mailing failed to
        compile."""
        recipient = smtp_address(delivery.to_email)
        if delivery.mailing_id is None:
            return self._transactional(delivery, recipient, eight_bit)
        if delivery.mailing_id in self.broken:
            raise PlanBroken(
                f"the mailing could not be compiled: {self.broken[delivery.mailing_id]}"
            )
        plan = self.plans[delivery.mailing_id][1]
        key = delivery.recipient_key or delivery.to_email.strip().lower()
        links = recipient_links(key, plan.purpose, plan.mailing_id, delivery.id)
        copy = plan.compiled.render(delivery.merge, links)
        headers = bulk_headers(links, list_id=plan.list_id)
        headers[DELIVERY_HEADER] = self.sign(delivery.id)
        data = build_message(
            sender=plan.sender,
            to=recipient,
            subject=copy.subject,
            message_id=delivery.message_id,
            text=copy.text,
            html=copy.html,
            reply_to=plan.reply_to,
            headers=headers,
            eight_bit=eight_bit,
        )
        return smtp_address(plan.envelope), recipient, data

    def _transactional(self, delivery: Row, recipient: str, eight_bit: bool):
        headers = dict(delivery.headers or {})
        headers.setdefault("Auto-Submitted", "auto-generated")
        headers[DELIVERY_HEADER] = self.sign(delivery.id)
        # A test copy of a mailing names the mailing's own sender; other mail the CRM's.
        sender = headers.pop("From", None) or self.config["MAIL_DEFAULT_SENDER"]
        if isinstance(sender, tuple | list):
            sender = sender_header(*sender)
        envelope = self.config.get("MAIL_BOUNCE_ADDRESS") or parseaddr(sender)[1]
        data = build_message(
            sender=sender,
            to=recipient,
            subject=delivery.subject,
            message_id=delivery.message_id,
            text=delivery.text_body or "",
            html=delivery.html_body,
            headers=headers,
            eight_bit=eight_bit,
        )
        return smtp_address(envelope), recipient, data
