"""Where a site's backups live and how they are taken, chosen once per database.

`backup_tool_for(target)` gives the one object for the target's kind: a SQLite
file is copied with the online backup API (kiosk.maintenance.backup), a
PostgreSQL database is dumped with pg_dump (kiosk.maintenance.pg_dump). Callers
ask it instead of testing which database they are on; adding a database means
one more subclass here, registered in `_TOOLS` under its backend's name.
"""

from __future__ import annotations

import abc
import contextlib
import os
import shutil
from pathlib import Path

import peewee as pw

from .. import owner_only
from ..backends import backend_for
from ..db import Target, resolve_target, sqlite_database
from ..errors import KioskError
from . import backup, facts, pg_dump


class SiteBackup(abc.ABC):
    """The backups of one database target (one subclass per kind of database)."""

    def __init__(self, target: Target):
        self.target = target

    @abc.abstractmethod
    def backups_dir(self) -> Path:
        """Where this database's backups go."""

    @abc.abstractmethod
    def backups(self) -> list[Path]:
        """This database's backups, oldest first."""

    def newest(self) -> Path | None:
        found = self.backups()
        return found[-1] if found else None

    @abc.abstractmethod
    def take(self, database: pw.Database | None, version: str, *, out: Path | None = None, keep: int = backup.DEFAULT_KEEP,
             clock=None, progress=None, tag: str = "") -> backup.Backup:
        """A verified backup, the older ones rotated out (not with `out`)."""

    def prepare(self) -> None:
        """Before the maintenance lock is taken: refuse early what cannot be written (a hook:
        nothing to do unless the kind of database has files here)."""
        return None

    def locked(self) -> None:
        """Once the maintenance lock is held: tighten the database's own files (a hook, as above)."""
        return None

    @abc.abstractmethod
    def disk_need(self, database: pw.Database | None, *, factor: int, extra: int) -> tuple[Path, int, str]:
        """Where free disk counts, the bytes a backup (and the change) needs there, and what the
        space is for ('' or ' for the backup')."""

    @abc.abstractmethod
    def sizes(self, database: pw.Database | None) -> dict | None:
        """`stats`: database_bytes, wal_bytes (None: not this database's own) and free_disk_bytes
        where the backups go; None when unknown."""

    @abc.abstractmethod
    def alert_disk(self, database: pw.Database | None) -> tuple[Path, int] | None:
        """Where free disk counts and the bytes needed, for `stats` alerts; None when unknown."""

    @abc.abstractmethod
    def private_paths(self) -> list[Path]:
        """The local files with personal data (database, side files, backups, receipts)."""

    @abc.abstractmethod
    def fallback_log(self) -> Path | None:
        """Where a run is recorded when the database cannot take it."""

    @abc.abstractmethod
    def scratch(self, database: pw.Database, taken: backup.Backup | None):
        """A context manager: (target, database) of a throw-away copy loaded from `taken` (empty
        without), for rehearsing a migration."""


class SqliteBackup(SiteBackup):
    """Copies of the file in `backups/` beside it."""

    @property
    def path(self) -> Path:
        path = self.target.path
        assert path is not None  # a SQLite target always names its file
        return path

    def backups_dir(self) -> Path:
        return backup.backups_dir(self.path)

    def backups(self) -> list[Path]:
        return backup.list_backups(self.path)

    def newest(self) -> Path | None:
        return backup.newest_backup(self.path)

    def take(self, database, version, *, out=None, keep=backup.DEFAULT_KEEP, clock=None, progress=None, tag=""):
        return backup.take_backup(self.path, version, out=out, keep=keep, clock=clock, progress=progress, tag=tag)

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


class PostgresqlBackup(SiteBackup):
    """pg_dump scripts on this machine; the server's own disk is its monitoring's job."""

    def backups_dir(self) -> Path:
        return pg_dump.backups_dir(self.target)

    def backups(self) -> list[Path]:
        return pg_dump.list_backups(self.target)

    def take(self, database, version, *, out=None, keep=backup.DEFAULT_KEEP, clock=None, progress=None, tag=""):
        return pg_dump.take(self.target, database, version, out=out, keep=keep, clock=clock, tag=tag)

    def _probe(self) -> Path:
        folder = self.backups_dir()
        return folder if folder.is_dir() else folder.parent

    def disk_need(self, database, *, factor, extra):
        # The dump is written here, and is never bigger than the database on the server.
        need = (pg_dump.free_disk_needed(database) if database is not None else 0) + extra + facts.DISK_MARGIN_BYTES
        return self._probe(), need, " for the backup"

    def sizes(self, database):
        if database is None:
            return None
        return {
            "database_bytes": database.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0],
            "wal_bytes": None,  # the server's WAL is shared by all its databases: its own monitoring's job
            "free_disk_bytes": facts.free_bytes(self._probe()),
        }

    def alert_disk(self, database):
        if database is None:
            return None
        return self._probe(), 2 * pg_dump.free_disk_needed(database) + facts.DISK_MARGIN_BYTES

    def private_paths(self) -> list[Path]:
        return owner_only.private_paths(None, self.backups_dir())

    def fallback_log(self) -> Path | None:
        folder = self.backups_dir()  # beside the dumps, on the machine that ran it
        try:
            owner_only.make_dir(folder, parents=True)
        except OSError:
            return None
        return folder / f"{pg_dump.dbname(self.target)}.maintenance.jsonl"

    def scratch(self, database, taken):
        return pg_dump.scratch_database(self.target, database, taken.path if taken else None)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


_TOOLS: dict[str, type[SiteBackup]] = {"sqlite": SqliteBackup, "postgresql": PostgresqlBackup}


def backup_tool_for(target: Target) -> SiteBackup:
    return _TOOLS[backend_for(target).name](target)
