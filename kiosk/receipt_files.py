"""Receipt files on disk: where they are, which stay each belongs to, and which outlive it.

Below both the booth (which writes receipts and deletes them with expiry, kiosk.booth.receipts)
and maintenance (which warns about receipts left behind): a file name holds the stay and payment
ids, `<paid at>_stay<id>_payment<id>.txt`; files named the older way (`<paid at>_<transaction>.txt`)
are found through the payment's transaction id.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from . import owner_only

_NAME = re.compile(r"^(\d{8}-\d{6})_stay(\d{1,19})_payment(\d{1,19})\.txt$", re.ASCII)
_OLD_NAME = re.compile(r"^(\d{8}-\d{6})_([A-Za-z0-9._-]{1,64})\.txt$", re.ASCII)
_CHUNK = 500  # ids per IN (...) list


def receipts_dir_for(target) -> Path:
    """`receipts/` beside a SQLite file; for a server database, in the working directory."""
    return owner_only.receipts_dir(getattr(target, "path", None))


@dataclass(frozen=True)
class ReceiptFile:
    path: Path
    paid_at: dt.datetime
    stay_id: int | None  # None: named the older way, found by its transaction id
    transaction: str | None


def scan(directory: Path | None) -> list[ReceiptFile]:
    """The receipt files in the folder (others are left alone)."""
    if directory is None or not directory.is_dir():
        return []
    found = []
    for entry in os.scandir(directory):
        m, old = _NAME.match(entry.name), _OLD_NAME.match(entry.name)
        named = m or old
        if named is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            paid = dt.datetime.strptime(named[1], "%Y%m%d-%H%M%S").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
        found.append(ReceiptFile(Path(entry.path), paid, int(m[2]) if m else None, None if m else named[2]))
    return found


def _chunks(values: list) -> list[list]:
    return [values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _resolve(database: pw.Database, files: list[ReceiptFile]) -> dict[Path, int | None]:
    """Each file's stay id (older names: through payments.transaction_id); None when unknown."""
    out = {f.path: f.stay_id for f in files}
    old = [f for f in files if f.stay_id is None]
    p = database.param
    for chunk in _chunks(sorted({f.transaction for f in old})):
        rows = database.execute_sql(
            f"SELECT transaction_id, stay_id FROM payments WHERE transaction_id IN ({', '.join([p] * len(chunk))})",
            tuple(chunk)).fetchall()
        stays = dict(rows)
        for f in old:
            if f.transaction in stays:
                out[f.path] = stays[f.transaction]
    return out


def _matching(database: pw.Database, stay_ids: set[int], where: str, params: tuple) -> set[int]:
    p = database.param
    hits: set[int] = set()
    for chunk in _chunks(sorted(stay_ids)):
        sql = (f"SELECT s.id FROM stays s JOIN vehicles v ON v.id = s.vehicle_id "
               f"WHERE s.id IN ({', '.join([p] * len(chunk))}) AND {where.replace('?', p)}")
        hits.update(r[0] for r in database.execute_sql(sql, (*chunk, *params)).fetchall())
    return hits


def select_files(database: pw.Database, directory: Path | None, cutoff: dt.datetime, where: str, params: tuple) -> list[Path]:
    """Files whose stay matches `where`; a file whose stay is unknown, when paid before `cutoff`."""
    files = scan(directory)
    if not files:
        return []
    stay_of = _resolve(database, files)
    hits = _matching(database, {s for s in stay_of.values() if s is not None}, where, params)
    return sorted(f.path for f in files
                  if (stay_of[f.path] in hits) or (stay_of[f.path] is None and f.paid_at < cutoff))


# What `stats` flags: expiry has already removed the vehicle's details, yet the file is still there.
_PURGED = "v.purged_at IS NOT NULL"


def outliving(database: pw.Database, directory: Path | None, cutoff: dt.datetime) -> list[Path]:
    """Receipt files still on disk although expiry already removed their vehicle's details
    (named the older way and not found: paid before `cutoff`, now - retention)."""
    return select_files(database, directory, cutoff, _PURGED, ())
