"""Restore a verified copy over the live SQLite file (kiosk.maintenance.restore says what must hold).

The backup is checked before anything is touched (SQLite magic, complete file,
integrity_check, a kiosk schema history this kiosk knows, its whole schema that of
its recorded version). The current database is kept aside as a safety copy, the
backup is copied with the online backup API into a temporary file beside the
database, verified, and only then renamed over the live file, so a crash at any
moment leaves either the old or the new one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

import peewee as pw

from ... import owner_only
from ...clock import Clock, SystemClock, to_sqlite_text
from ...db import SQLITE_MAGIC, Target, sqlite_database, sqlite_uri
from ...errors import KioskError
from ...schema import history, runner
from ...schema.files import MigrationFile, format_version
from .. import backup, facts, preflight, schema_catalog, schema_compare
from ..restore import BadBackup, Inspected, current_version, refuse_mismatch
from ..runs import RunRecord, record

log = logging.getLogger(__name__)  # what was verified and restored; the CLI prints it


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


def restore(target, database, source, files, *, skip, keep, clock, progress):
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
            run.from_version = current_version(database, files)
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
