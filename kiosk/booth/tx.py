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

While a booth waits for the lock and until its transaction ends it holds the
shared intent lock (kiosk.booth.intent), so the expiry/archive worker sees it
and hands the lock over between two statements instead of after a whole batch.
The worker's own batches (`worker=True`) announce themselves only while they
wait, so two workers still take turns, and a worker never sees itself.
"""

from __future__ import annotations

import contextlib
import random
import time
from typing import Callable, TypeVar

import peewee as pw

from . import dialect, intent
from ..errors import ErrorCode, full_where, is_disk_full
from .errors import BoothError

T = TypeVar("T")
DEADLINE_S = 10.0
# A unique index hit twice in a row is not a race any more: let the caller report it.
UNIQUE_RETRIES = 3
POLL_FIRST_S, POLL_MAX_S = 0.0002, 0.001  # SQLite: BEGIN IMMEDIATE retried after this long, growing
BUSY = "the database is busy (another booth or a maintenance run is writing); nothing was changed: try again"
LOST = ("the connection to the database server was lost, so this change may not have been saved: "
        "check the server and the network, look the vehicle or payment up, and try again")

is_sqlite = dialect.is_sqlite


def is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def write(db: pw.Database, fn: Callable[[], T], *, deadline_s: float | None = None, worker: bool = False) -> T:
    """Run fn() in one write transaction (a savepoint if one is already open).

    `worker`: the expiry/archive worker's batch (SQLite: announced only while waiting).
    A full disk is a BoothError saying so; the transaction was undone."""
    try:
        return _write(db, fn, deadline_s, worker)
    except BoothError:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise BoothError(f"disk full: free space on {full_where(db)} and try again; nothing was changed",
                             code=ErrorCode.DISK_FULL) from None
        raise


def _write(db: pw.Database, fn: Callable[[], T], deadline_s: float | None, worker: bool) -> T:
    if db.transaction_depth() > 0:
        with db.atomic():
            return fn()
    if dialect.is_postgresql(db):
        return _write_postgresql(db, fn, DEADLINE_S if deadline_s is None else deadline_s)
    if not is_sqlite(db):
        with db.atomic():
            return fn()
    give_up = time.monotonic() + (DEADLINE_S if deadline_s is None else deadline_s)
    if worker:
        return _write_sqlite(db, fn, give_up, announce_while_waiting=True)
    with intent.wanting(db):  # from now until the transaction has ended
        return _write_sqlite(db, fn, give_up, announce_while_waiting=False)


def _write_sqlite(db: pw.Database, fn: Callable[[], T], give_up: float, announce_while_waiting: bool) -> T:
    # Short polls: the expiry/archive worker hands the lock over within a fraction of a ms
    # (kiosk.booth.worker_session) and a booth's transaction takes 1-2 ms; a try costs ~0.03 ms.
    delay = POLL_FIRST_S
    with contextlib.ExitStack() as waiting:  # holds the worker's intent lock from its first refusal to BEGIN
        while True:
            try:
                with _immediate(db, on_begin=waiting.close):
                    return fn()
            except pw.OperationalError as exc:
                if not is_busy(exc):
                    raise
                if time.monotonic() >= give_up:
                    raise BoothError(BUSY, code=ErrorCode.BUSY) from None
                if announce_while_waiting:
                    waiting.close()
                    waiting.enter_context(intent.wanting(db))
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, POLL_MAX_S)


def connection_lost(db: pw.Database, exc: BaseException) -> bool:
    """True (and the dead connection closed, so peewee reconnects next time) when `exc` means
    the PostgreSQL server went away."""
    if not dialect.is_postgresql(db) or not dialect.is_connection_lost(exc, db):
        return False
    try:
        db.close()
    except Exception:  # noqa: BLE001 - the connection is gone either way
        pass
    return True


def _write_postgresql(db: pw.Database, fn: Callable[[], T], deadline_s: float) -> T:
    give_up = time.monotonic() + deadline_s
    delay, unique_hits = 0.002, 0
    while True:
        try:
            with db.atomic():
                # Wait for another booth's row locks no longer than the deadline allows.
                left_ms = max(1, int((give_up - time.monotonic()) * 1000))
                db.execute_sql(f"SET LOCAL lock_timeout = {left_ms}")
                return fn()
        except BoothError:
            raise
        except Exception as exc:
            if connection_lost(db, exc):
                raise BoothError(LOST, code=ErrorCode.CONNECTION_LOST) from None
            state = dialect.sqlstate(exc)
            if state not in dialect.RETRYABLE:
                raise
            if state == dialect.UNIQUE_VIOLATION:
                unique_hits += 1
                if unique_hits >= UNIQUE_RETRIES:
                    raise
            if time.monotonic() >= give_up:
                raise BoothError(BUSY, code=ErrorCode.BUSY) from None
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.05)


class _immediate:
    """BEGIN IMMEDIATE without SQLite's own busy wait; the connection's timeout is restored at once.
    `on_begin` runs once the write lock is held."""

    def __init__(self, db: pw.Database, on_begin: Callable[[], object] = lambda: None):
        self.db = db
        self.atomic = db.atomic("IMMEDIATE")
        self.on_begin = on_begin

    def __enter__(self):
        timeout = self.db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
        self.db.execute_sql("PRAGMA busy_timeout = 0")
        try:
            entered = self.atomic.__enter__()
        finally:
            self.db.execute_sql(f"PRAGMA busy_timeout = {int(timeout)}")
        self.on_begin()
        return entered

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)
