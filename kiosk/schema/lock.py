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

from ..errors import KioskError


class LockBusy(KioskError):
    exit_code = 3


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextlib.contextmanager
def file_lock(db_path: Path, wait_seconds: float = 60.0, on_wait=None):
    """Hold an exclusive flock beside the database; wait up to `wait_seconds`."""
    path = lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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
