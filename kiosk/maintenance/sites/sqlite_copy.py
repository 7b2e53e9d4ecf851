"""The pre-flight integrity check and the backup's copy in one pass: the file copied byte for byte while
it is checked, so one check serves both (docs/performance.md, "The maintenance window").

Why this is as strong as checking the source and then the copy: the copy is proven to hold the
source's bytes (read back and compared after fsync, the two header bytes that say "WAL" aside), and
the source cannot change from the check to the end of the copy: the WAL is checkpointed into the
file first, and a read transaction held from then on stops any checkpoint from writing the file
(writes could only reach the WAL, and a WAL that is no longer empty at the end voids the copy).
So the copy's pages are the very pages the check read. The row counts come from the same snapshot.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ... import owner_only
from .. import facts, retention
from . import sqlite_check

CHUNK = 64 * 1024 * 1024
Progress = Callable[[int, int], None]


class Unusable(Exception):
    """The copy cannot be made this way (e.g. a reader keeps the WAL busy): take an ordinary backup."""


@dataclass
class Pending:
    """A verified copy under a hidden name, waiting for the pre-flight to pass; `close()` releases the file."""

    tmp: Path
    source: Path
    report: sqlite_check.Report
    counts: dict[str, int]
    limit: retention.Limit
    definitions: dict[str, str]
    pin: sqlite3.Connection | None = field(default=None, repr=False)
    made_folder: bool = False  # the backups folder was made for this copy: removed with it if left empty

    def still_current(self) -> bool:
        """Nothing was written since the copy: still pinned, and the WAL still empty."""
        return self.pin is not None and sqlite_check.wal_empty(self.source)

    def close(self) -> None:
        if self.pin is not None:
            with contextlib.suppress(sqlite3.Error):
                self.pin.close()
            self.pin = None

    def discard(self) -> None:
        self.close()
        for p in (self.tmp, self.tmp.with_name(self.tmp.name + "-journal")):
            with contextlib.suppress(OSError):
                p.unlink()
        if self.made_folder:
            with contextlib.suppress(OSError):
                self.tmp.parent.rmdir()


def checked_copy(db_path: Path, tmp: Path, progress: Progress | None = None) -> Pending:
    """Check `db_path` (sqlite_check.check) while copying it to `tmp`; the copy is kept only if it is verified.

    Raises Unusable when the WAL cannot be emptied first; OSError from writing the copy (disk full...).
    """
    writer = sqlite3.connect(db_path, isolation_level=None, timeout=5)
    try:
        busy, _log, _done = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        writer.close()
    if busy:
        raise Unusable("the WAL could not be checkpointed (another connection is reading)")
    pin = facts.open_ro(db_path)
    stop = threading.Event()
    try:
        pin.execute("BEGIN")
        counts = facts.row_counts(pin)  # also takes the read lock that keeps checkpoints off the file
        limit = retention.limit_of_sqlite(pin)
        definitions = sqlite_check.definitions(pin)
        pending = Pending(tmp, db_path, sqlite_check.Report(), counts, limit, definitions, pin)
        owner_only.create_new(tmp)  # 0600 before a byte of personal data is in it
        with ThreadPoolExecutor(1) as copier:
            copied = copier.submit(_copy_and_compare, db_path, tmp, progress, stop)
            try:
                pending.report = sqlite_check.check(db_path, stop=stop, rows=counts)
            except BaseException:
                stop.set()  # interrupted (Ctrl-C) or failed: the copy stops at its next chunk
                raise
            if not pending.report.ok:
                stop.set()  # a damaged file: no reason to finish its copy
            with contextlib.suppress(sqlite_check.Stopped):
                copied.result()
        if not pending.still_current():
            raise Unusable("the database was written to while it was copied")
        return pending
    except BaseException:
        stop.set()
        pin.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _copy_and_compare(source: Path, tmp: Path, progress: Progress | None, stop: threading.Event) -> None:
    total = source.stat().st_size
    with open(source, "rb") as src, open(tmp, "r+b") as dst:
        done = 0
        while done < total:
            if stop.is_set():
                raise sqlite_check.Stopped()
            n = os.copy_file_range(src.fileno(), dst.fileno(), min(CHUNK, total - done), done, done)
            if n == 0:
                break
            done += n
            if progress is not None:
                progress(done, total)
        dst.truncate(done)
        # A standalone file, as `PRAGMA journal_mode=DELETE` leaves it (it writes these two bytes and
        # nothing else): no -wal beside it to lose when it is moved or copied.
        dst.seek(sqlite_check.HEADER_FORMAT_BYTES.start)
        dst.write(b"\x01\x01")
        dst.flush()
        os.fsync(dst.fileno())
    differs = sqlite_check.changed_pages(tmp, source, stop)
    if differs or tmp.stat().st_size != total:
        raise OSError(f"the copy differs from the database at page {differs[0] if differs else 'end'}")
