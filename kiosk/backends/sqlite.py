"""SQLite: one writer at a time, a file on this machine.

A write transaction starts with BEGIN IMMEDIATE: the lock is taken before anything
is read, so a check-then-write (a free spot, an open stay) cannot be overtaken by
another booth, and no row needs locking.

Waiting for the lock is done here, not by SQLite's busy handler: that one sleeps
in growing steps up to 100 ms and keeps missing the short gaps between a
maintenance run's batches. So BEGIN IMMEDIATE is tried with busy_timeout 0 and
retried every few ms until a deadline; a busy error inside a transaction retries
the whole transaction.

While a booth waits for the lock and until its transaction ends it holds the
shared intent lock (kiosk.backends.intent), so the expiry/archive worker sees it
and hands the lock over between two statements instead of after a whole batch.
The worker's own batches (`worker=True`) announce themselves only while they
wait, so two workers still take turns, and a worker never sees itself.
"""

from __future__ import annotations

import contextlib
import random
import time
from pathlib import Path
from typing import Callable, TypeVar

import peewee as pw

from . import intent
from .base import Backend, Busy

T = TypeVar("T")
POLL_FIRST_S, POLL_MAX_S = 0.0002, 0.001  # BEGIN IMMEDIATE retried after this long, growing


def is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


class SqliteBackend(Backend):
    name = "sqlite"
    single_writer = True

    def write(self, db: pw.Database, fn: Callable[[], T], deadline_s: float, worker: bool) -> T:
        give_up = time.monotonic() + deadline_s
        if worker:
            return _write(db, fn, give_up, announce_while_waiting=True)
        with intent.wanting(db):  # from now until the transaction has ended
            return _write(db, fn, give_up, announce_while_waiting=False)

    def db_file(self, db: pw.Database) -> Path | None:
        return intent.db_file(db)


def _write(db: pw.Database, fn: Callable[[], T], give_up: float, announce_while_waiting: bool) -> T:
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
                    raise Busy() from None
                if announce_while_waiting:
                    waiting.close()
                    waiting.enter_context(intent.wanting(db))
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, POLL_MAX_S)


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
