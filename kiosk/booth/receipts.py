"""Receipt files: where they go, how they are named, and their expiry with the stay.

A receipt carries the plate, so it is personal data: the folder is owner-only and
expiry deletes the file once the stay it belongs to has expired. The file name
holds the stay and payment ids (never the plate), so expiry finds a stay's receipt
without reading it. Files named the older way (`<paid at>_<transaction>.txt`) are
found through the payment's transaction id.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import peewee as pw

from .. import owner_only
from ..backends import backend_for
from .results import StayStatus
from .sql import ts

if TYPE_CHECKING:  # pragma: no cover
    from .results import Receipt

_NAME = re.compile(r"^(\d{8}-\d{6})_stay(\d{1,19})_payment(\d{1,19})\.txt$", re.ASCII)
_OLD_NAME = re.compile(r"^(\d{8}-\d{6})_([A-Za-z0-9._-]{1,64})\.txt$", re.ASCII)
_CHUNK = 500  # ids per IN (...) list


def receipts_dir_for(target) -> Path:
    """`receipts/` beside a SQLite file; for a server database, in the working directory."""
    return owner_only.receipts_dir(getattr(target, "path", None))


def default_dir(database: pw.Database) -> Path | None:
    """`receipts/` beside a SQLite database file; None for an in-memory or server database."""
    path = backend_for(database).db_file(database)
    return None if path is None else path.resolve().parent / "receipts"


def receipt_name(receipt: Receipt) -> str:
    return f"{receipt.paid_at:%Y%m%d-%H%M%S}_stay{receipt.stay_id}_payment{receipt.payment_id}.txt"


def write_receipt(directory: Path, receipt: Receipt) -> Path:
    """Write Receipt.text() as `<paid at>_stay<id>_payment<id>.txt`: folder 0700, file 0600.

    A file that already exists (the same transaction retried) is kept as it is.
    """
    owner_only.make_dir(directory, parents=True)  # also when it existed: receipts are personal data
    path = directory / receipt_name(receipt)
    try:
        fd = owner_only.open_file(path, os.O_WRONLY | os.O_EXCL)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(receipt.text())
        out.flush()
        os.fsync(out.fileno())
    return path


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
        if not (m or old) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            paid = dt.datetime.strptime((m or old)[1], "%Y%m%d-%H%M%S").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
        found.append(ReceiptFile(Path(entry.path), paid, int(m[2]) if m else None, None if m else old[2]))
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


def _select(database: pw.Database, directory: Path | None, cutoff: dt.datetime, where: str, params: tuple) -> list[Path]:
    """Files whose stay matches `where`; a file whose stay is unknown, when paid before `cutoff`."""
    files = scan(directory)
    if not files:
        return []
    stay_of = _resolve(database, files)
    hits = _matching(database, {s for s in stay_of.values() if s is not None}, where, params)
    return sorted(f.path for f in files
                  if (stay_of[f.path] in hits) or (stay_of[f.path] is None and f.paid_at < cutoff))


# A stay's personal data has expired once it is closed and its entry is older than the retention
# (the same rule clears its note: kiosk.booth.retention.expired_notes).
_EXPIRED = f"s.status <> '{StayStatus.OPEN}' AND s.entry_timestamp < ?"
# What `stats` flags: expiry has already removed the vehicle's details, yet the file is still there.
_PURGED = "v.purged_at IS NOT NULL"


def expired(database: pw.Database, directory: Path | None, cutoff: dt.datetime) -> list[Path]:
    """Receipt files of stays whose personal data expired at `cutoff` (now - retention)."""
    return _select(database, directory, cutoff, _EXPIRED, (ts(cutoff),))


def delete_expired(database: pw.Database, directory: Path | None, cutoff: dt.datetime) -> int:
    """Delete the receipt files of expired stays; returns how many went."""
    gone = 0
    for path in expired(database, directory, cutoff):
        try:
            path.unlink()
            gone += 1
        except FileNotFoundError:  # another booth's worker on the same folder took it first
            pass
    return gone


def outliving(database: pw.Database, directory: Path | None, cutoff: dt.datetime) -> list[Path]:
    """Receipt files still on disk although expiry already removed their vehicle's details
    (named the older way and not found: paid before `cutoff`, now - retention)."""
    return _select(database, directory, cutoff, _PURGED, ())
