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
import errno
import fcntl
import os
import random
import time
from pathlib import Path
from typing import Callable, TypeVar

import peewee as pw

from .. import owner_only
from . import intent
from .base import Backend, Busy, LockBusy

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

    def maintenance_lock(self, target, database: pw.Database, wait_seconds: float, on_wait=None):
        return file_lock(target.path, wait_seconds=wait_seconds, on_wait=on_wait)

    def table_sizes(self, db: pw.Database) -> tuple[list[dict], list[dict], str]:
        """dbstat where compiled in, else page counts (only the whole file is known)."""
        names = db.execute_sql(
            "SELECT name, type, tbl_name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        if not names:
            return [], [], "n/a"
        try:
            sizes = dict(db.execute_sql("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
            source = "dbstat"
        except pw.OperationalError:
            # No dbstat: only the whole file is known; per-object bytes stay null.
            sizes, source = {}, "page_count (dbstat not available)"
        tables, indexes = [], []
        for name, kind, table in sorted(names):
            if kind == "table":
                rows = db.execute_sql(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                tables.append({"name": name, "rows": rows, "bytes": sizes.get(name)})
            else:
                indexes.append({"name": name, "table": table, "bytes": sizes.get(name)})
        if source != "dbstat":
            page_size = db.execute_sql("PRAGMA page_size").fetchone()[0]
            pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
            source += f", whole file {page_size * pages} bytes"
        return tables, indexes, source

    def plan(self, db: pw.Database, sql: str, params: tuple) -> list[str]:
        return [r[-1] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


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


# ---------------------------------------------------------------- the maintenance lock
def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextlib.contextmanager
def file_lock(db_path: Path, wait_seconds: float = 60.0, on_wait=None):
    """Hold an exclusive flock beside the database; wait up to `wait_seconds`."""
    path = lock_path(db_path)
    fd = owner_only.open_file(path)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"another maintenance run holds {path} ({_holder(path)}): wait for it to finish and try again"
                    ) from None
                if on_wait and not told:
                    on_wait(f"waiting for another maintenance run ({_holder(path)}) ...")
                    told = True
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}\n".encode())
        yield path
    finally:
        os.close(fd)  # closing releases the flock


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown process"
    except OSError:
        return "unknown process"
