"""`kiosk --maintenance stats`: the plan's key metrics, read-only, with alerts."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Callable

import peewee as pw

from ..backends import backend_for
from ..clock import Clock, SystemClock, to_sqlite_text
from ..db import Target
from ..schema import runner
from ..schema.files import EMPTY, MigrationFile, format_version
from . import alerts, privacy_facts, queries, retention, runs, schema_compare
from .site_backup import backup_tool_for

LIFECYCLE_TABLE = "lifecycle_runs"  # added by schema 1.5.0; may be absent


def collect(
    target: Target,
    database: pw.Database | None,
    files: list[MigrationFile],
    *,
    clock: Clock | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> dict:
    clock = clock or SystemClock()
    st = runner.status(target, database, files)
    out: dict = {
        "target": target.describe(),
        "schema_version": format_version(st.schema_version),
        "latest": format_version(st.latest),
        "pending": [f.version_text for f in st.pending],
        "history_findings": st.findings,
    }
    site = backup_tool_for(target)
    if database is not None:
        # The expected schema (for the alerts) first: on PostgreSQL its scratch schema is rolled
        # back but leaves dead catalog rows until vacuum, so the size is read after it.
        with contextlib.suppress(schema_compare.CannotCompare):
            if st.schema_version != EMPTY and not st.findings:
                schema_compare.expected(database, files, st.schema_version)
    sizes = site.sizes(database)
    if sizes is not None:
        out.update(sizes)
        out["backups"] = _backups(site.backups(), database, clock)
    timings: list[queries.Timing] = []
    if database is not None:
        out["tables"], out["indexes"], out["size_source"] = _sizes(database)
        out["last_maintenance_run"] = runs.last_run(database)
        out["last_lifecycle_runs"] = _lifecycle(database)
        since = to_sqlite_text(clock.now() - dt.timedelta(hours=24))
        out["errors_24h"] = runs.failures_since(database, since) + _lifecycle_errors(database, since)
        out["privacy"] = _privacy(database, clock)
        timings = queries.time_queries(database, timer)
        worst = queries.slowest(timings)
        out["queries"] = [t.to_json() for t in timings]
        out["slowest_query"] = worst.to_json() if worst else None
    out["alerts"] = [a.to_json() for a in alerts.collect_alerts(target, database, files=files, clock=clock, timings=timings)]
    return out


def _backups(paths, database, clock: Clock) -> dict:
    limit = retention.limit_of(database) if database is not None else None
    old = retention.outliving(paths, clock.now(), limit) if limit is not None else []
    return {"count": len(paths), "newest": str(paths[-1]) if paths else None,
            "max_age_days": round(limit.max_age / dt.timedelta(days=1), 2) if limit else None,
            "outliving_retention": [str(p) for p in old]}


def _sizes(database: pw.Database) -> tuple[list[dict], list[dict], str]:
    """Rows and bytes per table, bytes per index, as the database's backend measures them."""
    return backend_for(database).table_sizes(database)


def _lifecycle(database: pw.Database) -> list[dict]:
    """The newest expiry/archive run of each kind (table of schema 1.5.0; absent below it)."""
    if not runs.has_table(database, LIFECYCLE_TABLE):
        return []
    latest: dict[str, dict] = {}
    rows = database.execute_sql(
        f"SELECT kind, started_at, duration_ms, rows_done, status FROM {LIFECYCLE_TABLE} ORDER BY started_at DESC LIMIT 500"
    ).fetchall()
    for kind, started_at, duration_ms, rows_done, status in rows:
        latest.setdefault(
            str(kind),
            {"kind": kind, "started_at": str(started_at), "duration_ms": duration_ms, "rows": rows_done, "status": status},
        )
    return list(latest.values())


def _privacy(database: pw.Database, clock: Clock) -> dict | None:
    """Holds in force, rows the last expiry skipped for them, requests open (schema 1.11.0 on)."""
    if not runs.has_table(database, "legal_holds"):
        return None
    try:
        with database.atomic():
            today = clock.now().astimezone(privacy_facts.settings(database).zone).date()
            holds = privacy_facts.holds_in_force(database, today)
            requests = privacy_facts.open_requests(database, today)
            last = privacy_facts.last_expiry(database)
    except pw.DatabaseError:
        return None
    return {"holds_in_force": len(holds), "holds_past_review": sum(h.past_review for h in holds),
            "expiry_held_last_run": last["held"] if last else 0,
            "requests_open": len(requests), "requests_due_soon": sum(r.state == "due_soon" for r in requests),
            "requests_overdue": sum(r.state == "overdue" for r in requests)}


def _lifecycle_errors(database: pw.Database, since: str) -> int:
    if not runs.has_table(database, LIFECYCLE_TABLE):
        return 0
    return database.execute_sql(
        f"SELECT COUNT(*) FROM {LIFECYCLE_TABLE} WHERE status = 'failed' AND started_at >= {database.param}", (since,)
    ).fetchone()[0]
