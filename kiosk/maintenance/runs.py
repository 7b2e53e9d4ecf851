"""The record of every maintenance run: the `maintenance_runs` table (schema 1.6.0+).

When the table does not exist (a database below 1.6.0, or a rollback below it,
or a database too damaged to write) the record goes, as one JSON line, to
`<db>.maintenance.jsonl` beside the database, so no run goes unrecorded.
Each run also adds an `audit_logs` row (action 'maintenance', no personal data).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import peewee as pw

from .. import owner_only
from ..backends import backend_for
from ..clock import to_sqlite_text
from ..db import Target

TABLE = "maintenance_runs"


@dataclass
class RunRecord:
    command: str
    started_at: str  # UTC 'YYYY-MM-DD HH:MM:SS'
    from_version: str | None = None
    to_version: str | None = None
    outcome: str = "ok"  # ok, warnings, failed, refused
    error: str | None = None
    duration_ms: int | None = None
    skipped_checks: list[str] = field(default_factory=list)
    backup_path: str | None = None
    rows_before: dict | None = None
    rows_after: dict | None = None
    findings: list[dict] = field(default_factory=list)
    id: int | None = None  # the row reserved before the change (reserve)

    def to_json(self) -> dict:
        return asdict(self)


def fallback_log(target: Target) -> Path | None:
    from .site_backup import backup_tool_for  # the backup modules record their runs here

    return backup_tool_for(target).fallback_log()


def has_table(database: pw.Database | None, name: str) -> bool:
    try:
        return database is not None and database.table_exists(name)
    except pw.DatabaseError:
        return False


_COLUMNS = ("command, started_at, duration_ms, from_version, to_version, outcome, error, skipped_checks, backup_path, "
            "rows_before, rows_after, findings")


def _values(run: RunRecord) -> tuple:
    return (run.command, run.started_at, run.duration_ms, run.from_version, run.to_version, run.outcome, run.error,
            json.dumps(run.skipped_checks), run.backup_path, _dump(run.rows_before), _dump(run.rows_after),
            json.dumps(run.findings))


def _insert(target: Target, database: pw.Database, run: RunRecord) -> int:
    sql = f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({', '.join([database.param] * 12)})"
    return backend_for(database).insert_id(database, sql, _values(run))


def reserve(target: Target, database: pw.Database | None, run: RunRecord) -> None:
    """Write the run's row (outcome 'running') before anything changes. Its final state is then an
    UPDATE of that row, which needs no new page: a disk that fills up during the run still gets the
    record. A run killed outright stays 'running'. Nothing happens when there is no table yet."""
    run.outcome, outcome = "running", run.outcome
    try:
        if has_table(database, TABLE):
            with database.atomic():
                run.id = _insert(target, database, run)
    except (pw.DatabaseError, OSError):
        run.id = None
    finally:
        run.outcome = outcome


def _update(database: pw.Database, run: RunRecord) -> bool:
    sets = ", ".join(f"{c.strip()} = {database.param}" for c in _COLUMNS.split(","))
    cur = database.execute_sql(f"UPDATE {TABLE} SET {sets} WHERE id = {database.param}", (*_values(run), run.id))
    return cur.rowcount == 1


def record(target: Target, database: pw.Database | None, run: RunRecord, *, in_database: bool = True) -> str:
    """Store the run; returns where it went. Never raises: a failed run must still be reported.

    `in_database=False` (a run that changed nothing: refused, bad input) writes
    only the file, so the database stays byte for byte as it was (a reserved row
    is still brought up to date). So does a run that found the schema differing
    from its version: a trigger nobody made could fire on the record's own rows.
    """
    drift = any(f.get("level") == "error" and f.get("code") == "schema_drift" for f in run.findings if isinstance(f, dict))
    in_database = in_database and not drift
    try:
        if run.id is not None and not drift and has_table(database, TABLE):
            for with_audit in (True, False):  # the audit row needs room; the record comes first
                try:
                    with database.atomic():
                        if not _update(database, run):
                            break  # the table was dropped and made again (a rollback below 1.6.0 and back)
                        if with_audit:
                            _audit(database, run, str(run.id))
                    return f"{TABLE} #{run.id}"
                except pw.DatabaseError:
                    continue
        if in_database:
            if has_table(database, TABLE):
                with database.atomic():
                    run_id = _insert(target, database, run)
                    _audit(database, run, str(run_id))
                return f"{TABLE} #{run_id}"
            elif has_table(database, "audit_logs"):
                with database.atomic():
                    _audit(database, run, "-")
    except (pw.DatabaseError, OSError):
        pass  # the database cannot take it: the file below still records the run
    log = fallback_log(target)
    if log is None:
        return "not recorded (no maintenance_runs table)"
    try:
        fd = owner_only.open_file(log, os.O_WRONLY | os.O_APPEND)
        with os.fdopen(fd, "a") as fh:
            fh.write(json.dumps(run.to_json()) + "\n")
        return str(log)
    except OSError as exc:
        return f"not recorded ({exc.strerror or exc})"


def _audit(database: pw.Database, run: RunRecord, run_id: str) -> None:
    if not has_table(database, "audit_logs"):
        return
    details = json.dumps(
        {
            "command": run.command,
            "from": run.from_version,
            "to": run.to_version,
            "outcome": run.outcome,
            "duration_ms": run.duration_ms,
            "skipped_checks": run.skipped_checks,
        }
    )
    columns, values = "action, entity, entity_id, timestamp, details", ["maintenance", TABLE, run_id, run.started_at, details]
    # From schema 1.9.0 on, a row says how it was made: a maintenance command is headless
    # (kiosk.booth.actors.Origin.HEADLESS). The run may have left the schema at any version.
    if "origin" in {c.name for c in database.get_columns("audit_logs")}:
        columns, values = columns + ", origin", values + ["headless"]
    database.execute_sql(
        f"INSERT INTO audit_logs ({columns}) VALUES ({', '.join([database.param] * len(values))})", tuple(values))


def _dump(value) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def last_run(database: pw.Database | None, command: str | None = None) -> dict | None:
    """The newest recorded run (optionally of one command), decoded; None when there is none."""
    if not has_table(database, TABLE):
        return None
    where = f" WHERE command = {database.param}" if command else ""
    cur = database.execute_sql(
        f"SELECT id, command, started_at, duration_ms, from_version, to_version, outcome, error, skipped_checks, findings "
        f"FROM {TABLE}{where} ORDER BY id DESC LIMIT 1",
        (command,) if command else (),
    )
    row = cur.fetchone()
    if row is None:
        return None
    keys = ["id", "command", "started_at", "duration_ms", "from_version", "to_version", "outcome", "error", "skipped_checks", "findings"]
    out = dict(zip(keys, row))
    out["started_at"] = str(out["started_at"])
    for k in ("skipped_checks", "findings"):
        try:
            out[k] = json.loads(out[k]) if out[k] else []
        except ValueError:
            out[k] = []
    return out


def failures_since(database: pw.Database | None, since_text: str) -> int:
    if not has_table(database, TABLE):
        return 0
    return database.execute_sql(
        f"SELECT COUNT(*) FROM {TABLE} WHERE outcome = 'failed' AND started_at >= {database.param}", (since_text,)
    ).fetchone()[0]


__all__ = ["RunRecord", "failures_since", "fallback_log", "last_run", "record", "reserve", "to_sqlite_text"]
