"""Receipts as files: where they go, how they are named, and their expiry with the stay.

A receipt carries the plate, so it is personal data: the folder is owner-only and
expiry deletes the file once the stay it belongs to has expired. The file name
holds the stay and payment ids (never the plate), so expiry finds a stay's receipt
without reading it. Files named the older way (`<paid at>_<transaction>.txt`) are
found through the payment's transaction id.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import peewee as pw

from .. import owner_only
from ..backends import backend_for
from ..receipt_files import ReceiptFile, outliving, receipts_dir_for, scan, select_files
from .holds import HELD_VEHICLE_SQL
from .results import StayStatus
from .sql import ts

if TYPE_CHECKING:  # pragma: no cover
    from .results import Receipt

# Found on disk by kiosk.receipt_files, which maintenance uses too.
__all__ = ["ReceiptFile", "default_dir", "delete_expired", "expired", "outliving", "receipt_name", "receipts_dir_for",
           "scan", "write_receipt"]


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


# A stay's personal data has expired once it is closed and its entry is older than the retention,
# unless its vehicle is under a legal hold (the same rule clears its note: kiosk.booth.retention.expired_notes).
_EXPIRED = f"s.status <> '{StayStatus.OPEN}' AND s.entry_timestamp < ? AND NOT {HELD_VEHICLE_SQL}"


def expired(database: pw.Database, directory: Path | None, cutoff: dt.datetime) -> list[Path]:
    """Receipt files of stays whose personal data expired at `cutoff` (now - retention)."""
    return select_files(database, directory, cutoff, _EXPIRED, (ts(cutoff),))


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


