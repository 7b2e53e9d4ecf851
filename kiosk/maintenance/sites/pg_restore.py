"""Restore a verified dump over the live PostgreSQL database (kiosk.maintenance.restore says what must hold).

The dump must read back whole through pg_restore and hold a schema history this kiosk
knows; its schema is loaded (no rows) into a scratch database on the same server and
compared there with its recorded version. Then the current database is dumped aside and
the dump loaded by psql in one transaction (pg_dump.load): a failure or a kill leaves the
database exactly as it was.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import peewee as pw

from ...clock import SystemClock, to_sqlite_text
from ...errors import KioskError
from ...schema.files import MigrationFile, parse_version
from .. import preflight, schema_compare
from ..restore import BadBackup, Inspected, current_version, refuse_mismatch
from ..runs import RunRecord, record
from . import pg_dump

log = logging.getLogger(__name__)  # what was verified and restored; the CLI prints it


def inspect_dump(path: Path, files: list[MigrationFile]) -> tuple[Inspected, pg_dump.DumpInfo]:
    """A dump must read back whole through pg_restore and hold a schema history this kiosk knows."""
    path = Path(path).absolute()
    if not path.is_file():
        raise BadBackup(f"no backup file at {path}: give the path of a dump in {pg_dump.backups_dir(None)} (or one taken with pg_dump --format=custom)")
    try:
        info = pg_dump.inspect(path)
    except pg_dump.DumpFailed as exc:
        damaged = any(w in str(exc) for w in ("end of file", "could not read", "cut short", "unexpected"))
        what = "is damaged or truncated" if damaged else "is not a PostgreSQL custom-format dump"
        raise BadBackup(f"{path} {what} ({exc}): choose a backup written by 'kiosk --maintenance backup'") from None
    try:
        if not info.history:
            raise BadBackup(f"{path} is a PostgreSQL dump but not of a kiosk database (no schema history): choose a kiosk backup")
        version, unknown = pg_dump.history_version(info, files)
        if unknown:
            raise BadBackup(f"{path} has schema version {unknown[-1]}, which this kiosk does not know: "
                            "install the matching kiosk release to restore it")
    except BaseException:
        info.script.unlink(missing_ok=True)
        raise
    return Inspected(path, version, info.counts, path.stat().st_size), info


def check_dump_schema(target, database: pw.Database, found: Inspected, files: list[MigrationFile]) -> None:
    """Load the dump's schema (no rows) into a scratch database on the same server and compare it there
    with its recorded version; the live database is not touched. Refuses (SchemaMismatch) on a difference."""
    version = parse_version(found.version)
    script = pg_dump.schema_script(found.path)
    try:
        with pg_dump.scratch_database(target, database, None, kind="restorecheck", needed_for="restore on PostgreSQL",
                                      otherwise="so the dump's schema can be checked first") as (scratch, db):
            pg_dump.load(scratch, db, script)
            problems = schema_compare.drift(db, files, version)
    finally:
        script.unlink(missing_ok=True)
    refuse_mismatch(found.path, version, problems)


def restore(target, database, source, files, *, skip, keep, clock, progress=None):
    clock = clock or SystemClock()
    started = time.perf_counter()
    run = RunRecord(command="restore", started_at=to_sqlite_text(clock.now()))
    pre = preflight.Preflight(set(skip), run.command)
    run.skipped_checks = pre.skipped
    changed, info = False, None
    try:
        found, info = inspect_dump(source, files)
        check_dump_schema(target, database, found, files)
        log.info(f"backup       ok       {found.path} is a sound kiosk dump at {found.version} ({sum(found.counts.values())} rows, "
                 "schema as its version's)")
        run.to_version = found.version
        run.rows_after = found.counts
        with preflight.hold(target, database, pre):
            run.from_version = current_version(database, files)
            run.rows_before = pg_dump.row_counts(database)
            preflight.check_disk(target, pre, factor=1, database=database)
            pre.refuse_if_failed()
            if "backup" in pre.skip:
                pre.add("backup", False, "no safety copy of the current database")
            else:
                pre.taken = pg_dump.take(target, database, run.from_version or "0", keep=keep, clock=clock,
                                         tag="pre-restore", protect=found.path)
                pre.add("backup", True, f"current database dumped aside as {pre.taken.path} (verified)")
            run.backup_path = str(pre.taken.path) if pre.taken else None
            changed = True  # from here the run is recorded in the restored database
            pg_dump.load(target, database, info.script)
            after = pg_dump.row_counts(database)
            if after != found.counts:
                raise KioskError(f"the restored database does not verify (row counts {after} != {found.counts}): "
                                 f"restore {found.path} again or the safety copy {run.backup_path}")
            log.info(f"restored     ok       {target.describe()} now holds {found.path.name}, verified (row counts)")
        run.outcome = "warnings" if pre.skipped else "ok"
    except BaseException as exc:
        run.outcome = "refused" if getattr(exc, "exit_code", 1) == 3 else "failed"
        run.error = str(exc) if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, pg_dump.DumpFailed):  # psql rolled the whole load back: nothing changed
            changed = False
        raise
    finally:
        if info is not None and info.script is not None:
            info.script.unlink(missing_ok=True)
        run.duration_ms = round((time.perf_counter() - started) * 1000)
        where = record(target, database, run, in_database=changed)
    return run, found, where
