"""Retention: expiry of personal data, and the batched runs it shares with archiving of old audit
rows (kiosk.booth.audit_archive).

Both work in batches, one short write transaction each, so booths keep
registering while they run, and a kill at any moment loses nothing: a batch is
committed whole or not at all, with its audit row. Between batches they call
`should_stop()` (stop cleanly) and `progress(done, total)`. Each run is recorded
in lifecycle_runs.

Expiry selects exactly the rows of the plan's cleanup
`DELETE FROM vehicles WHERE entry_timestamp < datetime('now', '-N hours')`
that are closed (no open stay) and still hold personal data, and instead of
deleting them (payments reference them) it removes the personal data:
plate -> '~<id>' (never a valid plate), contact name and phone -> ''.
A stay's own personal data goes once the stay is closed and its entry is older than
the retention: its note (stays.note, `expired_notes`) and its receipt file
(kiosk.booth.receipts). That covers every stay of a purged vehicle, and also the
earlier stays of a plate that keeps coming back. A drive-off's debt is not personal
data: it stays, linked to the anonymised vehicle (kiosk.booth.debts). Staff accounts disabled for longer
than staff_retention_days are reduced to their id (kiosk.booth.staff.expired_staff).
A vehicle or staff account under a legal hold (kiosk.booth.holds) keeps all of it, its stays' notes and
receipts included; the check is inside each purge statement, so a hold committed during a run wins
over its next batch. A run counts what holds kept (`held`).

How big a batch is (kiosk.booth.pace): pinned to a row count when the caller
gives one, otherwise sized by time (~20 ms). On SQLite a batch is several short
statements, and a booth that starts waiting for the write lock (kiosk.backends.intent)
gets it at once: between two statements the worker commits what it has; inside
one, the statement is interrupted and the batch rolled back, to be done again
after the booth. The worker's connection commits without fsync and checkpoints
the WAL itself (kiosk.booth.worker_session); the run's record is committed with
a full sync. PostgreSQL needs none of that (row locks, SKIP LOCKED): one
statement per batch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from dataclasses import dataclass, replace
from typing import Callable

import peewee as pw

from ..models import LifecycleRun, Stay, Vehicle
from . import receipts, staff, tx
from .holds import HELD_VEHICLE_SQL, held_vehicle, held_vehicles
from .config import read_config
from .context import Context
from .errors import BoothError
from .pace import Pace
from .results import RunReport, StayStatus
from .sql import Insert, Statement, ts
from .validate import parse_int
from .worker_session import WorkerSession

Progress = Callable[[int, int], None] | None
ShouldStop = Callable[[], bool] | None
# Both dialects, run on every call: plain SQL (kiosk.booth.sql), not peewee's ~0.3 ms of SQL building.
_OVERSTAYS = Statement(f"SELECT COUNT(*) FROM stays WHERE status = '{StayStatus.OPEN}' AND entry_timestamp < ?")
_RECORD = Insert("INSERT INTO lifecycle_runs (kind, status, started_at, finished_at, cutoff, rows_done, batches, "
                 "batch_size, duration_ms, longest_tx_ms, booth_name, message, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

# What expiry may purge is defined once, here: `expirable` and `expired_notes`. The row-lock
# path runs them as they are; the single-writer fast path (`_DUE` below, plain SQL) and the
# partial index idx_vehicles_unpurged_entry (WHERE purged_at IS NULL) are pinned to them by
# tests/test_booth_retention_rule.py, on both databases.
def _holds_due_data(cutoff: dt.datetime):
    """The plan's WHERE on a vehicle that still holds personal data (the partial index's rows)."""
    return (Vehicle.entry_timestamp < cutoff) & Vehicle.purged_at.is_null()


def _closed_and_due(cutoff: dt.datetime):
    open_stay = Stay.select(Stay.id).where((Stay.vehicle == Vehicle.id) & (Stay.status == StayStatus.OPEN))
    return _holds_due_data(cutoff) & ~pw.fn.EXISTS(open_stay)


def expirable(cutoff: dt.datetime):
    """Vehicles whose personal data is due: the plan's WHERE, closed, not yet purged, not held."""
    return Vehicle.select(Vehicle.id).where(_closed_and_due(cutoff) & ~held_vehicle(Vehicle.id))


def _note_expired(cutoff: dt.datetime):
    return Stay.note.is_null(False) & (Stay.entry_timestamp < cutoff) & (Stay.status != StayStatus.OPEN)


def _note_due(cutoff: dt.datetime):
    return _note_expired(cutoff) & ~held_vehicle(Stay.vehicle)


def expired_notes(cutoff: dt.datetime):
    """Stays whose note is due: closed, entered before the cutoff (served by idx_stays_note), vehicle not held."""
    return Stay.select(Stay.id).where(_note_due(cutoff))


