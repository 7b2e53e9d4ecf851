"""Data lifecycle: expiry of personal data (retention) and archiving of old audit rows.

Both work in batches, one short write transaction each, so booths keep
registering while they run, and a kill at any moment loses nothing: a batch is
committed whole or not at all. Between batches they call `should_stop()` (stop
cleanly) and `progress(done, total)`. Each run is recorded in lifecycle_runs.

Expiry selects exactly the rows of the plan's cleanup
`DELETE FROM vehicles WHERE entry_timestamp < datetime('now', '-N hours')`
that are closed (no open stay) and still hold personal data, and instead of
deleting them (payments reference them) it removes the personal data:
plate -> '~<id>' (never a valid plate), contact name and phone -> ''.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Callable

import peewee as pw

from ..models import AuditLog, AuditLogArchive, LifecycleRun, Stay, Vehicle
from . import dialect, tx
from .config import read_config
from .context import Context
from .errors import BoothError
from .results import RunReport
from .validate import parse_int

Progress = Callable[[int, int], None] | None
ShouldStop = Callable[[], bool] | None
TARGET_TX_MS = 100  # a batch that held the write lock longer halves the batch size for the rest of the run
MIN_BATCH = 10
PAUSE_MIN_MS = 5
AUDIT_COLUMNS = [AuditLog.id, AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.timestamp, AuditLog.details]


def expirable(cutoff: dt.datetime):
    """Vehicles whose personal data is due: the plan's WHERE, closed, not yet purged."""
    open_stay = Stay.select(Stay.id).where((Stay.vehicle == Vehicle.id) & (Stay.status == "open"))
    return Vehicle.select(Vehicle.id).where(
        (Vehicle.entry_timestamp < cutoff) & Vehicle.purged_at.is_null() & ~pw.fn.EXISTS(open_stay)
    )


def expiry_preview(ctx: Context, retention_hours) -> int:
    hours = parse_int(retention_hours, "retention_hours", 1, 8760, "retention (hours)")
    return expirable(ctx.now() - dt.timedelta(hours=hours)).count()


def _expire_batch(ctx: Context, cutoff: dt.datetime, size: int) -> int:
    # Oldest first, in the order of the partial index idx_vehicles_unpurged_entry: ORDER BY id made
    # SQLite scan every vehicle from id 1 on each batch (quadratic; bench/ issue 8).
    # PostgreSQL: the batch's rows are locked; a row a booth is re-registering right now is
    # skipped (left for the next run), so expiry never waits for a booth nor purges a car on site.
    query = expirable(cutoff).order_by(Vehicle.entry_timestamp, Vehicle.id).limit(size)
    ids = sorted(r.id for r in dialect.locked(query, skip_locked=True))
    if not ids:
        return 0
    now = ctx.now()
    token = pw.Value("~").concat(pw.Cast(Vehicle.id, "TEXT"))
    done = (Vehicle.update(number_plate=token, contact_name="", phone_number="", purged_at=now, updated_at=now)
            .where(Vehicle.id.in_(ids) & Vehicle.purged_at.is_null() & (Vehicle.entry_timestamp < cutoff)).execute())
    ctx.audit("expire", "vehicles", f"{ids[0]}-{ids[-1]}", count=done, cutoff=f"{cutoff:%Y-%m-%d %H:%M:%S}")
    return done


def _archive_batch(ctx: Context, cutoff: dt.datetime, size: int) -> int:
    ids = [r.id for r in AuditLog.select(AuditLog.id).where(AuditLog.timestamp < cutoff).order_by(AuditLog.id).limit(size)]
    if not ids:
        return 0
    # The same WHERE for the copy and the delete, in one transaction: each row ends up in exactly one table.
    where = (AuditLog.timestamp < cutoff) & AuditLog.id.between(ids[0], ids[-1])
    copied = (AuditLogArchive.insert_from(AuditLog.select(*AUDIT_COLUMNS).where(where),
                                          fields=[getattr(AuditLogArchive, c.name) for c in AUDIT_COLUMNS])
              .as_rowcount().execute())
    deleted = AuditLog.delete().where(where).execute()
    if copied != deleted:
        raise RuntimeError(f"archive batch copied {copied} rows but deleted {deleted}: undone")
    ctx.audit("archive", "audit_logs", f"{ids[0]}-{ids[-1]}", count=deleted, cutoff=f"{cutoff:%Y-%m-%d %H:%M:%S}")
    return deleted


def _check_callbacks(progress, should_stop) -> None:
    for name, fn in (("progress", progress), ("should_stop", should_stop)):
        if fn is not None and not callable(fn):
            raise BoothError(f"{name} must be a function or None", field=name)


