"""Write transactions that take the write lock up front and ride out a busy database.

On SQLite a write transaction starts with BEGIN IMMEDIATE: the lock is taken
before anything is read, so a check-then-write (a free spot, an open stay)
cannot be overtaken by another booth. Another writer holding the lock past the
busy timeout gives `database is locked`; the whole transaction is retried with
a short backoff, and if the database stays busy the caller gets a BoothError,
never the raw driver error.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

import peewee as pw

from .errors import BoothError

T = TypeVar("T")
ATTEMPTS = 8


def is_sqlite(db: pw.Database) -> bool:
    if isinstance(db, pw.DatabaseProxy):
        db = db.obj
    return isinstance(db, pw.SqliteDatabase)


def is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def write(db: pw.Database, fn: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run fn() in one write transaction (a savepoint if one is already open)."""
    if db.transaction_depth() > 0:
        with db.atomic():
            return fn()
    delay = 0.02
    for attempt in range(attempts):
        try:
            with db.atomic("IMMEDIATE") if is_sqlite(db) else db.atomic():
                return fn()
        except pw.OperationalError as exc:
            if not is_busy(exc):
                raise
            if attempt == attempts - 1:
                raise BoothError(
                    "the database is busy (another booth or a maintenance run is writing); nothing was changed: try again"
                ) from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")  # pragma: no cover
