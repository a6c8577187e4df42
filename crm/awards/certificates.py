"""The award certificate as a one-page PDF, drawn with reportlab (pure Python)."""

import io
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from crm.awards.models import FORMATS, AwardRegistration

ASSOCIATION = "Indie Music Europe"
# DejaVu Sans (Debian's fonts-dejavu-core) covers Polish, Czech, Greek, Cyrillic...; the PDF base
# fonts cover Western European text only, so they are the fallback where DejaVu is missing.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
BASE_FONTS = {
    "regular": "Helvetica",
    "bold": "Helvetica-Bold",
    "italic": "Helvetica-Oblique",
}


@cache
def fonts() -> dict[str, str]:
    """The font names to draw with: DejaVu Sans when installed, else the PDF base fonts."""
    files = {
        "regular": "DejaVuSans.ttf",
        "bold": "DejaVuSans-Bold.ttf",
        "italic": "DejaVuSans-Oblique.ttf",
    }
    if not all((DEJAVU / name).is_file() for name in files.values()):
        return BASE_FONTS
    names = {}
    for style, name in files.items():
        font_name = f"CRM-{name.removesuffix('.ttf')}"
        registerFont(TTFont(font_name, str(DEJAVU / name)))
        names[style] = font_name
    return names


def _fit(text: str, font: str, size: float, width: float) -> float:
    """The largest size up to `size` at which the text fits the width."""
    while size > 8 and stringWidth(text, font, size) > width:
        size -= 1
    return size


def _centred(pdf, text: str, y: float, font: str, size: float, page_width: float) -> None:
    size = _fit(text, font, size, page_width - 40 * mm)
    pdf.setFont(font, size)
    pdf.drawCentredString(page_width / 2, y, text)


def certificate_pdf(award: AwardRegistration) -> bytes:
    """A landscape A4 certificate naming the artist, release, label, level and date."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    level = award.level.name if award.level else "Sales Award"
    decided = award.decided_at.date() if award.decided_at else award.registered_on
    font = fonts()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1)
    pdf.setTitle(f"{level} Sales Award: {award.artist} – {award.title}")
    pdf.setAuthor(ASSOCIATION)
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setLineWidth(1)
    pdf.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)
    _centred(pdf, ASSOCIATION, height - 40 * mm, font["regular"], 16, width)
    _centred(pdf, f"{level} Sales Award", height - 62 * mm, font["bold"], 36, width)
    _centred(pdf, "presented to", height - 78 * mm, font["italic"], 14, width)
    _centred(pdf, award.artist, height - 96 * mm, font["bold"], 28, width)
    release = f"{award.title} ({FORMATS.get(award.format, award.format)})"
    _centred(pdf, release, height - 112 * mm, font["regular"], 20, width)
    _centred(
        pdf, f"released by {award.organisation.name}", height - 126 * mm, font["regular"], 16, width
    )
    # A threshold is reached at exactly N units: "N units or more", not "more than N".
    units = f"for {award.level.threshold:,} units or more" if award.level else ""
    _centred(
        pdf, f"{units} shipped across Europe".strip(), height - 142 * mm, font["regular"], 13, width
    )
    _centred(pdf, f"Awarded on {decided.day} {decided:%B %Y}", 34 * mm, font["regular"], 13, width)
    pdf.setFont(font["regular"], 8)
    pdf.drawString(20 * mm, 20 * mm, f"Certificate no. {award.id} · {decided.isoformat()}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
