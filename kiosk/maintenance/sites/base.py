"""The interface of a maintenance site: what maintenance does differently on one kind of database.

A subclass lives in `kiosk/maintenance/sites/<backend name>.py` (named as its backend in
kiosk.backends) and is that module's `SITE`. It is made for a target (backups, restore, the
files on this machine) or for a database alone (`target` None: the catalog, the checks, the
query text), and holds no state besides the target.
"""

from __future__ import annotations

import abc
from contextlib import AbstractContextManager
from pathlib import Path

import peewee as pw

from ...db import Target
from .. import backup
from ..findings import Finding

Schema = dict[str, str]  # kiosk.maintenance.schema_catalog: object key -> its definition


class CannotCompare(Exception):
    """The expected schema could not be built (e.g. no privilege to create a scratch schema)."""


class Site(abc.ABC):
    """Maintenance on one kind of database (one subclass per database)."""

    # Counts the vehicles that no audit row names (validation's plan_orphans), fast on this database.
    orphans_count_sql: str
    # Begins a read snapshot inside a transaction ("" where a read transaction is one already).
    snapshot_sql: str = ""

    def __init__(self, target: Target | None = None):
        self._target = target
        # Set by integrity(since=...) where it checked only what changed: the user tables it checked
        # (ANALYZE needs no more) and a line saying so for the run record.
        self.checked_tables: list[str] | None = None
        self.scope: Finding | None = None

    @property
    def target(self) -> Target:
        assert self._target is not None, f"{type(self).__name__} was made for a database alone"
        return self._target

    # ------------------------------------------------------------------ the schema
    @abc.abstractmethod
    def describe(self, database: pw.Database) -> Schema:
        """The whole schema from the catalog (see kiosk.maintenance.schema_catalog)."""

    def server_version(self, database: pw.Database) -> str:
        """What else the expected schema of a version depends on (the server's version)."""
        return ""

    @abc.abstractmethod
    def scratch_schema(self, database: pw.Database) -> AbstractContextManager[pw.Database]:
        """A context manager: an empty schema on this kind of database to build a version's expected
        schema in, of which nothing is kept. Raises CannotCompare when it cannot be had."""

    # ------------------------------------------------------------------- the checks
    @abc.abstractmethod
    def integrity(self, database: pw.Database, since: backup.Backup | None = None) -> list[Finding]:
        """The file's or the catalog's soundness (check and the validation after a migration). `since`:
        the backup taken before the change, where the kind of database can use it to check less."""

    def checked_copy(self, database: pw.Database, progress=None) -> tuple[list[Finding], object | None]:
        """The integrity findings, and (where the kind of database can) the backup's copy made meanwhile
        (a pending copy for `take(pending=...)`, or None). The default: no copy."""
        return self.integrity(database), None

    def analyze(self, database: pw.Database, tables: list[str] | None = None) -> None:
        """Refresh the planner's statistics, of `tables` only when given (the rest did not change)."""
        database.execute_sql("ANALYZE")

    @abc.abstractmethod
    def broken_foreign_keys(self, database: pw.Database) -> list[tuple]:
        """One row per row that breaks a foreign key; its first column is the table."""

    def forget_statistics(self, database: pw.Database) -> None:
        """When nothing was analyzed: drop statistics the database keeps in a table of its own (a
        hook: nothing to do where it keeps none)."""
        return None

    @abc.abstractmethod
    def checks_line(self, findings: list[Finding]) -> str:
        """The line that says which of this database's checks passed, given the findings."""

    @abc.abstractmethod
    def hours_ago(self, hours: int) -> str:
        """SQL for the UTC time `hours` before now, in the text form the kiosk stores times in."""

    # -------------------------------------------------------------------- backups
    @abc.abstractmethod
    def backups_dir(self) -> Path:
        """Where this database's backups go."""

    @abc.abstractmethod
    def file_stem(self) -> str:
        """The name this database's backup and export files start with."""

    @abc.abstractmethod
    def backups(self) -> list[Path]:
        """This database's backups, oldest first."""

    def newest(self) -> Path | None:
        found = self.backups()
        return found[-1] if found else None

    @abc.abstractmethod
    def take(self, database: pw.Database | None, version: str, *, out: Path | None = None, keep: int = backup.DEFAULT_KEEP,
             clock=None, progress=None, tag: str = "", pending=None) -> backup.Backup:
        """A verified backup, the older ones rotated out (not with `out`); `pending`: see checked_copy."""

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

    # -------------------------------------------------------------------- restore
    @abc.abstractmethod
    def restore(self, database: pw.Database | None, source: Path, files: list, *, skip: set[str], keep: int,
                clock, progress):
        """Verify the backup `source`, then put it in place of the database (see
        kiosk.maintenance.restore.restore); returns (run record, what was restored, where recorded)."""
