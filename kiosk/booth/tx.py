"""Write transactions for the booth rules: one per change, retried as the database needs.

How a database takes its write lock, waits for it and retries is its backend's
business (kiosk.backends: BEGIN IMMEDIATE and the intent lock on SQLite, row
locks and conflict retries on PostgreSQL). Here the outcome is put in the booth's
terms: if the database stays busy, or the server goes away, the caller gets a
BoothError saying so, never the driver's error.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import peewee as pw

from ..backends import Busy, ConnectionLost, backend_for
from ..errors import ErrorCode, is_disk_full
from .errors import BoothError

T = TypeVar("T")
DEADLINE_S = 10.0
BUSY = "the database is busy (another booth or a maintenance run is writing); nothing was changed: try again"
LOST = ("the connection to the database server was lost, so this change may not have been saved: "
        "check the server and the network, look the vehicle or payment up, and try again")


def write(db: pw.Database, fn: Callable[[], T], *, deadline_s: float | None = None, worker: bool = False) -> T:
    """Run fn() in one write transaction (a savepoint if one is already open).

    `worker`: the expiry/archive worker's batch (SQLite: announced only while waiting).
    A full disk is a BoothError saying so; the transaction was undone."""
    try:
        if db.transaction_depth() > 0:
            with db.atomic():
                return fn()
        return backend_for(db).write(db, fn, DEADLINE_S if deadline_s is None else deadline_s, worker)
    except BoothError:
        raise
    except Busy:
        raise BoothError(BUSY, code=ErrorCode.BUSY) from None
    except ConnectionLost:
        raise BoothError(LOST, code=ErrorCode.CONNECTION_LOST) from None
    except Exception as exc:
        if is_disk_full(exc):
            raise BoothError(f"disk full: free space on {backend_for(db).full_where(db)} and try again; nothing was changed",
                             code=ErrorCode.DISK_FULL) from None
        raise


def connection_lost(db: pw.Database, exc: BaseException) -> bool:
    """True (and the dead connection closed, so peewee reconnects next time) when `exc` means
    the database server went away."""
    return backend_for(db).connection_lost(db, exc)
