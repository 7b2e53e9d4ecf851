"""Pre-flight checks before migrate, rollback and restore.

Order: lock (never skippable; held for the whole run), active kiosks, expiry
runs (never skippable), schema
history, disk space, then the verified backup. A skipped check is named by the
operator (`--skip-check NAME`), reported, and stored with the run.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from typing import Callable, Iterator

import peewee as pw

from ..db import Target
from ..errors import UsageError
from ..schema import exclusion, runner
from ..schema.files import EMPTY, MigrationFile, format_version
from . import Refused, backup, facts, presence, recognise, validate
from .site_backup import backup_tool_for

SKIPPABLE = ("backup", "disk", "connections", "history")
LOCK_WAIT_SECONDS = 60.0
log = logging.getLogger(__name__)  # each check's result line; the CLI prints them


@dataclass
class CheckResult:
    name: str
    status: str  # ok, failed, skipped
    message: str

    def line(self) -> str:
        return f"pre-flight {self.name:12} {self.status:8} {self.message}"


@dataclass
class Preflight:
    skip: set[str]
    command: str = "maintenance"  # migrate, rollback, restore...: how an expiry run refused by it names it
    results: list[CheckResult] = field(default_factory=list)
    taken: backup.Backup | None = None
    progress: object = None  # the backup's progress callback (pages done, total)
    pending: object = None  # the backup's copy made during the integrity check (kiosk.maintenance.sites.sqlite_copy)

    def discard_pending(self) -> None:
        if self.pending is not None:
            self.pending.discard()
            self.pending = None

    def add(self, name: str, ok: bool, message: str) -> bool:
        status = "skipped" if name in self.skip else ("ok" if ok else "failed")
        if name in self.skip:
            message = f"SKIPPED by --skip-check {name} ({message})"
        result = CheckResult(name, status, message)
        self.results.append(result)
        log.info(result.line())
        return ok or name in self.skip

    def refuse_if_failed(self) -> None:
        failed = [r for r in self.results if r.status == "failed"]
        if failed:
            names = ", ".join(r.name for r in failed)
            raise Refused(
                f"pre-flight check(s) failed ({names}): " + "; ".join(r.message for r in failed) + "; nothing was changed"
            )

    @property
    def skipped(self) -> list[str]:
        return sorted(self.skip)


def parse_skips(names: tuple[str, ...] | list[str]) -> set[str]:
    out = set()
    for raw in names:
        name = raw.strip().lower()
        if name == "lock":
            raise UsageError("the lock check cannot be skipped: two maintenance runs at once could apply a version twice")
        if name not in SKIPPABLE:
            raise UsageError(f"unknown check '{raw}': the checks you may skip are {', '.join(SKIPPABLE)}")
        out.add(name)
    return out


@contextlib.contextmanager
def hold(target: Target, database: pw.Database, pre: Preflight, *, need_exclusive: bool = True) -> Iterator[None]:
    """The lock, then (for changes) the database held against kiosks and expiry runs, for the whole run."""
    site = backup_tool_for(target)
    site.prepare()
    with runner.maintenance_lock(target, database, wait_seconds=LOCK_WAIT_SECONDS), _discarding(pre):
        site.locked()
        pre.results.append(CheckResult("lock", "ok", "no other maintenance run"))
        log.info(pre.results[-1].line())
        if not need_exclusive:
            yield
            return
        with presence.exclusive(target, database) as live, contextlib.ExitStack() as expiry:
            names = ", ".join(k.describe() for k in live)
            pre.add("connections", not live, f"live kiosk(s): {names}; close them first" if live else "no live kiosk")
            try:  # never skippable: an expiry run would write into tables (or a file) being replaced
                expiry.enter_context(exclusion.no_expiry(target, database, pre.command))
                pre.add("expiry", True, "no expiry/archive run")
            except exclusion.ExpiryRunning as exc:
                pre.add("expiry", False, str(exc))
            pre.refuse_if_failed()
            yield


@contextlib.contextmanager
def _discarding(pre: Preflight) -> Iterator[None]:
    try:
        yield
    finally:
        pre.discard_pending()  # a copy the run did not keep as its backup (refused, failed, nothing to do)


def check_history(target: Target, database: pw.Database | None, files: list[MigrationFile], pre: Preflight, *,
                  copy: Callable[[runner.Status], bool] | None = None) -> runner.Status:
    """The history, and the file's integrity and schema. `copy`: make the backup's copy during the
    integrity check where the database allows and `copy(status)` says a backup will be wanted (one check
    serves both: kiosk.maintenance.sites.sqlite_copy)."""
    st = runner.status(target, database, files)
    found = recognise.unversioned(database, files) if database is not None and not st.applied else None
    if found is not None:  # tables but no history: running 1.0.0 on them would fail ("table vehicles already exists")
        pre.add("schema", False, unversioned_refusal(found))
    problems = list(st.findings)
    if database is not None and st.schema_version != EMPTY and not problems:
        integrity = None
        if copy is not None and "backup" not in pre.skip and copy(st):
            integrity, pre.pending = backup_tool_for(target).checked_copy(database, pre.progress)
        found = validate.consistency(database, files, st.schema_version, integrity=integrity)
        problems += [f.message for f in found if f.level == "error"]
        if problems:
            newest = backup_tool_for(target).newest()
            hint = f"restore the newest backup: kiosk --maintenance restore {newest}" if newest else "restore it from a backup"
            problems = [f"the database is inconsistent: {listed(problems)}; {hint}"]
    ok = not problems
    label = format_version(st.schema_version)
    pre.add("history", ok, "; ".join(problems) if problems else f"at {label}, {len(st.applied)} version(s) applied, files and checksums match")
    return st


def unversioned_refusal(found: recognise.Recognition) -> str:
    """Why a database with tables but no kiosk history is not migrated, and what to do instead."""
    said = f"the database has {found.summary()}"
    if found.adoptable:
        return f"{said}: adopt it first ({found.next_step()})"
    if found.version is None:
        return f"{said}: point --db at a kiosk database"
    return f"{said}: restore a kiosk backup, or point --db at another database"


def listed(problems: list[str], limit: int = 5) -> str:
    """The first few problems in one line, and how many more there are."""
    more = f"; and {len(problems) - limit} more (kiosk --maintenance check lists them)" if len(problems) > limit else ""
    return "; ".join(problems[:limit]) + more


def check_disk(target: Target, pre: Preflight, *, factor: int = 2, extra: int = 0, database: pw.Database | None = None) -> None:
    probe, need, purpose = backup_tool_for(target).disk_need(database, factor=factor, extra=extra)
    free = facts.free_bytes(probe)
    msg = f"{facts.human(free)} free at {probe}{purpose}, {facts.human(need)} needed"
    pre.add("disk", free >= need, msg if free >= need else f"not enough disk space: {msg}; free some space first")


def take_backup(target: Target, version: str, pre: Preflight, *, keep: int, clock, progress, tag: str = "",
                database: pw.Database | None = None) -> None:
    if "backup" in pre.skip:
        pre.add("backup", False, "no backup taken")
        return
    if not target.exists():
        pre.add("backup", True, "no database yet, nothing to back up")
        return
    pending, pre.pending = pre.pending, None
    pre.taken = backup_tool_for(target).take(database, version, keep=keep, clock=clock, progress=progress, tag=tag,
                                             pending=pending)
    rows = sum(pre.taken.counts.values())
    rotated = f", {len(pre.taken.removed)} old backup(s) rotated out" if pre.taken.removed else ""
    pre.add(
        "backup",
        True,
        f"{_rel(pre.taken.path)} ({facts.human(pre.taken.size)}, {rows} rows in {len(pre.taken.counts)} tables, verified{rotated})",
    )


def _rel(path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
