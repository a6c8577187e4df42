"""CSV output that spreadsheets cannot mistake for formulas."""

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (OWASP's advice)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_stream(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield a CSV file chunk by chunk, with a BOM so Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for number, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in row])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
