"""Verified online backups of a SQLite kiosk database, with rotation.

A plain file copy of a live WAL database can miss committed pages still in the
WAL; SQLite's online backup API copies a consistent snapshot. The row counts
are read in the same read transaction the backup copies, so the copy must match
them exactly. The copy is written under a hidden temporary name and renamed
only once verified, so an interrupted run never leaves a file that looks like
a backup. Backups hold personal data: owner-only (0600, folder 0700), and rotated: by count
(`keep`) and by age (older than the retention + the backup window, kiosk.maintenance.retention).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..clock import Clock, SystemClock
from ..errors import ErrorCode, KioskError
from .. import owner_only
from . import facts, retention

DEFAULT_KEEP = 10
PAGES_PER_STEP = 1024
Progress = Callable[[int, int], None]  # (pages done, pages total)


class BackupFailed(KioskError):
    code = ErrorCode.BACKUP_FAILED


@dataclass
class Backup:
    path: Path
    version: str
    counts: dict[str, int]
    size: int
    seconds: float
    removed: list[Path] = field(default_factory=list)
    # A byte-for-byte copy checked with the file (kiosk.maintenance.sites.sqlite_copy): its tables' definitions
    # then, so validation after the change can check only what changed (kiosk.maintenance.sites.sqlite_check).
    definitions: dict[str, str] | None = None

    def to_json(self) -> dict:
        return {
            "path": str(self.path),
            "schema_version": self.version,
            "bytes": self.size,
            "seconds": round(self.seconds, 3),
            "rows": self.counts,
            "rotated_out": [str(p) for p in self.removed],
        }


def backups_dir(db_path: Path) -> Path:
    return owner_only.backups_dir(db_path)


def _name_re(stem: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(stem)}-(\d{{8}}T\d{{6}}Z)-v([0-9.]+)(-[a-z-]+)?(-\d+)?\.db$")


def list_backups(db_path: Path) -> list[Path]:
    """This database's backups in `backups/`, oldest first."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    pattern = _name_re(db_path.stem)
    found = []
    for p in folder.iterdir():
        m = pattern.match(p.name)
        if m and p.is_file():
            found.append((m.group(1), p.stat().st_mtime_ns, p.name, p))
    return [p for *_key, p in sorted(found)]


def newest_backup(db_path: Path) -> Path | None:
    backups = list_backups(db_path)
    return backups[-1] if backups else None


def take_backup(
    db_path: Path,
    version: str,
    *,
    out: Path | None = None,
    keep: int = DEFAULT_KEEP,
    clock: Clock | None = None,
    progress: Progress | None = None,
    tag: str = "",
    protect: Path | None = None,
    pending=None,
) -> Backup:
    """Copy the database with the online backup API, verify it, chmod 0600, rotate.

    `out` writes to that file instead of `backups/` (no rotation). `tag` marks
    special copies, e.g. "pre-restore". The caller holds the maintenance lock.
    `pending` (a kiosk.maintenance.sites.sqlite_copy.Pending, made and verified during the
    pre-flight) is put in place instead, if nothing was written since.
    """
    started = time.perf_counter()
    clock = clock or SystemClock()
    final = Path(out).absolute() if out is not None else _new_name(db_path, version, clock, tag)
    if final.exists():
        raise BackupFailed(f"{final} already exists: choose another --out file (a backup never overwrites)")
    folder = final.parent
    if out is None:
        owner_only.make_dir(folder)
        remove_partials(folder, keep=pending.tmp if pending is not None else None)
    elif not folder.is_dir():
        raise BackupFailed(f"folder {folder} does not exist: create it or choose another --out file")
    if pending is not None and out is None and pending.still_current():
        os.replace(pending.tmp, final)
        pending.close()
        return _kept(db_path, Backup(final, version, pending.counts, final.stat().st_size, time.perf_counter() - started,
                                     definitions=pending.definitions), keep, protect, clock, pending.limit)
    if pending is not None:
        pending.discard()
    tmp = folder / f".{final.name}.partial"
    try:
        source = _source_counts(db_path)
        counts, limit = _copy(db_path, tmp, progress)
        verify_copy(tmp, counts, source=source)
        os.replace(tmp, final)
    except BaseException as exc:  # incl. Ctrl-C: never leave a half file behind
        for p in (tmp, tmp.with_name(tmp.name + "-journal")):
            with contextlib.suppress(OSError):
                p.unlink()
        if isinstance(exc, sqlite3.Error):
            raise BackupFailed(_explain(exc, db_path, folder)) from None
        if isinstance(exc, OSError) and not isinstance(exc, KioskError):
            raise BackupFailed(f"cannot write the backup in {folder}: {exc.strerror or exc}") from None
        raise
    taken = Backup(final, version, counts, final.stat().st_size, time.perf_counter() - started)
    return taken if out is not None else _kept(db_path, taken, keep, protect, clock, limit)


