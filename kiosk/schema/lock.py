"""One maintenance run at a time per database.

peewee-migrate has no lock: two runs started together both apply the same
migration. An OS lock on a file beside the database serialises them, and the
kernel releases it when the holder dies, so a killed run never blocks the next.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path

from .. import owner_only
from ..errors import ErrorCode, KioskError


class LockBusy(KioskError):
    exit_code = 3
    code = ErrorCode.LOCKED


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


# PostgreSQL: one key for "a kiosk maintenance run" (the bytes of b"kioskmnt").
# Advisory locks are scoped to the current database, so sites sharing a server
# with several kiosk databases do not block each other.
ADVISORY_KEY = 0x6B696F736B6D6E74


@contextlib.contextmanager
def advisory_lock(database, wait_seconds: float = 60.0, on_wait=None):
    """Hold a session-level advisory lock on a PostgreSQL database; wait up to `wait_seconds`.

    The server releases it if the session dies, so a killed run never blocks the next.
    Polled with pg_try_advisory_lock so the wait is bounded and can name the holder.
    """
    deadline = time.monotonic() + wait_seconds
    told = False
    while not database.execute_sql("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()[0]:
        if time.monotonic() >= deadline:
            raise LockBusy(
                f"another maintenance run holds the database's maintenance lock ({_pg_holder(database)}): "
                "wait for it to finish and try again"
            )
        if on_wait and not told:
            on_wait(f"waiting for another maintenance run ({_pg_holder(database)}) ...")
            told = True
        time.sleep(0.05)
    try:
        yield
    finally:
        try:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
        except Exception:  # a broken session has lost the lock already; keep the real error
            pass


def _pg_holder(database) -> str:
    row = database.execute_sql(
        "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1",
        (ADVISORY_KEY,),
    ).fetchone()
    if not row:
        return "unknown session"
    return f"pid {row[0]}, {row[1] or 'no application name'}"
