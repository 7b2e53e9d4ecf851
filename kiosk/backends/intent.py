"""Booths that want the write lock, made visible to the expiry/archive worker (SQLite only).

A booth holds a *shared* flock on `<db>.intent` from the moment it wants to write
until its transaction has ended (kiosk.backends.sqlite). The worker probes with a
non-blocking *exclusive* lock between its statements: when it cannot have it, a
booth is waiting, so the worker commits what it has and lets the booth in instead
of making it wait for the rest of a batch. The kernel drops a dead process's lock,
so a crashed booth never holds the worker up, and a booth never waits on this file
for long: if the lock cannot be had at once (only a probe holds it, for an instant)
it retries briefly and then writes without it. Conventions of `<db>.presence`
(kiosk.maintenance.presence): a file beside the database, owner-only, never deleted.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path
from typing import Iterator

import peewee as pw

from .. import owner_only

SHARED_TRIES = 50  # x 0.2 ms: a probe holds the exclusive lock for two system calls only
BUSY = (errno.EAGAIN, errno.EACCES)


def intent_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".intent")


def db_file(db: pw.Database) -> Path | None:
    """The database file of a SQLite connection; None for PostgreSQL, :memory: and URI names."""
    if isinstance(db, pw.DatabaseProxy):
        db = db.obj
    if not isinstance(db, pw.SqliteDatabase):
        return None
    name = str(db.database or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).absolute()  # the same file for every process, whatever its working directory


def _open(db: pw.Database) -> int | None:
    path = db_file(db)
    if path is None:
        return None
    try:
        return owner_only.open_file(intent_path(path), os.O_RDWR | os.O_CLOEXEC)
    except OSError:  # e.g. another user's file: the booth writes without announcing itself
        return None


@contextlib.contextmanager
def wanting(db: pw.Database) -> Iterator[None]:
    """Booth side: announce that this connection wants (or holds) the write lock, for the block."""
    fd = _open(db)
    try:
        if fd is not None:
            for _ in range(SHARED_TRIES):
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in BUSY:
                        break
                    time.sleep(0.0002)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


class Probe:
    """Worker side: is a booth waiting for the write lock right now? Cheap (two system calls)."""

    def __init__(self, db: pw.Database):
        self._fd = _open(db)

    def booth_waiting(self) -> bool:
        if self._fd is None:
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            return exc.errno in BUSY
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        return False

    def wait_for_booths(self, limit_s: float) -> bool:
        """Sleep while booths are waiting or writing, up to limit_s; True if any was."""
        if not self.booth_waiting():
            return False
        give_up = time.monotonic() + limit_s
        while self.booth_waiting() and time.monotonic() < give_up:
            time.sleep(0.0005)
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
