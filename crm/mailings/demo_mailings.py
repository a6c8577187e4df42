"""Demo mailings: three press releases already sent (published on /press, their deliveries
spread over an hour so the reports have a chart), a draft newsletter and a campaign update
scheduled for next week. Uses the demo audiences when they exist; the caller commits."""

import io
import random
from datetime import timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select, update

from crm import uploads as shared
from crm.db import utcnow
from crm.extensions import db
from crm.mailings import attachments, mailing_states, services
from crm.mailings.audience_models import Audience
from crm.mailings.models import Delivery, Mailing, MailingAttachment, MailingKind, MailingStatus

PRESS_LIST = "Press list — Brussels/EU"
NEWSLETTER_LIST = "All active members — newsletter"
CAMPAIGN_LIST = "Members who have not signed the Fair Digital Deals Declaration"
FALLBACK = "Demo: every contact"

RELEASES = (
    (
        30,
        "Independent music asks for the reduced VAT rate that books already enjoy",
        "Dear {{ first_name | colleague }},\n\n"
        "Europe's independent music companies today asked finance ministers to let every "
        "member state apply a **reduced VAT rate to recorded music**, as most already do for "
        "books, newspapers and cinema tickets.\n\n"
        "Most of the music released in Europe comes from small and micro companies. A lower "
        "rate would leave more of each sale with the labels that invest in new artists, and "
        "end a difference in treatment between film and music that nobody can explain.\n\n"
        "- Music is culture: it should be taxed like culture.\n"
        "- A reduced rate is already allowed by EU law: ministers only have to use it.\n"
        "- Support schemes should treat music and film alike.\n\n"
        "Our fact sheet with the current rates per country is attached.\n\n",
        True,
    ),
    (
        12,
        "The value gap: platforms that profit from music must license it fairly",
        "Dear {{ first_name | colleague }},\n\n"
        "Services that build their business on music uploaded by their users still pay far "
        "less for it than the services that license every track. Independent labels and "
        "artists lose most from this **value gap**, because they cannot afford to police "
        "millions of uploads.\n\n"
        "We call on the institutions to make sure that the liability rules are applied as "
        "intended: a platform that organises and promotes music is a music service and must "
        "license it on fair terms.\n\n",
        False,
    ),
    (
        4,
        "More independent companies commit to fair digital deals with their artists",
        "Dear {{ first_name | colleague }},\n\n"
        "Another group of labels, distributors and publishers has signed the **Fair Digital "
        "Deals Declaration**, committing to pay artists a fair share of streaming income, to "
        "account to them clearly and regularly, and to give them access to the data about "
        "how their music is used.\n\n"
        "Fair treatment of artists is what the independent sector stands for. We invite every "
        "company that has not yet signed to join them.\n\n",
        False,
    ),
)
NEWSLETTER = (
    "Member newsletter: what happened in Brussels this month",
    "Dear {{ first_name | member }},\n\n"
    "This month we met the rapporteur on the platform rules, answered the consultation on "
    "cultural statistics and prepared the autumn campaign for reduced VAT on music.\n\n"
    "## Coming up\n\n"
    "- Our annual meeting, with a session on access to finance for small labels.\n"
    "- A webinar on the Fair Digital Deals Declaration for {{ organisation | your company }}.\n\n",
)
CAMPAIGN_UPDATE = (
    "Fair Digital Deals: will {{ organisation | your company }} sign this month?",
    "Dear {{ first_name | colleague }},\n\n"
    "Hundreds of independent companies have signed the Fair Digital Deals Declaration. "
    "Signing takes two minutes and shows artists, and the institutions, what the independent "
    "sector stands for.\n\n",
)


def _audience(name: str) -> Audience | None:
    return db.session.scalar(select(Audience).where(Audience.name == name))


def _fallback() -> Audience:
    audience = _audience(FALLBACK)
    if audience is None:
        audience = Audience(
            name=FALLBACK,
            kind="segment",
            description="Everyone with an address (demo data without audiences).",
            filters={"include": {}, "exclude": {}},
        )
        db.session.add(audience)
        db.session.flush()
    return audience


