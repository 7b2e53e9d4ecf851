"""The expiry/archive worker's SQLite connection for one run, and how it hands the write lock over.

- No fsync per batch (`synchronous=NORMAL`, in WAL mode only). A batch lost in a power
  cut is redone by the next run (the runs are idempotent); a kill -9 loses nothing
  committed in WAL mode whatever the setting. The first booth commit after a batch
  (FULL, kiosk.db) makes it durable, and the run's record is written after the
  session, with FULL again.
- Its own checkpoints (`wal_autocheckpoint=0`): PASSIVE, at the start of the run and
  between batches whenever the next batch would take the WAL past its budget
  (kiosk.booth.pace: below the booths' 1000-page auto-checkpoint), outside any
  transaction and once waiting booths are through, so the WAL it grows never lands
  on a booth's commit. The pages per row each checkpoint finds size the next batches.
- The page cache stays SQLite's default (2 MB): a batch is capped at 400 WAL pages, and
  a bigger cache only made the commit a waiting booth sits behind bigger (all dirty
  pages written at once instead of spilled during the batch).
- The intent probe (kiosk.backends.intent): is a booth waiting for the lock right now?
  Between two statements of a batch the worker then commits what it has; inside a
  statement a progress handler looks too (every few tens of microseconds, at most
  every PROBE_EVERY_S) and aborts the statement, which rolls the whole batch back
  (SQLite does that for an interrupted write), so the booth waits for a rollback
  instead of the rest of a statement and a commit; the batch is done again after the
  booth, smaller (kiosk.booth.pace). Never during the audit row or the commit.
- An overrun guard, the same way: a batch still in its statements OVERRUN_S after it
  began (the disk stalled, or its pages were not in memory) is rolled back and done
  again smaller, so no transaction holds the lock near the 100 ms bound; the rows it
  read are in memory by then. After OVERRUNS_IN_A_ROW such retries the next batch is
  let through, so a disk that is slow for good still makes progress.

The settings are this connection's only, set at the start of a run and put back at
its end (also on failure), so they never reach a booth's connection; if they cannot
be put back the connection is closed, and the next use opens one with the defaults.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Iterator

import peewee as pw

from ..backends import intent
from .pace import Pace

PRAGMAS = {"synchronous": 1, "wal_autocheckpoint": 0}
YIELD_LIMIT_S = 2.0  # after that the worker goes on: a booth stuck that long is not waiting for it
PROGRESS_EVERY = 1000  # SQLite VM instructions between two calls of the progress handler
PROBE_EVERY_S = 0.0002  # ...which probes the intent lock at most this often
OVERRUN_S = 0.06  # a batch's statements running longer than this are rolled back and done again smaller
OVERRUNS_IN_A_ROW = 3  # ...but not more often than this in a row


class WorkerSession:
    def __init__(self, db: pw.Database):
        self.db = db
        self.saved: dict[str, int] = {}  # PRAGMA values to put back
        self.probe: intent.Probe | None = None
        self._rows = 0  # rows the worker went through since the WAL last started over
        self._armed, self._interrupted, self._last_probe = False, False, 0.0
        self._began = 0.0  # when the current batch's statements began
        self.overruns = 0  # batches rolled back in a row for running too long
        self._overran = False
        self._raw: sqlite3.Connection | None = None  # the driver's connection, for its progress handler

    def __enter__(self) -> "WorkerSession":
        try:
            if str(self.db.execute_sql("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                for name, value in PRAGMAS.items():
                    self.saved[name] = self.db.execute_sql(f"PRAGMA {name}").fetchone()[0]
                    self.db.execute_sql(f"PRAGMA {name} = {value}")
            self.probe = intent.Probe(self.db)
            self._raw = self.db.connection()
            self._raw.set_progress_handler(self._on_progress, PROGRESS_EVERY)
            self._checkpoint()  # the run starts on an empty WAL (booths' pages written back)
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.probe is not None:
            self.probe.close()
        self._restore()

    def _restore(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(Exception):  # a closed connection has no handler left anyway
                self._raw.set_progress_handler(None, 0)
            self._raw = None
        try:
            for name, value in reversed(self.saved.items()):
                self.db.execute_sql(f"PRAGMA {name} = {int(value)}")
        except Exception:  # noqa: BLE001 - never leave a booth a connection without fsync
            self.db.close()
        self.saved.clear()

    def booth_waiting(self) -> bool:
        return self.probe is not None and self.probe.booth_waiting()

    @contextlib.contextmanager
    def statements(self, interruptible: bool = True) -> Iterator[None]:
        """A batch's statements: a booth that starts waiting meanwhile interrupts them (unless the
        batch size is pinned: then the booth waits for the batch, as the caller asked)."""
        self._armed, self._interrupted, self._overran = interruptible, False, False
        self._began = time.perf_counter()
        try:
            yield
        finally:
            self._armed = False
        self.overruns = 0  # the batch's statements got through

    def interrupted(self, exc: BaseException) -> bool:
        """Was `exc` this session's own interruption, the batch rolled back for a booth?

        (peewee then reports its own ROLLBACK failing, "no transaction is active", since
        SQLite has rolled back already: what counts is that the handler fired and no
        transaction is left open.)"""
        hit, self._interrupted = self._interrupted, False
        if hit and self._overran:
            self.overruns += 1
        return hit and isinstance(exc, pw.OperationalError) and self._raw is not None and not self._raw.in_transaction

    def _on_progress(self) -> int:
        if not self._armed:
            return 0
        try:
            now = time.perf_counter()
            if now - self._last_probe < PROBE_EVERY_S:
                return 0
            self._last_probe = now
            if self.booth_waiting():
                self._interrupted = True
                return 1  # SQLite aborts the statement with SQLITE_INTERRUPT and rolls the batch back
            if now - self._began > OVERRUN_S and self.overruns < OVERRUNS_IN_A_ROW:
                self._interrupted = self._overran = True
                return 1
        except Exception:  # noqa: BLE001 - a probe that fails must not abort the worker's statement
            pass
        return 0

    def let_booths_in(self) -> None:
        if self.probe is not None:
            self.probe.wait_for_booths(YIELD_LIMIT_S)

    def after_batch(self, seen: int, done: bool, pace: Pace) -> None:
        """Between batches: let waiting booths write first, then checkpoint if the next batch needs the room."""
        self.let_booths_in()
        self._rows += seen
        if done or pace.wal_room(self._rows * (pace.frames_per_row or 0)):
            return  # what is left in the WAL is below the booths' auto-checkpoint, so theirs as usual
        log, complete = self._checkpoint()
        if log > 0 and self._rows:
            # Booths' pages count too: an over-estimate, so batches err on the small side.
            pace.frames_per_row = log / self._rows
        if complete:
            self._rows = 0

    def _checkpoint(self) -> tuple[int, bool]:
        """PASSIVE (never waits for anyone): (pages in the WAL, all of them written back)."""
        _busy, log, done = self.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return max(log, 0), done >= log
