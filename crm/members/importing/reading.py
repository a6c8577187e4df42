"""Bytes to rows: the encoding, the delimiter, and the header, whose headings are matched to the
columns the import understands by their aliases."""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from crm.members import normalise
from crm.members.importing.results import ImportResult, RowError

ORG, PERSON = "organisation", "person"
# A well-formed UTF-8 sequence of two to four bytes: Windows-1252 text almost never has one.
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


@dataclass(frozen=True)
class Column:
    """A column the import understands: which record and attribute it fills, and its headers."""

    key: str
    owner: str
    attr: str
    label: str
    aliases: tuple[str, ...]
    check: str = "text"
    multiline: bool = False


# fmt: off
COLUMNS = (
    Column("name", ORG, "name", "organisation name",
           ("name", "company", "organisation", "organization", "company name", "label",
            "organisation name", "organization name", "label name")),
    Column("acronym", ORG, "acronym", "acronym", ("acronym", "abbreviation", "short name")),
    Column("kind", ORG, "kind", "kind", ("kind", "type", "organisation type"), "kind"),
    Column("country", ORG, "country", "country", ("country", "country code", "land", "pays"),
           "country"),
    Column("city", ORG, "city", "city", ("city", "town", "ville", "stadt", "ort")),
    Column("address", ORG, "address", "address",
           ("address", "street", "street address", "adresse", "anschrift"), multiline=True),
    Column("postcode", ORG, "postcode", "postcode",
           ("postcode", "post code", "postal code", "zip", "zip code", "plz", "code postal")),
    Column("org_email", ORG, "email", "organisation email",
           ("organisation email", "organization email", "company email", "general email"),
           "email"),
    Column("org_phone", ORG, "phone", "organisation phone",
           ("organisation phone", "organization phone", "company phone", "general phone"),
           "phone"),
    Column("website", ORG, "website", "website",
           ("website", "web site", "web", "url", "homepage"), "website"),
    Column("vat_number", ORG, "vat_number", "VAT number", ("vat", "vat number", "vat id")),
    Column("sme_size", ORG, "sme_size", "SME size", ("size", "sme size", "company size"), "size"),
    Column("association", ORG, "association_id", "national association",
           ("association", "national association"), "association"),
    Column("notes", ORG, "notes", "notes", ("notes", "comments"), multiline=True),
    Column("first_name", PERSON, "first_name", "first name",
           ("first name", "firstname", "given name", "forename", "vorname", "prenom")),
    Column("last_name", PERSON, "last_name", "last name",
           ("last name", "lastname", "surname", "family name", "nachname", "nom")),
    Column("email", PERSON, "email", "email",
           ("email", "e mail", "email address", "e mail address", "contact email",
            "person email"), "email"),
    Column("phone", PERSON, "phone", "phone", ("phone", "telephone", "tel", "phone number"),
           "phone"),
    Column("job_title", PERSON, "job_title", "job title", ("job title", "position", "role")),
    Column("language", PERSON, "language", "language", ("language", "preferred language"),
           "language"),
)
# fmt: on
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
PERSON_KEYS = frozenset(c.key for c in COLUMNS if c.owner == PERSON)


def header_key(text: str) -> str:
    return " ".join(normalise.words(text))


ALIASES = {header_key(alias): column for column in COLUMNS for alias in column.aliases}


@dataclass
class Header:
    """The columns a file's header line names."""

    columns: list[tuple]  # (index, column, memo) for each recognised column
    width: int  # cells in the header line
    headings: dict[str, str]  # column key -> its heading in the file

    def heading(self, key: str) -> str:
        return self.headings.get(key) or COLUMN_BY_KEY[key].label


