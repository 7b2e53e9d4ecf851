"""Maintenance of a SQLite file: copies in `backups/` beside it, PRAGMA checks, sqlite_master.

The online copy itself is kiosk.maintenance.backup, the file's read-only facts
kiosk.maintenance.facts, and restoring a copy over the live file sqlite_restore.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

import peewee as pw

from ... import owner_only
from ...db import resolve_target, sqlite_database
from ...errors import KioskError
from ...schema.history import MIGRATE_TABLE
from .. import backup, facts
from . import sqlite_check, sqlite_copy
from ..findings import Finding
from .base import Schema, Site


class SqliteSite(Site):
    """A SQLite file on this machine."""

    # The plan's orphaned-records join is quadratic here (no index covers entity_id alone: minutes
    # on 200,000 vehicles); NOT IN builds a temporary index. Same comparison rules (entity_id NOT
    # NULL; INTEGER vs TEXT compares numerically).
    orphans_count_sql = "SELECT COUNT(*) FROM vehicles WHERE id NOT IN (SELECT entity_id FROM audit_logs)"

    @property
    def path(self) -> Path:
        path = self.target.path
        assert path is not None  # a SQLite target always names its file
        return path

    # ------------------------------------------------------------------ the schema
    def describe(self, database: pw.Database) -> Schema:
        out: Schema = {}
        rows = database.execute_sql(
            # Not LIKE 'sqlite_%': its '_' matches any character, and would hide a trigger named 'sqlitewipe'.
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_' ORDER BY type, name"
        ).fetchall()
        for kind, name, table, sql in rows:
            if kind == "table" and name != MIGRATE_TABLE:
                _describe_table(database, name, out)
            elif kind == "index" and table != MIGRATE_TABLE:
                out[f"index {name}"] = normalise(sql)
            elif kind in ("trigger", "view"):
                out[f"{kind} {name}"] = normalise(sql)
        return out

    @contextlib.contextmanager
    def scratch_schema(self, database: pw.Database):
        """An in-memory database, not `database`."""
        scratch = pw.SqliteDatabase(":memory:")
        try:
            yield scratch
        finally:
            scratch.close()

    # ------------------------------------------------------------------- the checks
    def integrity(self, database: pw.Database, since: backup.Backup | None = None) -> list[Finding]:
        """PRAGMA integrity_check's checks on both cores (sqlite_check); with `since`, a verbatim backup
        taken before the change, of the tables whose pages or definition changed (and the whole file's pages)."""
        path = _file_of(database)
        if path is None:
            rows = [r[0] for r in database.execute_sql("PRAGMA integrity_check(20)").fetchall()]
            return [] if rows == ["ok"] else [_integrity_error(rows)]
        emptied = _checkpoint(database)
        if since is not None and (since.definitions is None or not since.path.is_file() or not emptied):
            since = None  # not a verbatim copy, gone, or the WAL could not be emptied: check everything
        report = sqlite_check.check(path, since=since.path if since else None,
                                  since_definitions=since.definitions if since else None)
        self.checked_tables = [t for t in report.tables_checked if not t.startswith("sqlite_")] if since else None
        self.scope = Finding("info", "integrity_scope", sqlite_check.scope_line(report)) if since else None
        return [] if report.ok else [_integrity_error(report.problems)]

    def checked_copy(self, database: pw.Database, progress=None) -> tuple[list[Finding], object | None]:
        path = _file_of(database)
        folder = self.backups_dir() if self._target is not None else None
        if path is None or folder is None or facts.free_bytes(folder.parent) < facts.needed_bytes(path):
            return self.integrity(database), None  # the disk check refuses it later, with its own message
        made = not folder.exists()
        owner_only.make_dir(folder)
        backup.remove_partials(folder)
        try:
            pending = sqlite_copy.checked_copy(path, folder / f".{path.name}.checked.partial", progress)
            pending.made_folder = made
        except sqlite_copy.Unusable:
            if made:
                folder.rmdir()
            return self.integrity(database), None
        if pending.report.ok:
            return [], pending
        pending.discard()
        return [_integrity_error(pending.report.problems)], None

    def analyze(self, database: pw.Database, tables: list[str] | None = None) -> None:
        for table in tables if tables is not None else [None]:
            database.execute_sql("ANALYZE" if table is None else f'ANALYZE "{table}"')

    def broken_foreign_keys(self, database: pw.Database) -> list[tuple]:
        return database.execute_sql("PRAGMA foreign_key_check").fetchall()

    def forget_statistics(self, database: pw.Database) -> None:
        if "sqlite_stat1" in database.get_tables():
            database.execute_sql("DROP TABLE sqlite_stat1")  # an emptied schema (rollback --to 0) keeps no statistics

    def checks_line(self, findings: list[Finding]) -> str:
        codes = {f.code for f in findings}
        if "integrity" in codes:
            return ""
        return "integrity_check ok" if "foreign_keys" in codes else "integrity_check ok, foreign_key_check ok"

    def hours_ago(self, hours: int) -> str:
        return f"datetime('now', '-{int(hours)} hours')"

    # -------------------------------------------------------------------- backups
    def backups_dir(self) -> Path:
        return backup.backups_dir(self.path)

    def file_stem(self) -> str:
        return self.path.name.rsplit(".", 1)[0]

    def backups(self) -> list[Path]:
        return backup.list_backups(self.path)

    def newest(self) -> Path | None:
        return backup.newest_backup(self.path)

    def take(self, database, version, *, out=None, keep=backup.DEFAULT_KEEP, clock=None, progress=None, tag="", pending=None):
        return backup.take_backup(self.path, version, out=out, keep=keep, clock=clock, progress=progress, tag=tag,
                                  pending=pending)

    def prepare(self) -> None:
        folder = self.path.parent
        for path, what in ((folder, "folder"), (self.path, "database file")):
            if path.exists() and not os.access(path, os.W_OK):
                raise KioskError(
                    f"no write permission on the {what} {path}: run maintenance as the user who owns the database "
                    "(or fix its permissions); nothing was changed"
                )

    def locked(self) -> None:
        # The database holds personal data: readable by its owner only, like its backups.
        owner_only.tighten_all(self.path)

    def disk_need(self, database, *, factor, extra):
        size = facts.db_bytes(self.path) + extra
        return self.path.parent, factor * size + facts.DISK_MARGIN_BYTES, ""

    def sizes(self, database):
        wal = self.path.with_name(self.path.name + "-wal")
        return {"database_bytes": _size(self.path), "wal_bytes": _size(wal), "free_disk_bytes": facts.free_bytes(self.path.parent)}

    def alert_disk(self, database):
        if not self.path.parent.is_dir():
            return None
        return self.path.parent, facts.needed_bytes(self.path)

    def private_paths(self) -> list[Path]:
        return owner_only.private_paths(self.path, self.backups_dir())

    def fallback_log(self) -> Path | None:
        return self.path.with_name(self.path.name + ".maintenance.jsonl")

    @contextlib.contextmanager
    def scratch(self, database, taken):
        folder = owner_only.make_dir(self.backups_dir())
        copy = folder / f".rehearsal-{self.path.name}"
        os.close(owner_only.open_file(copy, os.O_WRONLY | os.O_TRUNC))  # owner-only before a byte is copied
        if taken is not None:
            shutil.copyfile(taken.path, copy)
        db = sqlite_database(copy)
        try:
            yield resolve_target(str(copy)), db
        finally:
            db.close()
            for p in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm"), Path(f"{copy}.lock")):
                with contextlib.suppress(OSError):
                    p.unlink()

    # -------------------------------------------------------------------- restore
    def restore(self, database, source, files, *, skip, keep, clock, progress):
        from .sqlite_restore import restore  # the restore's own imports, only when one runs

        return restore(self.target, database, source, files, skip=skip, keep=keep, clock=clock, progress=progress)


def _file_of(database: pw.Database) -> Path | None:
    row = database.execute_sql("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def _checkpoint(database: pw.Database) -> bool:
    """Empty the WAL into the file (sqlite_check reads the file itself); False if it could not."""
    try:
        return database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    except pw.OperationalError:  # a read-only connection
        return False


def _integrity_error(problems: list[str]) -> Finding:
    return Finding("error", "integrity", f"PRAGMA integrity_check: {'; '.join(problems[:3])}")


def _describe_table(database: pw.Database, table: str, out: Schema) -> None:
    cols = database.execute_sql(f'PRAGMA table_xinfo("{table}")').fetchall()
    out[f"table {table}"] = ", ".join(c[1] for c in cols)
    for _cid, name, decl, notnull, default, pk, hidden in cols:
        parts = [decl or "(no type)"]
        parts += ["NOT NULL"] if notnull else []
        parts += [f"DEFAULT {default}"] if default is not None else []
        parts += ["PRIMARY KEY"] if pk else []
        parts += ["GENERATED"] if hidden else []
        out[f"column {table}.{name}"] = " ".join(parts)
    # UNIQUE / PRIMARY KEY constraints live in automatic indexes, named by table position: key them by columns.
    for _seq, name, unique, origin, _partial in database.execute_sql(f'PRAGMA index_list("{table}")').fetchall():
        if origin in ("u", "pk"):
            columns = ", ".join(r[2] for r in database.execute_sql(f'PRAGMA index_info("{name}")').fetchall())
            out[f"constraint {table}({columns})"] = "PRIMARY KEY" if origin == "pk" else "UNIQUE"
    fks: dict[int, list] = {}
    for fid, _seq, parent, col, pcol, on_update, on_delete, _match in database.execute_sql(
        f'PRAGMA foreign_key_list("{table}")'
    ).fetchall():
        fks.setdefault(fid, []).append((col, parent, pcol, on_update, on_delete))
    for parts in fks.values():
        cols_ = ", ".join(p[0] for p in parts)
        pcols = ", ".join(str(p[2]) for p in parts)
        _c, parent, _p, on_update, on_delete = parts[0]
        out[f"foreign key {table}({cols_})"] = f"REFERENCES {parent}({pcols}) ON UPDATE {on_update} ON DELETE {on_delete}"


def normalise(sql: str | None) -> str:
    """Stored SQL with identifier quotes dropped and spacing made uniform (a rename re-quotes names)."""
    if sql is None:
        return ""
    text = re.sub(r'["`\[\]]', "", sql)
    text = re.sub(r"\s+", " ", text).strip().rstrip(";").strip()
    return re.sub(r"\s*([(),=])\s*", r"\1", text)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


SITE = SqliteSite
