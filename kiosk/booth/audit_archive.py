"""Archiving: audit rows older than archive_days move to audit_logs_archive, in batches.

The runs themselves (batches, pace, the record in lifecycle_runs) are expiry's: kiosk.booth.retention.
Each row ends up in exactly one table: the copy and the delete take the same rows in one transaction.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from ..models import AuditLog, AuditLogArchive
from .config import read_config
from .context import Context
from .pace import Pace
from .results import RunReport
from .retention import Batch, Progress, RowLockJob, ShouldStop, check_callbacks, pace_for, run_job, run_statements
from .sql import ts
from .worker_session import WorkerSession

AUDIT_COLUMNS: list[pw.Field] = [AuditLog.id, AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.timestamp,
                                 AuditLog.details, AuditLog.staff_id, AuditLog.approver_id, AuditLog.origin]


# Archiving goes oldest first on idx_audit_logs_timestamp: the n-th due row bounds a statement,
# and the copy and the delete take exactly the rows up to it (the index order is total).
_NTH_DUE = "SELECT timestamp, id FROM audit_logs WHERE timestamp < ? ORDER BY timestamp, id LIMIT 1 OFFSET ?"
_LAST_DUE = "SELECT timestamp, id FROM audit_logs WHERE timestamp < ? ORDER BY timestamp DESC, id DESC LIMIT 1"
_FIRST_DUE = "SELECT id FROM audit_logs WHERE timestamp < ? ORDER BY timestamp, id LIMIT 1"
_UP_TO = "timestamp <= ? AND (timestamp, id) <= (?, ?)"
_COLUMNS = "id, action, entity, entity_id, timestamp, details, staff_id, approver_id, origin"
_COPY = f"INSERT INTO audit_logs_archive ({_COLUMNS}) SELECT {_COLUMNS} FROM audit_logs WHERE {_UP_TO}"
_DELETE = f"DELETE FROM audit_logs WHERE {_UP_TO}"


class _SqliteArchive:
    def __init__(self, ctx: Context, cutoff: dt.datetime, booth: str):
        self.ctx, self.cutoff, self.booth = ctx, cutoff, booth
        self.finished = False

    def prepare(self) -> int:
        return AuditLog.select().where(AuditLog.timestamp < self.cutoff).count()

    def batch(self, pace: Pace, session: WorkerSession | None) -> Batch:
        db, cutoff = self.ctx.db, ts(self.cutoff)
        first = db.execute_sql(_FIRST_DUE, (cutoff,)).fetchone()
        if first is None:
            return Batch(0, 0, True)
        last = {}

        def step(n):
            bound = db.execute_sql(_NTH_DUE, (cutoff, max(1, n) - 1)).fetchone()
            done = bound is None  # fewer than n rows are due: this statement takes the rest
            if done:
                bound = db.execute_sql(_LAST_DUE, (cutoff,)).fetchone()
                if bound is None:
                    return 0, 0, True
            args = (bound[0], bound[0], bound[1])
            # The same rows for the copy and the delete, in one transaction: each ends up in exactly one table.
            copied = db.execute_sql(_COPY, args).rowcount
            deleted = db.execute_sql(_DELETE, args).rowcount
            if copied != deleted:
                raise RuntimeError(f"archive batch copied {copied} rows but deleted {deleted}: undone")
            last["id"] = bound[1]
            return deleted, deleted, done

        b = run_statements(pace, session, step)
        if b.rows:
            self.ctx.audit("archive", "audit_logs", f"{first[0]}-{last['id']}", booth=self.booth,
                           count=b.rows, cutoff=f"{self.cutoff:%Y-%m-%d %H:%M:%S}")
        return b

    def committed(self, b: Batch) -> None:
        self.finished = b.done


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


def archive(ctx: Context, batch_size=None, progress: Progress = None, should_stop: ShouldStop = None) -> RunReport:
    check_callbacks(progress, should_stop)
    cfg = read_config(ctx)
    pace = pace_for(ctx, batch_size, cfg.archive_batch_size)
    cutoff = ctx.now() - dt.timedelta(days=cfg.archive_days)
    due = lambda: AuditLog.select().where(AuditLog.timestamp < cutoff).count()  # noqa: E731
    job = (_SqliteArchive(ctx, cutoff, cfg.booth_name) if ctx.backend.single_writer
           else RowLockJob(ctx, cutoff, _archive_batch, due))
    return run_job(ctx, "archive", cutoff, job, pace, progress, should_stop, due, 0, cfg.booth_name)
