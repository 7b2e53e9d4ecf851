"""Write transactions that take the write lock up front and ride out a busy database.

On SQLite a write transaction starts with BEGIN IMMEDIATE: the lock is taken
before anything is read, so a check-then-write (a free spot, an open stay)
cannot be overtaken by another booth.

Waiting for the lock is done here, not by SQLite's busy handler: that one
sleeps in growing steps up to 100 ms and kept missing the short gaps between
a maintenance run's batches (a payment waited over 1 s while expiry ran). So
BEGIN IMMEDIATE is tried with busy_timeout 0 and retried every few ms until a
deadline; a busy error inside a transaction retries the whole transaction. If
the database stays busy the caller gets a BoothError, never the driver's error.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

import peewee as pw

from .errors import BoothError

T = TypeVar("T")
DEADLINE_S = 10.0


def is_sqlite(db: pw.Database) -> bool:
    if isinstance(db, pw.DatabaseProxy):
        db = db.obj
    return isinstance(db, pw.SqliteDatabase)


def is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def write(db: pw.Database, fn: Callable[[], T], *, deadline_s: float | None = None) -> T:
    """Run fn() in one write transaction (a savepoint if one is already open)."""
    if db.transaction_depth() > 0:
        with db.atomic():
            return fn()
    if not is_sqlite(db):
        with db.atomic():
            return fn()
    give_up = time.monotonic() + (DEADLINE_S if deadline_s is None else deadline_s)
    delay = 0.001
    while True:
        try:
            with _immediate(db):
                return fn()
        except pw.OperationalError as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() >= give_up:
                raise BoothError(
                    "the database is busy (another booth or a maintenance run is writing); nothing was changed: try again"
                ) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.5, 0.01)


class _immediate:
    """BEGIN IMMEDIATE without SQLite's own busy wait; the connection's timeout is restored at once."""

    def __init__(self, db: pw.Database):
        self.db = db
        self.atomic = db.atomic("IMMEDIATE")

    def __enter__(self):
        timeout = self.db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
        self.db.execute_sql("PRAGMA busy_timeout = 0")
        try:
            return self.atomic.__enter__()
        finally:
            self.db.execute_sql(f"PRAGMA busy_timeout = {int(timeout)}")

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)
