"""Schema operations the CLI and the app call: status, plan, migrate, rollback."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Iterator

import peewee as pw

from ..backends import backend_for
from ..clock import Clock
from ..db import Target
from ..errors import KioskError, UsageError
from . import history
from .files import EMPTY, MigrationFile, Version, format_version, load_migrations
from .steps import dialect_of

log = logging.getLogger(__name__)  # the steps as they run, and waiting for the lock


@dataclass
class Status:
    target: str
    schema_version: Version
    latest: Version
    applied: list[history.Applied]
    pending: list[MigrationFile]
    findings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "schema_version": format_version(self.schema_version),
            "latest": format_version(self.latest),
            "up_to_date": self.schema_version == self.latest,
            "applied": [
                {
                    "version": format_version(a.version),
                    "name": a.name,
                    "applied_at": a.applied_at.strftime("%Y-%m-%d %H:%M:%S") if a.applied_at else None,
                    "checksum": a.checksum,
                    "duration_ms": a.duration_ms,
                }
                for a in self.applied
            ],
            "pending": [{"version": f.version_text, "name": f.name} for f in self.pending],
            "findings": list(self.findings),
        }


@dataclass(frozen=True)
class Step:
    """One version to apply or undo, with the SQL it runs."""

    file: MigrationFile
    direction: str  # "up" or "down"
    sql: list[str]


def current_version(applied: list[history.Applied]) -> Version:
    return max((a.version for a in applied), default=EMPTY)


# Test and operations hook: run the migrations of another folder (validated like the packaged one).


def migration_files() -> list[MigrationFile]:
    """The packaged migrations, or those of $KIOSK_MIGRATIONS_DIR when set (see files.migrations_dir)."""
    return load_migrations()


def status(target: Target, database: pw.Database | None, files: list[MigrationFile] | None = None) -> Status:
    files = files or load_migrations()
    applied = [] if database is None else history.read_history(database, files)
    done = {a.name for a in applied}
    return Status(
        target=target.describe(),
        schema_version=current_version(applied),
        latest=files[-1].version,
        applied=applied,
        pending=[f for f in files if f.name not in done],
        findings=history_findings(applied, files),
    )


def history_findings(applied: list[history.Applied], files: list[MigrationFile]) -> list[str]:
    """Where the applied history and the migration files disagree (empty when they agree)."""
    by_name = {f.name: f for f in files}
    out = []
    for a in applied:
        f = by_name.get(a.name)
        if f is None:
            out.append(
                f"schema version {format_version(a.version)} ({a.name}) is applied but has no migration file here: "
                "install the kiosk release that has it, or restore a backup taken before it"
            )
        elif a.checksum and a.checksum != f.checksum:
            out.append(
                f"migration file {f.name}.py was edited after it was applied (checksum {a.checksum[:12]} applied, "
                f"{f.checksum[:12]} now): put the released file back; never edit an applied migration, add a new version"
            )
        elif a.version != f.version:
            out.append(f"{a.name} was applied as version {format_version(a.version)} but its file says {f.version_text}")
    seen: Version = EMPTY
    for a in applied:
        if a.version <= seen:
            out.append(f"versions were applied out of order: {format_version(a.version)} after {format_version(seen)}")
        seen = max(seen, a.version)
    current = current_version(applied)
    done = {a.name for a in applied}
    for f in files:
        if f.name not in done and f.version < current:
            out.append(
                f"version {f.version_text} is pending but {format_version(current)} is already applied: applying it now would run "
                f"versions out of order; roll back below {f.version_text} first, then migrate"
            )
    return out


def plan(database: pw.Database, to: Version | None, files: list[MigrationFile] | None = None) -> list[Step]:
    """The steps from the current version to `to` (default: latest), without running them."""
    files = files or load_migrations()
    applied = history.read_history(database, files)
    current = current_version(applied)
    goal = files[-1].version if to is None else to
    steps: list[Step] = []
    done = {a.name for a in applied}
    if goal >= current:
        for f in files:
            if f.name not in done and f.version <= goal:
                steps.append(Step(f, "up", _sql_of(f.migrate, database)))
    else:
        for a in reversed(applied):
            if a.version > goal:
                f = _file_for(a, files)
                steps.append(Step(f, "down", _sql_of(f.rollback, database)))
    return steps


def migrate(
    target: Target,
    database: pw.Database,
    to: Version | None = None,
    *,
    clock: Clock | None = None,
    files: list[MigrationFile] | None = None,
    locked: bool = False,
) -> list[Step]:
    """Apply pending versions up to `to`, each in its own transaction.

    `locked=True`: the caller already holds the maintenance lock (a second
    flock from the same process would wait on itself).
    """
    files = files or load_migrations()
    with _maybe_lock(target, database, locked):
        steps = plan(database, to, files)
        if any(s.direction == "down" for s in steps):
            raise UsageError(
                f"the database is at a newer version than {format_version(to)}: use 'rollback --to {format_version(to)}' to go down"
            )
        from .router import KioskRouter  # peewee-migrate: only when the schema changes

        router = KioskRouter(database, files, clock)
        for step in steps:
            log.info(f"applying {step.file.version_text}  {step.file.title}")
            router.run_one(step.file.name, router.migrator, fake=False)
        return steps


def rollback(
    target: Target,
    database: pw.Database,
    to: Version,
    *,
    files: list[MigrationFile] | None = None,
    locked: bool = False,
) -> list[Step]:
    """Undo applied versions newer than `to`, newest first, each in its own transaction."""
    files = files or load_migrations()
    with _maybe_lock(target, database, locked):
        steps = plan(database, to, files)
        if any(s.direction == "up" for s in steps):
            raise UsageError(f"the database is below {format_version(to)}: use 'migrate --to {format_version(to)}' to go up")
        from .router import KioskRouter

        router = KioskRouter(database, files)
        for step in steps:
            log.info(f"rolling back {step.file.version_text}  {step.file.title}")
            router.run_one(step.file.name, router.migrator, fake=False, downgrade=True)
        return steps


@contextlib.contextmanager
def maintenance_lock(
    target: Target, database: pw.Database, wait_seconds: float = 60.0
) -> Iterator[None]:
    with backend_for(target).maintenance_lock(target, database, wait_seconds, on_wait=log.info):
        yield


def _maybe_lock(target: Target, database: pw.Database, locked: bool):
    return contextlib.nullcontext() if locked else maintenance_lock(target, database)


def _file_for(applied: history.Applied, files: list[MigrationFile]) -> MigrationFile:
    for f in files:
        if f.name == applied.name:
            return f
    raise KioskError(
        f"schema version {format_version(applied.version)} ({applied.name}) is applied but its migration file is missing: "
        "this kiosk cannot undo it; restore a backup or install the kiosk release that has it"
    )


def _sql_of(fn, database: pw.Database) -> list[str]:
    """The statements a migrate/rollback function would queue, without running them."""
    from peewee_migrate import Migrator
    from playhouse.migrate import Operation

    migrator = Migrator(database)
    fn(migrator, database, fake=False)
    out = []
    for op in migrator.__ops__:  # an Operation, or a plain callable for migrator.run()
        if isinstance(op, Operation) and op.fn.__name__ == "sql":
            out.append(op.args[0])
        else:
            out.append(f"-- {op!r}")
    return out


__all__ = ["Status", "Step", "current_version", "dialect_of", "migrate", "plan", "rollback", "status"]
