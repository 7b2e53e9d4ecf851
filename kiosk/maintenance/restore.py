"""Restore a verified backup over the live SQLite database (the emergency procedure).

The backup is checked before anything is touched (SQLite magic, complete file,
integrity_check, a kiosk schema history this kiosk knows, and its whole schema,
triggers and views included, exactly that of the version its history records:
a trigger slipped into a backup would otherwise fire on the booths' rows). The current database
is kept aside as a safety copy, the backup is copied with the online backup API
into a temporary file beside the database, verified, and only then renamed over
the live file, so a crash at any moment leaves either the old or the new one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from ..backends import backend_for
from ..clock import Clock, SystemClock, to_sqlite_text
from .. import owner_only
from ..db import SQLITE_MAGIC, Target, sqlite_database, sqlite_uri
from ..errors import ErrorCode, KioskError
from ..schema import history, runner
from ..schema.files import MigrationFile, Version, format_version, parse_version
from . import backup, facts, pg_dump, preflight, schema_catalog, schema_compare
from .runs import RunRecord, record

# The differences a refusal names in its one line (the rest are counted).
LISTED = 20
log = logging.getLogger(__name__)  # what was verified and restored; the CLI prints it


class BadBackup(KioskError):
    code = ErrorCode.BAD_BACKUP


class SchemaMismatch(BadBackup):
    """A sound kiosk backup whose schema is not that of its recorded version: refused, nothing changed."""

    exit_code = 3


def refuse_mismatch(path: Path, version: Version, problems: list) -> None:
    """Raise SchemaMismatch naming the differences (schema_compare findings), if there are any."""
    if not problems:
        return
    label = format_version(version)
    texts = [f.message.removeprefix(f"history says {label} but ") for f in problems]
    more = f"; and {len(texts) - LISTED} more" if len(texts) > LISTED else ""
    raise SchemaMismatch(
        f"{path} does not have the schema {label} its history records: {'; '.join(texts[:LISTED])}{more}. "
        "Restoring it could run code nobody reviewed (a trigger) or keep the kiosk from starting: "
        "choose another backup; nothing was changed"
    )


@dataclass
class Inspected:
    path: Path
    version: str
    counts: dict[str, int]
    size: int


def inspect_backup(path: Path, files: list[MigrationFile]) -> Inspected:
    """Everything that must hold before a file may replace the database."""
    path = Path(path).absolute()
    if not path.is_file():
        raise BadBackup(f"no backup file at {path}: give the path of a file in backups/ (kiosk --maintenance stats lists the newest)")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or header[:16] != SQLITE_MAGIC:
        raise BadBackup(f"{path} is not a SQLite database file: choose a backup written by 'kiosk --maintenance backup'")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if pages and size < page_size * pages:
        raise BadBackup(
            f"{path} is truncated ({size} bytes, its header says {page_size * pages}): choose another (older) backup"
        )
    try:
        counts = facts.checked_counts(path)
    except facts.Unsound as exc:
        raise BadBackup(f"{path} {exc}: choose another (older) backup") from None
    db = pw.SqliteDatabase(sqlite_uri(path, mode="ro"), uri=True)
    try:
        applied = history.read_history(db, files)
        if not applied:
            raise BadBackup(f"{path} is a SQLite file but not a kiosk database (no schema history): choose a kiosk backup")
        known = {f.name for f in files}
        unknown = [a for a in applied if a.name not in known]
        if unknown:
            raise BadBackup(
                f"{path} has schema version {format_version(unknown[-1].version)}, which this kiosk does not know: "
                "install the matching kiosk release to restore it"
            )
        version = runner.current_version(applied)
        want, have = schema_compare.expected(db, files, version), schema_catalog.describe(db)
    finally:
        db.close()
    refuse_mismatch(path, version, schema_compare.differences(want, have, format_version(version)))
    return Inspected(path, format_version(version), counts, size)


def restore(
    target: Target,
    database: pw.Database | None,
    source: Path,
    files: list[MigrationFile],
    *,
    skip: set[str] = frozenset(),
    keep: int = backup.DEFAULT_KEEP,
    clock: Clock | None = None,
    progress=None,
) -> tuple[RunRecord, Inspected, str]:
    """Returns the run record, what was restored, and where the run was recorded."""
    how = _RESTORES[backend_for(target).name]
    return how(target, database, source, files, skip=skip, keep=keep, clock=clock, progress=progress)


def _restore_sqlite(target, database, source, files, *, skip, keep, clock, progress):
    """The file replaced by a verified copy of the backup."""
    clock = clock or SystemClock()
    started = time.perf_counter()
    run = RunRecord(command="restore", started_at=to_sqlite_text(clock.now()))
    pre = preflight.Preflight(set(skip), run.command)
    run.skipped_checks = pre.skipped
    live, replaced = database, False
    try:
        found = inspect_backup(source, files)
        log.info(f"backup       ok       {found.path} is a sound kiosk database at {found.version} ({sum(found.counts.values())} rows, "
                 "schema as its version's)")
        run.to_version = found.version
        run.rows_after = found.counts
        with preflight.hold(target, database, pre):
            run.from_version = _current_version(database, files)
            run.rows_before = _live_counts(target)
            preflight.check_disk(target, pre, factor=1, extra=found.size)
            pre.refuse_if_failed()
            _safety_copy(target, run.from_version, pre, keep=keep, clock=clock, protect=found.path)
            run.backup_path = str(pre.taken.path) if pre.taken else None
            if database is not None:
                database.close()
            _replace(target.path, found, progress)
            live, replaced = None, True
            log.info(f"restored     ok       {target.path} now holds {found.path.name}, verified (integrity_check, row counts)")
        run.outcome = "warnings" if pre.skipped else "ok"
    except BaseException as exc:
        run.outcome = "refused" if getattr(exc, "exit_code", 1) == 3 else "failed"
        run.error = str(exc) if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.duration_ms = round((time.perf_counter() - started) * 1000)
        where = _record_after(target, live, run) if replaced else record(target, database, run, in_database=False)
    return run, found, where


def _live_counts(target: Target) -> dict[str, int] | None:
    if not target.exists():
        return None
    try:
        conn = facts.open_ro(target.path)
    except sqlite3.DatabaseError:
        return None
    try:
        return facts.row_counts(conn)
    except sqlite3.DatabaseError:
        return None  # damaged: the safety copy keeps its bytes
    finally:
        conn.close()


def _current_version(database: pw.Database | None, files) -> str | None:
    try:
        return format_version(runner.current_version(history.read_history(database, files))) if database else None
    except pw.DatabaseError:
        return "unreadable"


def _safety_copy(target: Target, version: str | None, pre: preflight.Preflight, *, keep: int, clock: Clock, protect: Path) -> None:
    if not target.exists():
        pre.add("backup", True, "no current database: nothing to keep aside")
        return
    if "backup" in pre.skip:
        pre.add("backup", False, "no safety copy of the current database")
        return
    try:
        pre.taken = backup.take_backup(target.path, version or "0", keep=keep, clock=clock, tag="pre-restore", protect=protect)
        pre.add("backup", True, f"current database kept aside as {pre.taken.path} (verified)")
    except backup.BackupFailed as exc:
        # A damaged database cannot be backed up through SQLite: keep its bytes as they are.
        folder = owner_only.make_dir(backup.backups_dir(target.path))
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        raw = folder / f"{target.path.stem}-{stamp}-damaged-pre-restore.db"
        for suffix in ("", "-wal"):
            src = Path(f"{target.path}{suffix}")
            if src.exists():
                os.close(owner_only.open_file(f"{raw}{suffix}", os.O_WRONLY))  # owner-only before a byte is copied
                shutil.copyfile(src, f"{raw}{suffix}")
        pre.add("backup", True, f"current database is damaged ({exc}); its files were copied as they are to {raw}")


def _replace(db_path: Path, found: Inspected, progress) -> None:
    tmp = db_path.with_name(f".{db_path.name}.restoring")
    for p in (tmp, Path(f"{tmp}-journal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    owner_only.create_new(tmp)
    try:
        src = facts.open_ro(found.path)
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst, pages=backup.PAGES_PER_STEP, progress=(lambda s, r, t: progress(t - r, t)) if progress else None)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()
        backup.verify_copy(tmp, found.counts)
        _drop_wal(db_path)
        os.replace(tmp, db_path)  # atomic: the old or the new file, never half of one
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db_path}-shm").unlink()
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        if facts.integrity_problems(conn) or facts.row_counts(conn) != found.counts:
            raise KioskError(f"the restored database does not verify: restore {found.path} again or the safety copy in backups/")
    finally:
        conn.close()


def _drop_wal(db_path: Path) -> None:
    """Fold the old database's WAL in and remove it: a stale WAL must never meet the new file."""
    wal = Path(f"{db_path}-wal")
    if not wal.exists():
        return
    with contextlib.suppress(sqlite3.DatabaseError):
        conn = sqlite3.connect(db_path, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    with contextlib.suppress(FileNotFoundError):
        wal.unlink()  # damaged database: its WAL is in the safety copy


def _record_after(target: Target, database: pw.Database | None, run: RunRecord) -> str:
    if database is not None or not target.exists():
        return record(target, database, run)
    db = sqlite_database(target.path)
    try:
        return record(target, db, run)
    finally:
        db.close()


# --- PostgreSQL: pg_restore ------------------------------------------------------------


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


def _restore_postgresql(target, database, source, files, *, skip, keep, clock, progress=None):
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
            run.from_version = _current_version(database, files)
            run.rows_before = pg_dump._row_counts(database)
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
            after = pg_dump._row_counts(database)
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


_RESTORES = {"sqlite": _restore_sqlite, "postgresql": _restore_postgresql}
