"""One cell to its value for the database, or the reason it is refused: spreadsheet formulas,
control characters and lengths, then each column's own check (countries, kinds, SME sizes,
websites, languages, phones and emails)."""

import re

import pycountry

from crm.email_check import email_problem
from crm.members.importing.reading import COLUMNS, ORG, Column, header_key
from crm.members.models import Organisation, Person
from crm.members.vocab import (
    EUROPEAN_COUNTRIES,
    LANGUAGE_CHOICES,
    LANGUAGES,
    OrgKind,
    SmeSize,
    country_name,
)

# Text columns have no length in the schema; these are the edit forms' limits.
TEXT_LIMITS = {"address": 500, "notes": 5000}
PHONE = re.compile(r"^\+?[0-9 ()./-]{4,40}$")
WEBSITE = re.compile(r"^https?://\S+$", re.IGNORECASE)
BARE_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/\S*)?$", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Anything a cell may have to be refused for: line breaks, control characters, U+FFFD.
UNUSUAL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ufffd]")


def _max_length(column: Column) -> int:
    model = Organisation if column.owner == ORG else Person
    return getattr(model.__table__.c[column.attr].type, "length", None) or TEXT_LIMITS[column.attr]


# Vocabulary columns are checked against their vocabulary instead.
MAX_LENGTH = {
    c.key: _max_length(c)
    for c in COLUMNS
    if c.check not in ("country", "kind", "size", "association", "language")
}

# fmt: off
KINDS = {
    **{k.value: k.value for k in OrgKind},
    "labels": OrgKind.LABEL, "record label": OrgKind.LABEL, "independent label": OrgKind.LABEL,
    "self releasing artist": OrgKind.ARTIST, "distribution": OrgKind.DISTRIBUTOR,
    "music publisher": OrgKind.PUBLISHER, "publishing": OrgKind.PUBLISHER,
    "national association": OrgKind.ASSOCIATION, "trade association": OrgKind.ASSOCIATION,
}
LANGUAGE_NAMES = {header_key(label): code for code, label in LANGUAGE_CHOICES}
# Names a spreadsheet is likely to hold that pycountry does not know: EU codes, endonyms.
COUNTRY_EXTRAS = {
    "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "el": "GR", "holland": "NL", "the netherlands": "NL",
    "nederland": "NL", "deutschland": "DE", "osterreich": "AT", "belgie": "BE", "belgique": "BE",
    "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "espana": "ES", "italia": "IT",
    "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "polska": "PL",
    "cesko": "CZ", "czech republic": "CZ", "slovensko": "SK", "slovenija": "SI",
    "hrvatska": "HR", "magyarorszag": "HU", "eire": "IE", "ellada": "GR", "eesti": "EE",
    "latvija": "LV", "lietuva": "LT", "srbija": "RS", "macedonia": "MK", "ukraina": "UA",
}
# fmt: on


def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name", "alpha_3", "alpha_2"):
            value = getattr(country, attr, None)
            if value:
                index[header_key(value)] = country.alpha_2
    index.update(COUNTRY_EXTRAS)
    return index


_COUNTRIES: dict[str, str] = {}


def resolve_country(value: str) -> str | None:
    """ISO alpha-2 for a code (alpha-2 or alpha-3) or English name, case-insensitive."""
    if not _COUNTRIES:
        _COUNTRIES.update(_country_index())
    return _COUNTRIES.get(header_key(value))


def check_cell(column: Column, raw: str) -> tuple[object, str | None]:
    """The cell's value for the database, or None and a reason."""
    value = raw.strip()
    if column.check == "phone" and PHONE.match(value):
        return value, None
    if raw[0] in "\t\r" or value[0] in "=+-@":
        start = raw[0] if raw[0] in "\t\r" else value[0]
        return None, f"Starts with {start!r}: a possible spreadsheet formula"
    if column.multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if UNUSUAL.search(value):
        if not column.multiline and ("\n" in value or "\r" in value):
            return None, "Must be on one line"
        if "\ufffd" in value:
            return None, "Contains bytes that are neither UTF-8 nor Windows-1252 text"
        if CONTROL.search(value):
            return None, "Contains control characters"
    limit = MAX_LENGTH.get(column.key, 0)
    if limit and len(value) > limit:
        return None, f"Longer than {limit} characters ({len(value)})"
    check = column.check
    if check == "text":
        return value, None
    if check == "email":
        problem = email_problem(value)
        if problem:
            return None, f"'{value}' is not a valid email address: {problem}"
        return (value.lower() if column.owner == ORG else value), None
    if check == "phone":
        return None, f"'{value}' is not a phone number: use digits, spaces and + ( ) . / -"
    if check == "country":
        code = resolve_country(value)
        if code is None:
            return None, (
                f"Unknown country '{value}': use an ISO code (DE, DEU) or an English name"
            )
        if code not in EUROPEAN_COUNTRIES:
            return None, (
                f"{country_name(code)} ({code}) is not one of the countries the "
                "association works in"
            )
        return code, None
    if check == "kind":
        kind = KINDS.get(header_key(value))
        if kind is None:
            return None, (
                f"Unknown kind '{value}': use one of {', '.join(k.value for k in OrgKind)}"
            )
        return str(kind), None
    if check == "size":
        size = header_key(value).split(" ")[0]
        if size not in {s.value for s in SmeSize}:
            return None, f"Unknown size '{value}': use micro, small or medium"
        return size, None
    if check == "website":
        if WEBSITE.match(value):
            return value, None
        if BARE_DOMAIN.match(value):
            return f"https://{value}", None
        return None, f"'{value}' is not a web address: start it with http:// or https://"
    if check == "language":
        code = _language(value)
        if code is None:
            return None, f"Unknown language '{value}': use one of {', '.join(LANGUAGES)}"
        return code, None
    return value, None  # association: resolved with the row's country


def _language(value: str) -> str | None:
    """A language the person form offers, from a code (en, en-GB) or a name (German, Deutsch)."""
    code = re.split(r"[-_]", value.lower(), maxsplit=1)[0]
    if code in LANGUAGES:
        return code
    if header_key(value) in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[header_key(value)]
    language = pycountry.languages.get(name=value.strip())
    code = getattr(language, "alpha_2", None)
    return code if code in LANGUAGES else None
