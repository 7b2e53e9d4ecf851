"""Restore a verified backup over the live database (the emergency procedure).

The backup is checked before anything is touched (a complete, readable file, a kiosk
schema history this kiosk knows, and its whole schema, triggers and views included,
exactly that of the version its history records: a trigger slipped into a backup would
otherwise fire on the booths' rows). The current database is kept aside as a safety copy,
then replaced so that a crash at any moment leaves either the old or the new one: how is
the site's (kiosk.maintenance.sites: a file renamed over the live one on SQLite, one
transaction on PostgreSQL). What the two share is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from ..clock import Clock
from ..db import Target
from ..errors import ErrorCode, KioskError
from ..schema import history, runner
from ..schema.files import MigrationFile, Version, format_version
from . import backup
from .runs import RunRecord
from .sites import site_for

# The differences a refusal names in its one line (the rest are counted).
LISTED = 20


class BadBackup(KioskError):
    code = ErrorCode.BAD_BACKUP


class SchemaMismatch(BadBackup):
    """A sound kiosk backup whose schema is not that of its recorded version: refused, nothing changed."""

    exit_code = 3


def refuse_mismatch(path: Path, version: Version, problems: list) -> None:
    """Raise SchemaMismatch naming the differences (schema_compare findings), if there are any."""
    if not problems:
        return
    label = format_version(version)
    texts = [f.message.removeprefix(f"history says {label} but ") for f in problems]
    more = f"; and {len(texts) - LISTED} more" if len(texts) > LISTED else ""
    raise SchemaMismatch(
        f"{path} does not have the schema {label} its history records: {'; '.join(texts[:LISTED])}{more}. "
        "Restoring it could run code nobody reviewed (a trigger) or keep the kiosk from starting: "
        "choose another backup; nothing was changed"
    )


@dataclass
class Inspected:
    path: Path
    version: str
    counts: dict[str, int]
    size: int


def restore(
    target: Target,
    database: pw.Database | None,
    source: Path,
    files: list[MigrationFile],
    *,
    skip: set[str] = frozenset(),
    keep: int = backup.DEFAULT_KEEP,
    clock: Clock | None = None,
    progress=None,
) -> tuple[RunRecord, Inspected, str]:
    """Returns the run record, what was restored, and where the run was recorded."""
    return site_for(target).restore(database, source, files, skip=skip, keep=keep, clock=clock, progress=progress)


def current_version(database: pw.Database | None, files) -> str | None:
    try:
        return format_version(runner.current_version(history.read_history(database, files))) if database else None
    except pw.DatabaseError:
        return "unreadable"
