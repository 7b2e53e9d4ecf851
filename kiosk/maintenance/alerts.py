"""Alerts: findings with a level, for `stats`, cron and the TUI header.

`collect_alerts` is read-only and fast (no integrity_check: that is `check`'s
job; it reads the last recorded run instead). Levels: "error" (exit 1),
"warning" (exit 4), "info" (exit 0).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable

import peewee as pw

from .. import owner_only
from ..clock import Clock, SystemClock
from ..db import Target
from ..receipt_files import outliving, receipts_dir_for
from ..schema import runner
from ..schema.files import EMPTY, MigrationFile, load_migrations
from . import facts, privacy_alerts, queries, retention, runs, schema_compare
from .site_backup import backup_tool_for

LEVELS = ("error", "warning", "info")
DISK_WARN_FLOOR = 256 * facts.MIB
BACKUP_MAX_AGE = dt.timedelta(days=8)


@dataclass(frozen=True)
class Alert:
    level: str
    code: str
    message: str

    def to_json(self) -> dict:
        return {"level": self.level, "code": self.code, "message": self.message}


def exit_code(alerts: list[Alert]) -> int:
    if any(a.level == "error" for a in alerts):
        return 1
    if any(a.level == "warning" for a in alerts):
        return 4
    return 0


def collect_alerts(
    target: Target,
    database: pw.Database | None,
    *,
    files: list[MigrationFile] | None = None,
    clock: Clock | None = None,
    timings: list[queries.Timing] | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> list[Alert]:
    """Everything an operator should know now, worst first."""
    files = files or load_migrations()
    clock = clock or SystemClock()
    out: list[Alert] = exposure_alerts(target)
    if database is not None:
        out += _schema_alerts(target, database, files)
        out += _run_alerts(database)
        if timings is None:
            timings = queries.time_queries(database, timer)
        for t in timings:
            if t.over_budget:
                out.append(Alert("warning", "query_slow", f"'{t.name}' took {t.ms:.1f} ms (budget {t.budget_ms:.0f} ms): run ANALYZE, see docs/operations.md"))
            if not t.uses_index:
                out.append(Alert("warning", "query_no_index", f"'{t.name}' scans without an index ({'; '.join(t.plan)})"))
    limit = retention.limit_of(database) if database is not None else retention.Limit(
        retention.DEFAULT_RETENTION_HOURS, retention.DEFAULT_WINDOW_DAYS)
    site = backup_tool_for(target)
    disk = site.alert_disk(database)
    if disk is not None:  # the backups are written on this machine
        out += _disk_alerts(*disk)
        found = site.backups()
        out += _backup_alerts(found[-1] if found else None, target.exists(), clock)
        out += _outliving_backups(found, clock, limit)
    if database is not None:
        out += _outliving_receipts(database, receipts_dir_for(target), clock, limit)
        out += _privacy_alerts(database, clock)
    return sorted(out, key=lambda a: LEVELS.index(a.level))


def exposure_alerts(target: Target) -> list[Alert]:
    """Files with personal data (database, side files, backups, receipts) that other users may read."""
    found = owner_only.exposed(backup_tool_for(target).private_paths())
    if not found:
        return []
    shown = ", ".join(f"{p} ({mode:04o})" for p, mode in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    return [Alert("error", "files_exposed",
                  f"other users can read personal data: {shown}: make them owner-only (chmod go-rwx; "
                  "the kiosk and maintenance tighten them when they open the database)")]
def _outliving_backups(paths, clock: Clock, limit: retention.Limit) -> list[Alert]:
    old = retention.outliving(paths, clock.now(), limit)
    if not old:
        return []
    return [Alert("warning", "backup_outlives_retention",
                  f"{len(old)} backup(s) older than {limit.text()} still hold personal data (oldest {old[0].name}): "
                  "take a backup (its rotation deletes them) or delete them")]


def _outliving_receipts(database: pw.Database, folder, clock: Clock, limit: retention.Limit) -> list[Alert]:
    try:
        with database.atomic():  # below schema 1.5.0 there are no stays: nothing to say
            files = outliving(database, folder, clock.now() - dt.timedelta(hours=limit.retention_hours))
    except pw.DatabaseError:
        return []
    if not files:
        return []
    return [Alert("warning", "receipt_outlives_retention",
                  f"{len(files)} receipt file(s) in {folder} belong to stays whose personal data has expired "
                  f"(e.g. {files[0].name}): run 'kiosk --maintenance expire', which deletes them")]


def _privacy_alerts(database: pw.Database, clock: Clock) -> list[Alert]:
    try:
        return [Alert(*raised) for raised in privacy_alerts.collect(database, clock)]
    except pw.DatabaseError:  # a schema that differs from its version: the schema alerts say so
        return []


def _schema_alerts(target: Target, database: pw.Database, files) -> list[Alert]:
    st = runner.status(target, database, files)
    out = [Alert("error", "schema_history", f) for f in st.findings]
    if st.pending and not st.findings:
        out.append(Alert("warning", "schema_behind", f"{len(st.pending)} schema version(s) pending: run 'kiosk --maintenance migrate'"))
    if not st.findings and st.schema_version != EMPTY:
        # The catalog only (no integrity_check): a trigger or view slipped in shows at once.
        out += [Alert(f.level, f.code, f.message) for f in schema_compare.drift(database, files, st.schema_version)]
    return out


def _run_alerts(database: pw.Database) -> list[Alert]:
    out = []
    last = runs.last_run(database)
    if last is None:
        return out
    label = f"{last['command']} at {last['started_at']} UTC"
    if last["outcome"] == "failed":
        out.append(Alert("error", "migration_failed" if last["command"] in ("migrate", "rollback") else "maintenance_failed", f"last maintenance run failed ({label}): {last['error']}"))
    errors = [f for f in last["findings"] if isinstance(f, dict) and f.get("level") == "error"]
    if errors:
        out.append(Alert("error", "validation_error", f"validation after {label}: {errors[0].get('message')}"))
    return out


def _disk_alerts(folder, need: int) -> list[Alert]:
    free = facts.free_bytes(folder)
    text = f"{facts.human(free)} free at {folder}"
    if free < need:
        return [Alert("error", "disk_low", f"{text}, a backup and migration need {facts.human(need)}: free some space")]
    if free < max(2 * need, DISK_WARN_FLOOR):
        return [Alert("warning", "disk_low", f"{text}, below the warning threshold {facts.human(max(2 * need, DISK_WARN_FLOOR))}")]
    return []


def _backup_alerts(newest, exists: bool, clock: Clock) -> list[Alert]:
    if newest is None:
        return [Alert("info", "no_backup", "no backup yet: 'kiosk --maintenance backup' takes one")] if exists else []
    age = clock.now() - dt.datetime.fromtimestamp(newest.stat().st_mtime, dt.timezone.utc)
    if age > BACKUP_MAX_AGE:
        return [Alert("warning", "backup_old", f"the newest backup is {age.days} days old ({newest.name}): take one")]
    return []