def held_back(cutoff: dt.datetime) -> int:
    """Vehicles a hold keeps although their details or a stay's note are due (what a run skips).
    Read from the holds in force (few), never by scanning the vehicles."""
    note = Stay.select(Stay.id).where((Stay.vehicle == Vehicle.id) & _note_expired(cutoff))
    return Vehicle.select(Vehicle.id).where(Vehicle.id.in_(held_vehicles())
                                            & (_closed_and_due(cutoff) | pw.fn.EXISTS(note))).count()


def _clear_notes(ctx: Context, cutoff: dt.datetime, booth: str) -> int:
    """One short transaction, on both dialects: notes are few (one per refund or closed overstay)."""

    def change() -> int:
        ids = sorted(r.id for r in ctx.backend.locked(expired_notes(cutoff), skip_locked=True))
        if not ids:
            return 0
        done = Stay.update(note=None).where(Stay.id.in_(ids) & _note_due(cutoff)).execute()
        ctx.audit("expire", "stays", f"{ids[0]}-{ids[-1]}", booth=booth, notes=done,
                  cutoff=f"{cutoff:%Y-%m-%d %H:%M:%S}")
        return done

    return tx.write(ctx.db, change, worker=True)


def expiry_preview(ctx: Context, retention_hours) -> int:
    hours = parse_int(retention_hours, "retention_hours", 1, 8760, "retention (hours)")
    return expirable(ctx.now() - dt.timedelta(hours=hours)).count()


@dataclass
class Batch:
    rows: int  # rows purged or archived
    seen: int  # rows the batch went through (what its size counts)
    done: bool  # nothing is left after it
    end: int = 0  # expiry on SQLite: where the next batch starts in the candidate list


# ------------------------------------------------------------ single-writer databases (SQLite)
# Plain SQL: the statements run many times per batch, and peewee spends ~0.3 ms building
# each one (docs/performance.md). `?` parameters; the plans are in bench/results.
_OPEN_STAY = f"NOT EXISTS (SELECT 1 FROM stays AS s WHERE s.vehicle_id = v.id AND s.status = '{StayStatus.OPEN}')"
# Read once per run from the partial index idx_vehicles_unpurged_entry alone (only rows still holding
# data; the cars still on site among them are the overstays, skipped by the purge's own WHERE).
_CANDIDATES = "SELECT v.id FROM vehicles AS v WHERE v.purged_at IS NULL AND v.entry_timestamp < ?"
_CANDIDATE_LIST = _CANDIDATES.replace("SELECT v.id", "SELECT json_group_array(v.id)", 1)
# ...then purged in id order, a range of the list per statement: neighbouring ids share table
# pages, so a batch rewrites far fewer pages than in entry order (random ids at full size).
# `expirable` in plain SQL, on `vehicles AS v`, one parameter: the cutoff. The hold is checked in the
# purge statement itself: a hold committed after the candidates were read still wins.
_DUE = f"v.purged_at IS NULL AND v.entry_timestamp < ? AND {_OPEN_STAY} AND NOT {HELD_VEHICLE_SQL}"
_PURGE = ("UPDATE vehicles AS v SET number_plate = '~' || v.id, contact_name = '', phone_number = '', "
          f"purged_at = ?, updated_at = ? WHERE v.id BETWEEN ? AND ? AND {_DUE}")


def run_statements(pace: Pace, session: WorkerSession | None, step: Callable[[int], tuple[int, int, bool]]) -> Batch:
    """One batch: statements of pace.chunk() rows until the batch is full, a booth waits, or nothing is left."""
    t0 = time.perf_counter()
    rows = seen = 0
    with session.statements(not pace.pinned) if session is not None else contextlib.nullcontext():
        while True:
            t = time.perf_counter()
            changed, looked_at, done = step(pace.chunk(seen))
            pace.observe_chunk(looked_at, time.perf_counter() - t)
            rows, seen = rows + changed, seen + looked_at
            if done or pace.batch_full(seen, time.perf_counter() - t0):
                return Batch(rows, seen, done)
            if session is not None and session.booth_waiting():
                return Batch(rows, seen, done)  # committed at once: the booth goes next