def _run(ctx: Context, kind: str, cutoff: dt.datetime, size: int, batch: Callable, total: int,
         progress: Progress, should_stop: ShouldStop, remaining: Callable[[], int], overstays: int) -> RunReport:
    started, t0 = ctx.now(), time.perf_counter()
    configured = size
    rows = batches = longest = 0
    status, message = "done", ""
    try:
        while True:
            if should_stop is not None and should_stop():
                status, message = "stopped", "stopped on request between batches"
                break
            held = {}

            def one():
                held["t"] = time.perf_counter()  # the write lock is held from here to the commit
                return batch(ctx, cutoff, size)

            n = ctx.write(one)
            took = round((time.perf_counter() - held["t"]) * 1000)
            longest = max(longest, took)
            if n == 0:
                break
            rows, batches = rows + n, batches + 1
            if progress is not None:
                progress(rows, max(total, rows))
            if n < size:
                break
            if tx.is_sqlite(ctx.db):
                # Checkpoint here, outside any transaction, so the WAL this run grows is not
                # left for a booth's next commit to checkpoint (that stalled a payment ~0.8 s).
                ctx.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
            # Leave the lock free for a while so booths waiting to write get in between batches.
            time.sleep(max(PAUSE_MIN_MS, took / 2) / 1000)
            if took > TARGET_TX_MS and size > MIN_BATCH:  # a slower disk than measured: keep booths waiting less
                size = max(MIN_BATCH, size // 2)
            elif took <= TARGET_TX_MS // 4 and size < configured:
                # ...and grow back once batches are quick again: one fsync stall (0.5 s seen on a VM) used to
                # halve the size for good, and at full size the run collapsed to 10-row batches (bench/, issue 8).
                size = min(configured, size * 2)
    except Exception as exc:
        status, message = "failed", " ".join(str(exc).split())[:300] or type(exc).__name__
        _record(ctx, kind, status, started, cutoff, rows, batches, size, t0, longest, message)
        raise
    left = remaining() if status != "done" else 0
    run_id = _record(ctx, kind, status, started, cutoff, rows, batches, size, t0, longest, message)
    return RunReport(kind=kind, status=status, rows=rows, batches=batches, batch_size=size,
                     duration_ms=round((time.perf_counter() - t0) * 1000), longest_tx_ms=longest, started_at=started,
                     finished_at=ctx.now(), cutoff=cutoff, remaining=left, overstays=overstays, message=message,
                     run_id=run_id)


def _record(ctx, kind, status, started, cutoff, rows, batches, size, t0, longest, message) -> int:
    return ctx.write(lambda: LifecycleRun.insert(
        kind=kind, status=status, started_at=started, finished_at=ctx.now(), cutoff=cutoff, rows_done=rows,
        batches=batches, batch_size=size, duration_ms=round((time.perf_counter() - t0) * 1000), longest_tx_ms=longest,
        booth_name=ctx.booth_name(), message=message or None).execute())


def expire(ctx: Context, batch_size=None, progress: Progress = None, should_stop: ShouldStop = None) -> RunReport:
    _check_callbacks(progress, should_stop)
    cfg = read_config(ctx)
    size = cfg.expiry_batch_size if batch_size is None else parse_int(batch_size, "batch_size", 1, 100_000, "batch size")
    cutoff = ctx.now() - dt.timedelta(hours=cfg.retention_hours)
    overstays = Stay.select().where((Stay.status == "open") & (Stay.entry_timestamp < cutoff)).count()
    return _run(ctx, "expire", cutoff, size, _expire_batch, expirable(cutoff).count(), progress, should_stop,
                lambda: expirable(cutoff).count(), overstays)


def archive(ctx: Context, batch_size=None, progress: Progress = None, should_stop: ShouldStop = None) -> RunReport:
    _check_callbacks(progress, should_stop)
    cfg = read_config(ctx)
    size = cfg.archive_batch_size if batch_size is None else parse_int(batch_size, "batch_size", 1, 100_000, "batch size")
    cutoff = ctx.now() - dt.timedelta(days=cfg.archive_days)
    due = lambda: AuditLog.select().where(AuditLog.timestamp < cutoff).count()  # noqa: E731
    return _run(ctx, "archive", cutoff, size, _archive_batch, due(), progress, should_stop, due, 0)


def last_runs(ctx: Context, limit=10) -> list[RunReport]:
    limit = parse_int(limit, "limit", 1, 1000)
    rows = LifecycleRun.select().order_by(LifecycleRun.id.desc()).limit(limit)
    return [RunReport(kind=r.kind, status=r.status, rows=r.rows_done, batches=r.batches, batch_size=r.batch_size,
                      duration_ms=r.duration_ms, longest_tx_ms=r.longest_tx_ms, started_at=r.started_at,
                      finished_at=r.finished_at, cutoff=r.cutoff, message=r.message or "", run_id=r.id) for r in rows]
