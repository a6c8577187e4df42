"""Builders for the award registration tests (no tests here)."""

import io
from pathlib import Path

from crm.awards import evidence
from crm.awards.levels import seed_award_levels
from crm.extensions import db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
XLSX = b"PK\x03\x04" + b"\x00" * 60


def seed_levels() -> None:
    seed_award_levels()
    db.session.commit()


def pdf(name="statement.pdf", data=PDF):
    return (io.BytesIO(data), name)


def form(units=(("DE", "12000"), ("FR", "9000")), files=None, **overrides) -> dict:
    """A registration form that would be saved: 21,000 units (Silver), a PDF, confirmed."""
    data = {
        "artist": "Nova Tides",
        "title": "First Light",
        "format": "album",
        "release_date": "2024-05-01",
        "catalogue_number": "NT-001",
        "isrc": "GBAYE0601498",
        "upc": "5012345678900",
        "confirm": "y",
        "save": "Register",
    }
    for index, (country, count) in enumerate(units):
        data[f"units-{index}-country"] = country
        data[f"units-{index}-units"] = count
    data["evidence"] = [pdf()] if files is None else files
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def stored_files() -> set[str]:
    directory = Path(evidence.upload_dir())
    return {p.name for p in directory.iterdir()} if directory.is_dir() else set()