class _SqliteExpiry:
    def __init__(self, ctx: Context, cutoff: dt.datetime, booth: str, overstays: int):
        self.ctx, self.cutoff, self.booth, self.overstays = ctx, cutoff, booth, overstays
        self.ids: list[int] = []
        self.next = 0

    def prepare(self) -> int:
        cutoff = (ts(self.cutoff),)
        try:  # one JSON text instead of a row per id: ~40% quicker for 40,000 ids
            self.ids = sorted(json.loads(self.ctx.db.execute_sql(_CANDIDATE_LIST, cutoff).fetchone()[0]))
        except pw.OperationalError:  # an SQLite built without its JSON functions
            self.ids = sorted(r[0] for r in self.ctx.db.execute_sql(_CANDIDATES, cutoff))
        # Cars on site since before the cutoff and held rows are never purged.
        return max(0, len(self.ids) - self.overstays - held_back(self.cutoff))

    @property
    def finished(self) -> bool:
        return self.next >= len(self.ids)

    def batch(self, pace: Pace, session: WorkerSession | None) -> Batch:
        start = pos = self.next  # the list only advances once the batch is committed (a retry starts over)
        now, cutoff = ts(self.ctx.now()), ts(self.cutoff)

        def step(n):
            nonlocal pos
            end = min(pos + max(1, n), len(self.ids))
            cur = self.ctx.db.execute_sql(_PURGE, (now, now, self.ids[pos], self.ids[end - 1], cutoff))
            seen, pos = end - pos, end
            return cur.rowcount, seen, end >= len(self.ids)

        b = run_statements(pace, session, step)
        if b.rows:
            self.ctx.audit("expire", "vehicles", f"{self.ids[start]}-{self.ids[pos - 1]}", booth=self.booth,
                           count=b.rows, cutoff=f"{self.cutoff:%Y-%m-%d %H:%M:%S}")
        b.end = pos
        return b

    def committed(self, b: Batch) -> None:
        self.next = b.end


# ------------------------------------------------------------ row-lock databases (PostgreSQL)
def _expire_batch(ctx: Context, cutoff: dt.datetime, size: int) -> int:
    # Oldest first, in the order of the partial index idx_vehicles_unpurged_entry.
    # The batch's rows are locked; a row a booth is re-registering right now is
    # skipped (left for the next run), so expiry never waits for a booth nor purges a car on site.
    query = expirable(cutoff).order_by(Vehicle.entry_timestamp, Vehicle.id).limit(size)
    ids = sorted(r.id for r in ctx.backend.locked(query, skip_locked=True))
    if not ids:
        return 0
    now = ctx.now()
    token = pw.Value("~").concat(pw.Cast(Vehicle.id, "TEXT"))
    # The hold again in the statement: one placed since the select (it waited for these row locks) wins.
    done = (Vehicle.update(number_plate=token, contact_name="", phone_number="", purged_at=now, updated_at=now)
            .where(Vehicle.id.in_(ids) & _holds_due_data(cutoff) & ~held_vehicle(Vehicle.id)).execute())
    ctx.audit("expire", "vehicles", f"{ids[0]}-{ids[-1]}", count=done, cutoff=f"{cutoff:%Y-%m-%d %H:%M:%S}")
    return done


class RowLockJob:
    """One statement per batch, rows locked (SKIP LOCKED) by the batch: PostgreSQL and any other
    database that is not single-writer."""

    def __init__(self, ctx: Context, cutoff: dt.datetime, batch: Callable, total: Callable[[], int]):
        self.ctx, self.cutoff, self._batch, self._total = ctx, cutoff, batch, total
        self.finished = False

    def prepare(self) -> int:
        return self._total()

    def batch(self, pace: Pace, session: None) -> Batch:
        size = pace.whole_batch()
        t = time.perf_counter()
        n = self._batch(self.ctx, self.cutoff, size)
        pace.observe_chunk(n, time.perf_counter() - t)
        return Batch(n, n, n < size)

    def committed(self, b: Batch) -> None:
        self.finished = b.done


# ------------------------------------------------------------------------------------ runs
def check_callbacks(progress, should_stop) -> None:
    for name, fn in (("progress", progress), ("should_stop", should_stop)):
        if fn is not None and not callable(fn):
            raise BoothError(f"{name} must be a function or None", field=name)