def read(data: bytes, result: ImportResult) -> tuple[Header, Iterator] | None:
    """The header and the records that follow it, or None and the reason in result.errors."""
    if not data.strip():
        result.errors.append(RowError(1, "", "The file is empty"))
        return None
    if b"\x00" in data[:4096]:
        result.errors.append(
            RowError(
                1,
                "",
                "This is not a text CSV file (is it a spreadsheet or UTF-16 "
                "text?): save it as CSV UTF-8 and upload that",
            )
        )
        return None
    decoded = decode(data, result)
    if decoded is None:
        return None
    text, result.encoding = decoded
    result.delimiter = sniff_delimiter(text)
    records = _records(text, result.delimiter, result)
    for line, cells in records:
        if any(c.strip() for c in cells):
            header = _read_header(line, cells, result)
            return None if header is None else (header, records)
    if not result.errors:
        result.errors.append(RowError(1, "", "The file has no header line"))
    return None


def decode(data: bytes, result: ImportResult) -> tuple[str, str] | None:
    """Text and encoding name: UTF-8 (with or without BOM), else Windows-1252; or None and the
    reason in result.errors for a UTF-8 file with a stray byte in another encoding."""
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text, encoding = body.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as error:
        if UTF8_MULTIBYTE.search(body):
            # Mostly UTF-8: decoding all of it as Windows-1252 would silently turn every "ü"
            # into "Ã¼", and a "Müller" already in the directory would come in a second time.
            bad = body[error.start]
            result.errors.append(
                RowError(
                    _line_of(body, error.start),
                    "",
                    f"Not valid UTF-8 (byte 0x{bad:02X}); save the file as UTF-8",
                )
            )
            return None
        # No UTF-8 sequence at all (a BOM in front of Windows-1252 bytes is common: some tools
        # add one regardless).
        text, encoding = body.decode("cp1252", errors="replace"), "Windows-1252"
    return text.lstrip("\ufeff"), encoding


def _line_of(data: bytes, offset: int) -> int:
    """The line of a byte offset, counting line breaks as the csv reader does (CRLF, CR, LF)."""
    before = data[:offset]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def sniff_delimiter(text: str) -> str:
    """Semicolon or comma, whichever the header line has more of outside quotes."""
    counts = {",": 0, ";": 0}
    quoted = False
    for char in text.lstrip():
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            break
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def _records(text: str, delimiter: str, result: ImportResult):
    """(line the record starts on, cells); a malformed record ends the file with an error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous = 0
    try:
        for cells in reader:
            yield previous + 1, cells
            previous = reader.line_num
    except csv.Error as error:
        result.errors.append(
            RowError(
                previous + 1,
                "",
                f"Malformed CSV ({error}); check the quotes of the record starting on this line",
            )
        )


def _read_header(line: int, cells: list[str], result: ImportResult) -> Header | None:
    """The recognised columns, or None (and the reason in result.errors). Organisation cells
    repeat on each of its people's rows, and vocabularies repeat everywhere: their values are
    checked once, and the result kept in the column's memo."""
    mapping: dict[str, tuple[int, str]] = {}
    unknown = []
    for index, cell in enumerate(cells):
        heading = cell.strip()
        if not heading:
            continue
        column = ALIASES.get(header_key(heading))
        if column is None:
            unknown.append(heading)
        elif column.key in mapping:
            first = mapping[column.key][1]
            result.errors.append(
                RowError(
                    line,
                    heading,
                    f"'{first}' and '{heading}' both give the {column.label}; keep one of them",
                )
            )
        else:
            mapping[column.key] = (index, heading)
    missing = [COLUMN_BY_KEY[k].label for k in ("name", "country") if k not in mapping]
    if missing:
        found = ", ".join(c.strip() for c in cells if c.strip()) or "nothing"
        result.errors.append(
            RowError(
                line,
                "",
                f"No {' or '.join(missing)} column found: the first line must "
                f"be a header naming at least the organisation name and the country "
                f"(found: {found})",
            )
        )
        return None
    if unknown:
        result.warnings.append(f"Ignored unknown columns: {', '.join(unknown)}")
    columns = [COLUMN_BY_KEY[key] for key in mapping]
    return Header(
        [
            (mapping[c.key][0], c, {} if c.owner == ORG or c.check == "language" else None)
            for c in columns
        ],
        len(cells),
        {key: heading for key, (_, heading) in mapping.items()},
    )