def _fact_sheet() -> bytes:
    """A one-page PDF for the VAT release."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("Reduced VAT on music: fact sheet")
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(60, 780, "Reduced VAT on music: fact sheet")
    pdf.setFont("Helvetica", 12)
    lines = (
        "Books, newspapers and cinema tickets enjoy reduced VAT in most member states.",
        "Recorded music usually does not.",
        "EU law allows a reduced rate on cultural goods: ministers only have to apply it.",
        "Most new releases in Europe come from small and micro music companies.",
    )
    for number, line in enumerate(lines):
        pdf.drawString(60, 740 - 20 * number, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _attach_fact_sheet(mailing: Mailing) -> None:
    checked = shared.CheckedFile(
        "vat-fact-sheet.pdf", "pdf", attachments.CONTENT_TYPE, _fact_sheet()
    )
    stored = shared.write(checked, attachments.upload_dir())
    mailing.attachments.append(
        MailingAttachment(
            stored_name=stored.stored_name,
            original_name=stored.original_name,
            title="Fact sheet: VAT on music in Europe",
            size=stored.size,
        )
    )
    db.session.flush()


def _draft(kind, subject, body, audience, purpose=None) -> Mailing:
    name, address = services.default_sender()
    return services.create_mailing(
        {
            "kind": kind,
            "purpose": purpose or "",
            "subject": subject,
            "from_name": name or "Indie Music Europe",
            "from_email": address,
            "audience_id": audience.id,
            "body": body + services.FOOTER,
        }
    )


def _mark_sent(rng: random.Random, mailing: Mailing) -> int:
    """Its deliveries sent over the hour after it was scheduled; a few failed or bounced."""
    ids = db.session.scalars(
        select(Delivery.id).where(Delivery.mailing_id == mailing.id).order_by(Delivery.id)
    ).all()
    start = mailing.scheduled_at
    rows = []
    for delivery_id in ids:
        sent_at = start + timedelta(seconds=rng.randint(0, 3600))
        row = {"id": delivery_id, "status": "sent", "attempts": 1, "sent_at": sent_at}
        row.update(last_error=None, bounce=None)
        roll = rng.random()
        if roll < 0.02:
            row.update(status="failed", sent_at=None, last_error="550 5.1.1 mailbox unknown")
        elif roll < 0.04:
            row["bounce"] = "soft"
        rows.append(row)
    if rows:
        db.session.execute(update(Delivery), rows)
    db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id)
        .values(status=MailingStatus.SENT, finished_at=start + timedelta(hours=1))
        .execution_options(synchronize_session=False)
    )
    return len(rows)


def seed_mailing_demo(seed: int = 1) -> dict:
    """Sent press releases, a draft newsletter and a campaign update scheduled for next week."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = utcnow()
    press = _audience(PRESS_LIST)
    fallback_purpose = None if press else "member_communications"
    press = press or _fallback()
    summary = {"press_releases": 0, "deliveries": 0, "drafts": 0, "scheduled": 0}
    for days_ago, subject, body, with_pdf in RELEASES:
        mailing = _draft(MailingKind.PRESS_RELEASE, subject, body, press, fallback_purpose)
        if with_pdf:
            _attach_fact_sheet(mailing)
        sent_on = (now - timedelta(days=days_ago)).replace(hour=9, minute=0, second=0)
        mailing.test_sent_at = sent_on - timedelta(hours=1)
        db.session.flush()
        try:
            with db.session.begin_nested():
                # Scheduled "then": the checks judge the send time against that moment.
                mailing_states.schedule(mailing, sent_on, now=sent_on)
        except services.MailingError:
            summary["drafts"] += 1  # nobody on the list may receive it: it stays a draft
            continue
        summary["deliveries"] += _mark_sent(rng, mailing)
        summary["press_releases"] += 1
    newsletter_audience = _audience(NEWSLETTER_LIST) or _fallback()
    _draft(
        MailingKind.NEWSLETTER,
        *NEWSLETTER,
        newsletter_audience,
        None if newsletter_audience.name != FALLBACK else "member_communications",
    )
    summary["drafts"] += 1
    campaign_audience = _audience(CAMPAIGN_LIST) or _fallback()
    update_mailing = _draft(
        MailingKind.CAMPAIGN_UPDATE,
        *CAMPAIGN_UPDATE,
        campaign_audience,
        None if campaign_audience.name != FALLBACK else "member_communications",
    )
    update_mailing.test_sent_at = now
    db.session.flush()
    next_week = (now + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    try:
        with db.session.begin_nested():
            mailing_states.schedule(update_mailing, next_week, now=now)
        summary["scheduled"] += 1
    except services.MailingError:
        summary["drafts"] += 1  # nobody to send it to: it stays a draft
    return summary
