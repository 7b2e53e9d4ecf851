"""The rows a migrate or rollback removes, exported before it runs, and verified like a backup.

JSON Lines (one JSON object per line) beside the run's backup, named after it
(`backups/kiosk-20261124T120000Z-v1.8.0.data-loss.jsonl`): JSON keeps a value's
type (a number stays a number, NULL is null), where CSV would make every value text
and need one file per table. The first line is a header (database, command,
versions, time, backup, rows per table, the columns that leave); then one line per
row: `{"table": ..., "leaves": "row" | [columns], "row": {column: value}}`, the whole
row as the database holds it now. PostgreSQL NUMERIC values are written as strings
("12.50": exact), timestamps as 'YYYY-MM-DD HH:MM:SS' text (UTC, as stored).

Written under a hidden `.….partial` name, owner-only from its first byte (it holds
personal data), in one read snapshot of the database; then read back: the rows per
table in the file must equal those counted in the snapshot and those the forecast
counted before the backup. Only then is it renamed to its final name and the change
may run. A kill at any point leaves the database untouched (nothing is written to
it) and no file that looks like an export. Exports older than the retention plus
the backup window are removed when the next one is written, as backups are.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import peewee as pw

from .. import owner_only
from ..clock import Clock, SystemClock
from ..db import Target
from ..errors import ErrorCode, KioskError
from . import data_loss, retention
from .site_backup import backup_tool_for
from .sites import site_for

SUFFIX = ".data-loss.jsonl"
FORMAT = 1
_STAMP = re.compile(r"-\d{8}T\d{6}Z-v")


class ExportFailed(KioskError):
    code = ErrorCode.EXPORT_FAILED


@dataclass
class Export:
    path: Path
    counts: dict[str, int]
    size: int

    def to_json(self) -> dict:
        return {"path": str(self.path), "rows": self.counts, "bytes": self.size}


def _stem(target: Target) -> str:
    return site_for(target).file_stem()


def export_path(target: Target, backup_path: Path | None, version: str, clock: Clock) -> Path:
    """Beside the run's backup, named after it; without one, named as a backup would be."""
    if backup_path is not None:
        return backup_path.with_name(backup_path.name.rsplit(".", 1)[0] + SUFFIX)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return backup_tool_for(target).backups_dir() / f"{_stem(target)}-{stamp}-v{version}{SUFFIX}"


def _value(v: object) -> object:
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"hex": bytes(v).hex()}
    return str(v)


def write_rows(fh: IO[str], database: pw.Database, table: str, pieces: list[data_loss.Piece], leaving: list[str]) -> int:
    """One table's leaving rows, one line each; returns how many were written."""
    whole = data_loss.whole_row_condition(pieces) or "1 = 0"
    where = data_loss.export_condition(database, pieces)
    q = data_loss.quote(table)
    cur = database.execute_sql(f"SELECT CASE WHEN ({whole}) THEN 1 ELSE 0 END, {q}.* FROM {q} WHERE {where} ORDER BY 2")
    names = [d[0] for d in cur.description][1:]
    n = 0
    for row in cur:
        line = {"table": table, "leaves": "row" if row[0] else leaving, "row": dict(zip(names, row[1:]))}
        fh.write(json.dumps(line, default=_value, ensure_ascii=False) + "\n")
        n += 1
    return n


def _leaving_columns(pieces: list[data_loss.Piece]) -> list[str]:
    return sorted({c for p in pieces for c in p.columns})


def export(
    target: Target,
    database: pw.Database,
    forecast: data_loss.Forecast,
    *,
    command: str,
    from_version: str,
    to_version: str,
    backup_path: Path | None,
    clock: Clock | None = None,
) -> Export:
    """Write, verify and name the export of what `forecast` removes (see the module docstring)."""
    clock = clock or SystemClock()
    final = export_path(target, backup_path, from_version, clock)
    tmp = final.with_name(f".{final.name}.partial")
    expected = forecast.counts()
    try:
        owner_only.make_dir(final.parent, parents=True)
        if final.exists():
            raise ExportFailed(f"{final} already exists: an export is never overwritten; nothing was changed")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # left by a run killed while exporting
        fd = owner_only.open_file(tmp, os.O_WRONLY | os.O_EXCL)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            counted = _write(fh, target, database, forecast, command, from_version, to_version, backup_path, clock)
            fh.flush()
            os.fsync(fh.fileno())
        found = read_counts(tmp)
        if not (found == counted == expected):
            raise ExportFailed(
                f"the export's rows per table do not match: counted before the backup {expected}, in the export's "
                f"snapshot {counted}, read back from the file {found}; nothing was changed (did a booth write meanwhile?)"
            )
        os.replace(tmp, final)
        _sync_dir(final.parent)
    except BaseException as exc:  # incl. Ctrl-C: never leave a half export behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise ExportFailed(f"cannot write the export {final}: {exc.strerror or exc}; nothing was changed") from None
        if isinstance(exc, pw.DatabaseError):
            raise ExportFailed(f"cannot read the rows to export: {' '.join(str(exc).split())}; nothing was changed") from None
        raise
    _remove_outliving(final, database, clock)
    return Export(final, found, final.stat().st_size)


def _write(fh, target, database, forecast, command, from_version, to_version, backup_path, clock) -> dict[str, int]:
    counted: dict[str, int] = {}
    with database.atomic():
        snapshot = site_for(database).snapshot_sql  # one snapshot for the counts and the rows
        if snapshot:
            database.execute_sql(snapshot)
        tables = [t for t in sorted(forecast.pieces) if forecast.tables[t].export_rows]
        counts = {t: data_loss.count(database, t, data_loss.export_condition(database, forecast.pieces[t])) for t in tables}
        header = {
            "kiosk_export": "data-loss", "format": FORMAT, "database": target.describe(), "command": command,
            "from_version": from_version, "to_version": to_version,
            "exported_at": clock.now().strftime("%Y-%m-%d %H:%M:%S"), "backup": str(backup_path) if backup_path else None,
            "tables": counts, "columns_leaving": {t: _leaving_columns(forecast.pieces[t]) for t in tables},
        }
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for t in tables:
            counted[t] = write_rows(fh, database, t, forecast.pieces[t], _leaving_columns(forecast.pieces[t]))
            if counted[t] != counts[t]:
                raise ExportFailed(f"{t}: {counts[t]} row(s) counted but {counted[t]} read; nothing was changed")
    return counted


def read_counts(path: Path) -> dict[str, int]:
    """Rows per table in an export file, read back line by line."""
    counts: dict[str, int] = {}
    number = 1
    with open(path, encoding="utf-8") as fh:
        try:
            header = json.loads(fh.readline() or "{}")
            if header.get("kiosk_export") != "data-loss":
                raise ExportFailed(f"{path} is not a kiosk data-loss export")
            for number, line in enumerate(fh, start=2):
                rec = json.loads(line)
                counts[rec["table"]] = counts.get(rec["table"], 0) + 1
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ExportFailed(f"{path}: line {number} is not a row of the export") from None
    return counts


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _owner(name: str) -> str:
    """The database part of an export's name (what comes before '-<time>-v<version>')."""
    m = _STAMP.search(name)
    return name[: m.start()] if m else name


def _remove_outliving(final: Path, database: pw.Database, clock: Clock) -> None:
    """This database's exports older than the retention + the backup window (they hold personal data)."""
    found = [p for p in final.parent.glob(f"*{SUFFIX}") if p != final and _owner(p.name) == _owner(final.name)]
    for p in retention.outliving(found, clock.now(), retention.limit_of(database)):
        with contextlib.suppress(OSError):
            p.unlink()
