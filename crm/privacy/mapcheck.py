"""Checks the personal data map against a schema: what the map misses or names wrongly."""

import re

from sqlalchemy import JSON, MetaData, String

from crm.privacy.personal_data import KEYS, Erase, OnErase, Table

# Column names that usually hold personal data: kept ones must say why.
PERSONAL_WORDS = re.compile(
    r"(^|_)(email|e_mail|name|phone|mobile|address|ip|comment|note|notes|city|postcode|birth)(_|$)"
)
ACCOUNT_TABLES = {"user_account"}
DELETABLE = {"SET NULL", "CASCADE"}


def _link_columns(spec: Table) -> set[str]:
    return {c for link in spec.links for c in link.columns}


def _column_problems(name: str, spec: Table, table) -> list[str]:
    problems = []
    for column in table.columns:
        rule = spec.columns.get(column.name)
        where = f"{name}.{column.name}"
        if rule is None:
            problems.append(f"{where}: not classified in the personal data map")
            continue
        if rule.erase is Erase.KEEP and PERSONAL_WORDS.search(column.name) and not rule.reason:
            problems.append(f"{where}: looks personal; kept without a reason")
        if spec.links and spec.on_erase is OnErase.ANONYMISE:
            problems += _erase_fits(where, rule.erase, column)
        for fk in column.foreign_keys:
            target = fk.column.table.name
            if target == "person" and column.name not in _link_columns(spec):
                problems.append(f"{where}: points at a person but no link of the map uses it")
            if target in ACCOUNT_TABLES and not spec.links and not rule.reason:
                problems.append(f"{where}: points at an account; say why it is kept")
            if target in ACCOUNT_TABLES and (fk.ondelete or "").upper() not in DELETABLE:
                problems.append(f"{where}: admins delete accounts; needs ON DELETE SET NULL")
    for column in set(spec.columns) - set(table.columns.keys()):
        problems.append(f"{name}.{column}: in the map but not in the schema")
    return problems


def _erase_fits(where: str, erase: Erase, column) -> list[str]:
    if erase in (Erase.ERASED, Erase.HASH) and not isinstance(column.type, String):
        return [f"{where}: {erase} needs a text column"]
    if erase is Erase.HASH and column.type.length and column.type.length < 71:
        return [f"{where}: too short for a hash placeholder"]
    if erase is Erase.SCRUB and not isinstance(column.type, JSON):
        return [f"{where}: scrub needs a JSON column"]
    if erase is Erase.REDACT and not isinstance(column.type, String | JSON):
        return [f"{where}: redact needs a text or JSON column"]
    if erase is Erase.BLANK and not column.nullable:
        try:
            if column.type.python_type not in (str, bool, int, dict, list):
                return [f"{where}: NOT NULL and no empty value to blank it with"]
        except NotImplementedError:
            return [f"{where}: NOT NULL of an unknown type"]
    return []


def problems(metadata: MetaData, mapping: dict[str, Table]) -> list[str]:
    """Every disagreement between the schema and the map, one line each."""
    found = []
    tables = metadata.tables
    for name in sorted(set(tables) - set(mapping)):
        found.append(f"{name}: table not classified in the personal data map")
    for name in sorted(set(mapping) - set(tables)):
        found.append(f"{name}: in the map but not in the schema")
    for name in sorted(set(tables) & set(mapping)):
        spec, table = mapping[name], tables[name]
        if not spec.about:
            found.append(f"{name}: say how it links to a person or why it holds no personal data")
        found += _column_problems(name, spec, table)
        for link in spec.links:
            if link.key not in KEYS:
                found.append(f"{name}: unknown link key {link.key!r}")
            if link.erase_as not in (None, Erase.REDACT):
                found.append(f"{name}: a link can only ask to redact, not {link.erase_as}")
            if link.erase_as is not None and link.key != "mention":
                found.append(f"{name}: only a mention link can redact")
            for column in (*link.columns, *(link.erase_only or ()), *(link.export_only or ())):
                if column not in table.columns:
                    found.append(f"{name}.{column}: a link names a column the table lacks")
        if spec.links and "id" not in table.columns:
            found.append(f"{name}: a linked table needs an id column")
    return found