def run_job(ctx: Context, kind: str, cutoff: dt.datetime, job, pace: Pace, progress: Progress,
         should_stop: ShouldStop, remaining: Callable[[], int], overstays: int, booth: str,
         kept: Callable[[], int] = lambda: 0) -> RunReport:
    started, t0 = ctx.now(), time.perf_counter()
    rows = batches = longest = 0
    status, message = "done", ""
    try:
        with WorkerSession(ctx.db) if ctx.backend.single_writer else contextlib.nullcontext() as session:
            total = job.prepare()
            while True:
                if should_stop is not None and should_stop():
                    status, message = "stopped", "stopped on request between batches"
                    break
                if job.finished:
                    break
                held = {}

                def one():
                    held["t"] = time.perf_counter()  # noqa: B023 (called in this iteration) - the write lock is held from here to the commit
                    return job.batch(pace, session)

                try:
                    b = tx.write(ctx.db, one, worker=True)
                except pw.OperationalError as exc:
                    if session is None or not session.interrupted(exc):
                        raise
                    pace.interrupted()  # rolled back for a booth: after it, the same rows again, in less time
                    session.let_booths_in()
                    continue
                longest = max(longest, round((time.perf_counter() - held["t"]) * 1000))
                job.committed(b)
                pace.observe_batch(b.seen)
                if session is not None:
                    session.after_batch(b.seen, job.finished, pace)
                if b.rows:
                    rows, batches = rows + b.rows, batches + 1
                    if progress is not None:
                        progress(rows, max(total, rows))
    except Exception as exc:
        status, message = "failed", " ".join(str(exc).split())[:300] or type(exc).__name__
        try:
            _record(ctx, kind, status, started, cutoff, rows, batches, pace.largest or pace.room(), t0, longest,
                    message, booth, kept())
        except Exception:  # noqa: BLE001 - e.g. the disk is still full: the run's own error is the one to report
            pass
        raise
    left = remaining() if status != "done" else 0
    size = pace.largest or pace.room()
    # Outside the session: synchronous is FULL again, so the record (and every batch before it) is durable.
    skipped = kept()  # after the batches: a hold placed during the run counts too
    run_id = _record(ctx, kind, status, started, cutoff, rows, batches, size, t0, longest, message, booth, skipped)
    return RunReport(kind=kind, status=status, rows=rows, batches=batches, batch_size=size,
                     duration_ms=round((time.perf_counter() - t0) * 1000), longest_tx_ms=longest, started_at=started,
                     finished_at=ctx.now(), cutoff=cutoff, remaining=left, overstays=overstays, message=message,
                     run_id=run_id, held=skipped)


def _record(ctx, kind, status, started, cutoff, rows, batches, size, t0, longest, message, booth, held) -> int:
    return ctx.write(lambda: _RECORD.new_id(ctx.db, (
        kind, status, ts(started), ts(ctx.now()), ts(cutoff), rows, batches, size,
        round((time.perf_counter() - t0) * 1000), longest, booth, message or None, held)))


def pace_for(ctx: Context, batch_size, configured: int) -> Pace:
    if batch_size is not None:
        return Pace(pinned=parse_int(batch_size, "batch_size", 1, 100_000, "batch size"))
    return Pace(start=configured) if ctx.auto_size else Pace(pinned=configured)


def expire(ctx: Context, batch_size=None, progress: Progress = None, should_stop: ShouldStop = None) -> RunReport:
    check_callbacks(progress, should_stop)
    cfg = read_config(ctx)
    pace = pace_for(ctx, batch_size, cfg.expiry_batch_size)
    cutoff = ctx.now() - dt.timedelta(hours=cfg.retention_hours)
    counted = _OVERSTAYS.one(ctx.db, (ts(cutoff),))
    assert counted is not None  # COUNT(*) returns one row
    overstays = counted[0]
    count = lambda: expirable(cutoff).count()  # noqa: E731
    staff_cutoff = ctx.now() - dt.timedelta(days=cfg.staff_retention_days)
    held = lambda: held_back(cutoff) + staff.held_accounts(staff_cutoff)  # noqa: E731
    job = (_SqliteExpiry(ctx, cutoff, cfg.booth_name, overstays) if ctx.backend.single_writer
           else RowLockJob(ctx, cutoff, _expire_batch, count))
    notes = _clear_notes(ctx, cutoff, cfg.booth_name)
    # Staff accounts: their own period, counted from when they were disabled (kiosk.booth.staff).
    accounts = staff.purge_expired(ctx, staff_cutoff)
    report = run_job(ctx, "expire", cutoff, job, pace, progress, should_stop, count, overstays, cfg.booth_name, held)
    # Files are not transactional: deleted after the rows are committed. A run that stops
    # here leaves them for the next run, which finds them again by their stay.
    files = receipts.delete_expired(ctx.db, ctx.receipts_dir, cutoff) if report.status == "done" else 0
    return replace(report, notes=notes, receipts=files, staff=accounts)


def last_runs(ctx: Context, limit=10) -> list[RunReport]:
    limit = parse_int(limit, "limit", 1, 1000)
    rows = LifecycleRun.select().order_by(LifecycleRun.id.desc()).limit(limit)
    return [RunReport(kind=r.kind, status=r.status, rows=r.rows_done, batches=r.batches, batch_size=r.batch_size,
                      duration_ms=r.duration_ms, longest_tx_ms=r.longest_tx_ms, started_at=r.started_at,
                      finished_at=r.finished_at, cutoff=r.cutoff, message=r.message or "", run_id=r.id, held=r.held)
            for r in rows]