def _kept(db_path: Path, taken: Backup, keep: int, protect: Path | None, clock: Clock, limit: retention.Limit) -> Backup:
    for p in list_backups(db_path):  # older backups, from before they were kept owner-only
        owner_only.tighten(p)
    taken.removed = rotate(db_path, keep, protect=protect, now=clock.now(), limit=limit)
    return taken


def _source_counts(db_path: Path) -> dict[str, int]:
    """The database's rows, read on their own before the copy: the check of the check."""
    conn = facts.open_ro(db_path)
    try:
        return facts.row_counts(conn)
    finally:
        conn.close()


def _copy(db_path: Path, tmp: Path, progress: Progress | None) -> tuple[dict[str, int], retention.Limit]:
    # Created 0600 before SQLite opens it, so the copy is never readable by others.
    owner_only.create_new(tmp)
    src = facts.open_ro(db_path)
    dst = sqlite3.connect(tmp, isolation_level=None)
    try:
        src.execute("BEGIN")  # one read snapshot for the counts and the copy
        counts = facts.row_counts(src)
        limit = retention.limit_of_sqlite(src)

        def step(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=PAGES_PER_STEP, progress=step)
        src.execute("COMMIT")
        # A standalone file: no -wal beside it to lose when it is moved or copied.
        dst.execute("PRAGMA journal_mode=DELETE")
        return counts, limit
    finally:
        dst.close()
        src.close()


def verify_copy(path: Path, expected: dict[str, int] | None = None, *, source: dict[str, int] | None = None) -> dict[str, int]:
    """integrity_check, the row counts equal to `expected` (read in the snapshot copied), and no
    table empty or missing that has rows in `source` (the database read on its own); returns the counts."""
    with open(path, "rb") as fh:
        head = fh.read(len(b"SQLite format 3\x00"))
    if head != b"SQLite format 3\x00":
        raise BackupFailed(f"{path} is not a SQLite database file")
    try:
        counts = facts.checked_counts(path)
    except facts.Unsound as exc:
        raise BackupFailed(f"{path} {exc}") from None
    if expected is not None and counts != expected:
        diff = [f"{t}: {expected.get(t)} -> {counts.get(t)}" for t in sorted(set(expected) | set(counts)) if expected.get(t) != counts.get(t)]
        raise BackupFailed(f"the backup's row counts differ from the database's ({'; '.join(diff)})")
    lost = sorted(t for t, n in (source or {}).items() if n > 0 and not counts.get(t))
    if lost:
        raise BackupFailed(
            f"the backup has no rows in {', '.join(lost)} where the database has "
            f"{', '.join(str(source[t]) for t in lost)}: it is not a copy of the database; nothing was kept"
        )
    return counts


def rotate(db_path: Path, keep: int, protect: Path | None = None, *, now=None,
           limit: retention.Limit | None = None) -> list[Path]:
    """Delete this database's oldest backups beyond the newest `keep`, and (given `now` and
    `limit`) every one older than the retention + the backup window; never `protect`."""
    keepsafe = Path(protect).absolute() if protect else None
    backups = [p for p in list_backups(db_path) if p.absolute() != keepsafe]
    return remove(backups, keep, now, limit)


def remove(backups: list[Path], keep: int, now, limit: retention.Limit | None) -> list[Path]:
    """The rotation of a list of backups, oldest first (SQLite files and PostgreSQL dumps alike)."""
    doomed = backups[: max(0, len(backups) - keep)]
    if now is not None and limit is not None:
        doomed += [p for p in retention.outliving(backups, now, limit) if p not in doomed]
    for p in doomed:
        p.unlink()
    return doomed


def _new_name(db_path: Path, version: str, clock: Clock, tag: str) -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    base = f"{db_path.stem}-{stamp}-v{version}" + (f"-{tag}" if tag else "")
    folder = backups_dir(db_path)
    candidate = folder / f"{base}.db"
    n = 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{base}-{n}.db"
    return candidate


def remove_partials(folder: Path, keep: Path | None = None) -> None:
    """Left by a run that was killed: never a valid backup."""
    for p in folder.glob(".*.partial*"):
        if p == keep:
            continue
        with contextlib.suppress(OSError):
            p.unlink()


def _explain(exc: sqlite3.Error, db_path: Path, folder: Path) -> str:
    text = " ".join(str(exc).split())
    if "full" in text.lower():
        free = facts.human(facts.free_bytes(folder))
        return f"the disk is full while writing the backup in {folder} ({free} free, about {facts.human(facts.db_bytes(db_path))} needed): free some space and try again"
    if "readonly" in text.lower() or "unable to open" in text.lower():
        return f"cannot write the backup in {folder} ({text}): check the folder's owner and permissions"
    return f"the backup failed: {text}"
