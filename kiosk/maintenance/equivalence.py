"""Schema text that differs from the kiosk's but means the same to the database and to the kiosk.

A database typed in by hand (the migration plan's SQL, run by a DBA) spells some things
differently from the kiosk's own migrations although they read the same:
- keywords and type names in another case (`text`, `current_timestamp`) or spacing;
- a boolean default written as a number: `DEFAULT 0` for `DEFAULT FALSE` (SQLite stores FALSE as
  the integer 0; PostgreSQL accepts neither spelling for the other's type, so never meets this);
- a table's columns in another order: ALTER TABLE appends, so a DBA who applied the plan's 1.2.0
  before its 1.1.0 has payment_status before vehicle_type. The kiosk names every column it reads
  or writes, except where rows are copied by position (`ORDER_MATTERS`).

The whole-schema comparison (schema_compare) treats these as equal; `recognise` still lists them.
"""

from __future__ import annotations

import re

Schema = dict[str, str]

# Rows are copied between these two by position: the plan's `INSERT INTO audit_logs_archive
# SELECT * FROM audit_logs` and the 1.4.0 rollback. Their columns must be in the kiosk's order.
ORDER_MATTERS = frozenset({"audit_logs", "audit_logs_archive"})

_TEXT_KINDS = ("column", "index", "constraint", "foreign")
_LITERAL = re.compile(r"('(?:[^']|'')*')")
_BOOLEAN_DEFAULT = {"FALSE": "0", "TRUE": "1"}


def canonical(text: str) -> str:
    """`text` with case (outside string literals), spacing and boolean default literals made uniform."""
    parts = _LITERAL.split(text)
    for i in range(0, len(parts), 2):  # the even parts are outside quotes
        part = re.sub(r"\s+", " ", parts[i].upper())
        part = re.sub(r"\s*([(),=])\s*", r"\1", part)
        parts[i] = re.sub(r"\bDEFAULT (FALSE|TRUE)\b", lambda m: "DEFAULT " + _BOOLEAN_DEFAULT[m.group(1)], part)
    return "".join(parts).strip()


def same_spelling(key: str, want: str, have: str) -> bool:
    """A column, index or constraint whose definition differs only in spelling."""
    return key.split(" ", 1)[0] in _TEXT_KINDS and canonical(want) == canonical(have)


def table_name(key: str) -> str:
    return key.split(" ", 1)[1]


def same_columns(key: str, want: str, have: str) -> bool:
    """A table (`table T` -> its columns in order) with the same columns in another order, where that is harmless."""
    if not key.startswith("table ") or table_name(key) in ORDER_MATTERS:
        return False
    return same_column_set(want, have)


def same_column_set(want: str, have: str) -> bool:
    """Two table layouts (column names in order) with the same columns, in any order."""
    return sorted(_columns(want)) == sorted(_columns(have))


def _columns(layout: str) -> list[str]:
    return [c.strip().lower() for c in layout.split(",")]


def aligned(want: Schema, have: Schema) -> Schema:
    """`have` with every value that means the same as `want`'s replaced by `want`'s."""
    out = dict(have)
    for key, value in have.items():
        expected = want.get(key)
        if expected is None or expected == value:
            continue
        if same_spelling(key, expected, value) or same_columns(key, expected, value):
            out[key] = expected
    return out
