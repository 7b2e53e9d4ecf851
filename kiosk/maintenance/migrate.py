"""`migrate` and `rollback` with pre-flight, rehearsal, validation and a run record."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field

import peewee as pw

from ..backends import backend_for
from ..clock import Clock, SystemClock, to_sqlite_text
from ..db import Target
from ..errors import DiskFull, ErrorCode, KioskError, UsageError, is_disk_full
from ..schema import runner
from ..schema.files import MigrationFile, Version, format_version
from . import Refused, backup, plan_data, preflight, validate
from .runs import RunRecord, record, reserve
from .site_backup import backup_tool_for

log = logging.getLogger(__name__)  # the rehearsal's outcome, "nothing to do"; the CLI prints it


class ValidationFailed(KioskError):
    exit_code = 1
    code = ErrorCode.VALIDATION_FAILED


@dataclass
class Outcome:
    """What a run did; `exit_code` 0 ok, 4 warnings only (e.g. a skipped check)."""

    run: RunRecord
    steps: list[runner.Step] = field(default_factory=list)
    validation: validate.Validation | None = None
    backup: backup.Backup | None = None
    rehearsal_seconds: float | None = None
    recorded_in: str = ""
    data: list = field(default_factory=list)  # plan_data findings: what 1.5.0 makes of the plan-era rows

    @property
    def exit_code(self) -> int:
        return 4 if self.run.outcome == "warnings" else 0


def change_schema(
    target: Target,
    database: pw.Database,
    files: list[MigrationFile],
    goal: Version | None,
    *,
    direction: str,
    skip: set[str] = frozenset(),
    rehearse: bool = False,
    keep: int = backup.DEFAULT_KEEP,
    clock: Clock | None = None,
    progress=None,
) -> Outcome:
    """Run migrate (direction 'up') or rollback ('down') safely; see docs/operations.md."""
    clock = clock or SystemClock()
    started = time.perf_counter()
    run = RunRecord(command="migrate" if direction == "up" else "rollback", started_at=to_sqlite_text(clock.now()))
    out = Outcome(run)
    pre = preflight.Preflight(set(skip), run.command)
    run.skipped_checks = pre.skipped
    touched = False  # until the first version runs, a failure leaves the database byte for byte as it was
    try:
        with preflight.hold(target, database, pre):
            st = preflight.check_history(target, database if target.exists() else None, files, pre)
            run.from_version = format_version(st.schema_version)
            preflight.check_disk(target, pre, database=database)
            pre.refuse_if_failed()
            steps = runner.plan(database, goal, files)
            wrong = [s for s in steps if s.direction != direction]
            if wrong:
                other = "rollback" if direction == "up" else "migrate"
                raise UsageError(
                    f"the database is at {run.from_version}: use '{other} --to {format_version(goal)}' to get to {format_version(goal)}"
                )
            if not steps:
                run.to_version = run.from_version
                log.info(f"already at {run.from_version}: nothing to do")
                return _finish(target, database, out, pre, started)
            out.data = plan_data.check(database, steps, pre)
            pre.refuse_if_failed()
            run.rows_before = validate.row_counts(database)
            empty = not any(t not in validate.BOOKKEEPING for t in run.rows_before)
            if empty and "backup" not in pre.skip:
                pre.add("backup", True, "empty database, nothing to back up")
            else:
                preflight.take_backup(target, run.from_version, pre, keep=keep, clock=clock, progress=progress, database=database)
            out.backup = pre.taken
            run.backup_path = str(pre.taken.path) if pre.taken else None
            allowed = any(validate.deletes_rows(s.file) for s in steps)
            if rehearse:
                if pre.taken is None and not empty:
                    raise Refused("--rehearse needs the backup (do not skip it): the rehearsal runs on a copy of it; nothing was changed")
                out.rehearsal_seconds = _rehearse(target, pre.taken, files, goal, direction, allowed, database)
            final = goal if goal is not None else files[-1].version
            reserve(target, database, run)
            touched = True
            if direction == "up":
                out.steps = runner.migrate(target, database, final, clock=clock, files=files, locked=True)
            else:
                out.steps = runner.rollback(target, database, final, files=files, locked=True)
            run.to_version = format_version(runner.status(target, database, files).schema_version)
            out.validation = validate.validate(database, files, final, rows_before=run.rows_before, deletes_allowed=allowed)
            out.validation.findings += out.data
            run.rows_after = out.validation.rows_after
            run.findings = [f.to_json() for f in out.validation.findings]
            if not out.validation.ok:
                where = f"; the backup taken before it is {run.backup_path}" if run.backup_path else ""
                raise ValidationFailed(
                    f"validation after {run.command} to {run.to_version} failed: {out.validation.errors[0].message}{where} "
                    f"(kiosk --maintenance restore FILE puts it back)"
                )
            return _finish(target, database, out, pre, started)
    except BaseException as exc:
        run.outcome = "refused" if isinstance(exc, Refused) else "failed"
        if run.to_version is None and run.from_version is not None:
            with contextlib.suppress(Exception):
                run.to_version = format_version(runner.status(target, database, files).schema_version)
        full = None
        if is_disk_full(exc) and getattr(exc, "code", None) is not ErrorCode.DISK_FULL:
            done = (f"the database is at {run.to_version} (each version is applied whole or not at all)" if touched
                    else "nothing was changed")
            full = DiskFull(f"disk full: free space on {backend_for(database).full_where(database)} and try again; {done}")
        run.error = str(full or exc) if isinstance(full or exc, KioskError) else f"{type(exc).__name__}: {exc}"
        run.duration_ms = round((time.perf_counter() - started) * 1000)
        out.recorded_in = record(target, database, run, in_database=touched)
        if full is not None:
            raise full from None
        raise


def _finish(target: Target, database: pw.Database, out: Outcome, pre: preflight.Preflight, started: float) -> Outcome:
    warned = pre.skipped or any(f.level == "warning" for f in out.data)
    out.run.outcome = "warnings" if warned else "ok"
    out.run.duration_ms = round((time.perf_counter() - started) * 1000)
    out.recorded_in = record(target, database, out.run)
    return out


def _rehearse(
    target: Target,
    taken: backup.Backup | None,
    files: list[MigrationFile],
    goal: Version | None,
    direction: str,
    deletes_allowed: bool,
    database: pw.Database | None = None,
) -> float:
    """Run the plan on a copy of the verified backup (or an empty database); refuse unless it validates.

    SQLite: a copy of the backup file. PostgreSQL: a scratch database on the same
    server, loaded from the dump, dropped afterwards.
    """
    with backup_tool_for(target).scratch(database, taken) as (rtarget, db):
        return _rehearse_on(rtarget, db, taken, files, goal, direction, deletes_allowed)


def _rehearse_on(rtarget, db, taken, files, goal, direction, deletes_allowed) -> float:
    """The plan and its validation on the scratch copy; Refused unless both pass."""
    started = time.perf_counter()
    final = goal if goal is not None else files[-1].version
    try:
        if direction == "up":
            runner.migrate(rtarget, db, final, files=files)
        else:
            runner.rollback(rtarget, db, final, files=files)
        result = validate.validate(db, files, final, rows_before=taken.counts if taken else {}, deletes_allowed=deletes_allowed, analyze=False)
    except KioskError as exc:
        raise Refused(f"the rehearsal on a copy of the backup failed: {exc}; the live database was not touched") from None
    if not result.ok:
        raise Refused(f"the rehearsal's validation failed: {result.errors[0].message}; the live database was not touched")
    seconds = time.perf_counter() - started
    log.info(f"rehearsal    ok       the plan ran on a copy of the backup in {seconds:.2f} s and validated (booths wait about that long)")
    return seconds
