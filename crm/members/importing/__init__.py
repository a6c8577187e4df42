"""CSV import of organisations and people: read and check a whole file, then write all or nothing.

check() reads a file and checks it against the directory without writing; write() writes a
checked result with a few bulk inserts (audit events and search tokens included); run_import()
does both. The caller commits, or rolls back when the result has errors. Rows that name an
organisation already in the directory are merged into it, never doubled; people are keyed by
their normalised email.

The file is read in three passes: cells are checked row by row, then the directory is asked in a
few batched queries which organisations and emails it already has, then the rows are grouped
into the plan of what to write. Speed matters (bench/bench_import.py holds the import to at
least 0.3 of a plain bulk insert of the same rows), hence the memos, the Core inserts and the
paused garbage collector.

    reading.py   bytes to rows: encoding, delimiter, the header and the columns it names
    cells.py     one cell to its value, or the reason it is refused
    checking.py  rows checked against the directory, then planned: check()
    planning.py  the plan: organisations merged, duplicates set aside, the preview
    writing.py   the plan written in bulk, audit events and search tokens included: run_import()
    uploads.py   uploaded files kept between preview and confirmation
    results.py   ImportResult, its errors and duplicates, and the plan's records
"""

from crm.members.importing.cells import resolve_country
from crm.members.importing.checking import check
from crm.members.importing.reading import COLUMNS, sniff_delimiter
from crm.members.importing.results import Duplicate, ImportResult, RowError
from crm.members.importing.uploads import store_upload, stored_upload
from crm.members.importing.writing import run_import, write

__all__ = [
    "COLUMNS",
    "Duplicate",
    "ImportResult",
    "RowError",
    "check",
    "resolve_country",
    "run_import",
    "sniff_delimiter",
    "store_upload",
    "stored_upload",
    "write",
]
