"""`migrate` and `rollback` with pre-flight, rehearsal, validation and a run record."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field

import peewee as pw

from ..backends import backend_for
from ..clock import Clock, SystemClock, to_sqlite_text
from ..db import Target
from ..errors import DiskFull, ErrorCode, KioskError, UsageError, is_disk_full
from ..schema import runner
from ..schema.files import MigrationFile, Version, format_version
from . import Refused, backup, data_loss, export, plan_data, preflight, validate
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
    forecast: data_loss.Forecast | None = None
    exported: export.Export | None = None
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
    allow_data_loss: bool = False,
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
            pre.progress = progress
            st = preflight.check_history(target, database if target.exists() else None, files, pre,
                                         copy=lambda st: _has_work(database, goal, files, direction))
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
            final = goal if goal is not None else files[-1].version
            out.forecast = _check_data_loss(database, steps, pre, run, final, allow_data_loss)
            run.rows_before = validate.row_counts(database)
            empty = not any(t not in validate.BOOKKEEPING for t in run.rows_before)
            if empty and "backup" not in pre.skip:
                pre.add("backup", True, "empty database, nothing to back up")
            else:
                preflight.take_backup(target, run.from_version, pre, keep=keep, clock=clock, progress=progress, database=database)
            out.backup = pre.taken
            run.backup_path = str(pre.taken.path) if pre.taken else None
            if out.forecast.removes_data:  # allowed: the rows that leave are exported and verified first
                out.exported = export.export(target, database, out.forecast, command=run.command, from_version=run.from_version,
                                           to_version=format_version(final), backup_path=pre.taken.path if pre.taken else None,
                                           clock=clock)
                run.data_export = out.exported.to_json()
                log.info(f"export       ok       {_rel(out.exported.path)} ({_rows(out.exported.counts)}, read back and verified)")
            allowed = any(validate.deletes_rows(s.file) for s in steps)
            if rehearse:
                if pre.taken is None and not empty:
                    raise Refused("--rehearse needs the backup (do not skip it): the rehearsal runs on a copy of it; nothing was changed")
                out.rehearsal_seconds = _rehearse(target, pre.taken, files, goal, direction, allowed, database, out.forecast)
            reserve(target, database, run)
            touched = True
            if direction == "up":
                out.steps = runner.migrate(target, database, final, clock=clock, files=files, locked=True)
            else:
                out.steps = runner.rollback(target, database, final, files=files, locked=True)
            run.to_version = format_version(runner.status(target, database, files).schema_version)
            out.validation = validate.validate(database, files, final, rows_before=_expected(database, run.rows_before, out.forecast),
                                               deletes_allowed=allowed, since=pre.taken)
            out.validation.rows_before = run.rows_before
            out.validation.findings += out.data
            run.rows_after = out.validation.rows_after
            run.findings = [f.to_json() for f in out.validation.findings] + _export_finding(run)
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
        if not any(f.get("code") == "data_exported" for f in run.findings if isinstance(f, dict)):
            run.findings += _export_finding(run)
        run.duration_ms = round((time.perf_counter() - started) * 1000)
        out.recorded_in = record(target, database, run, in_database=touched)
        if full is not None:
            raise full from None
        raise


def _has_work(database: pw.Database, goal: Version | None, files: list[MigrationFile], direction: str) -> bool:
    """Whether the run will change the schema (and so take a backup): only then is the copy made early."""
    try:
        return any(s.direction == direction for s in runner.plan(database, goal, files))
    except Exception:  # the history check reports what is wrong with it
        return False


def _check_data_loss(database: pw.Database, steps: list[runner.Step], pre: preflight.Preflight, run: RunRecord,
                     final: Version, allowed: bool) -> data_loss.Forecast:
    """Refuse, before the backup, a change that removes rows or values unless the operator allowed it."""
    forecast = data_loss.forecast(database, steps)
    if not forecast.removes_data:
        pre.add("data-loss", True, "no row or value leaves the database")
        return forecast
    what = forecast.summary()
    if allowed:
        pre.add("data-loss", True, f"allowed by --allow-data-loss: {what} (exported beside the backup first)")
        return forecast
    pre.add("data-loss", False, what)
    raise Refused(
        f"{run.command} to {format_version(final)} would remove data from the database: {what}; "
        f"to go ahead, run it again with --allow-data-loss (the rows are exported beside the backup first); "
        "'--dry-run' shows each step; nothing was changed",
        code=ErrorCode.DATA_LOSS,
    )


def _expected(database: pw.Database, before: dict[str, int], forecast: data_loss.Forecast) -> dict[str, int]:
    """Rows per table before the change, less the rows the operator allowed to leave (exported): validation
    then flags only a loss nobody forecast. A dropped table keeps its count, for the 'dropped with N rows' line."""
    now = set(database.get_tables())
    return {t: n - (forecast.tables[t].rows if t in forecast.tables and t in now else 0) for t, n in before.items()}


def _rel(path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _rows(counts: dict[str, int]) -> str:
    return ", ".join(f"{t} {n}" for t, n in sorted(counts.items())) + " row(s)"


def _export_finding(run: RunRecord) -> list[dict]:
    """The export, named in the run's findings (the maintenance_runs table has no column of its own for it)."""
    if not run.data_export:
        return []
    return [{"level": "info", "code": "data_exported",
             "message": f"the rows that left were exported to {run.data_export['path']} ({_rows(run.data_export['rows'])})",
             "path": run.data_export["path"], "rows": run.data_export["rows"]}]


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
    forecast: data_loss.Forecast | None = None,
) -> float:
    """Run the plan on a copy of the verified backup (or an empty database); refuse unless it validates.

    SQLite: a copy of the backup file. PostgreSQL: a scratch database on the same
    server, loaded from the dump, dropped afterwards.
    """
    with backup_tool_for(target).scratch(database, taken) as (rtarget, db):
        return _rehearse_on(rtarget, db, taken, files, goal, direction, deletes_allowed, forecast)


def _rehearse_on(rtarget, db, taken, files, goal, direction, deletes_allowed, forecast=None) -> float:
    """The plan and its validation on the scratch copy; Refused unless both pass."""
    started = time.perf_counter()
    final = goal if goal is not None else files[-1].version
    try:
        if direction == "up":
            runner.migrate(rtarget, db, final, files=files)
        else:
            runner.rollback(rtarget, db, final, files=files)
        before = taken.counts if taken else {}
        if forecast is not None:
            before = _expected(db, before, forecast)
        result = validate.validate(db, files, final, rows_before=before, deletes_allowed=deletes_allowed, analyze=False)
    except KioskError as exc:
        raise Refused(f"the rehearsal on a copy of the backup failed: {exc}; the live database was not touched") from None
    if not result.ok:
        raise Refused(f"the rehearsal's validation failed: {result.errors[0].message}; the live database was not touched")
    seconds = time.perf_counter() - started
    log.info(f"rehearsal    ok       the plan ran on a copy of the backup in {seconds:.2f} s and validated (booths wait about that long)")
    return seconds
