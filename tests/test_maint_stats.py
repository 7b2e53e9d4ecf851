"""`stats` and alerts: what monitoring sees, and the exit codes it acts on."""

from __future__ import annotations

import itertools
import json
import sqlite3

import pytest

from kiosk.clock import FixedClock
from kiosk.db import connect, resolve_target
from kiosk.maintenance import alerts, queries, stats
from test_maint_support import FILES, LATEST, digest, make_db, no_traceback, one_line

pytestmark = pytest.mark.sqlite_only


def test_stats_json_has_the_plans_metrics_and_changes_nothing(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", vehicles=20)
    assert kiosk_cli("--db", str(db), "--maintenance", "backup").code == 0
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "stats", "--json"))
    assert r.code == 0, r.out
    d = json.loads(r.out)
    assert d["schema_version"] == LATEST and d["pending"] == []
    # Only a query over its budget (a heavily loaded test machine) may warn here.
    assert [a for a in d["alerts"] if a["code"] != "query_slow"] == []
    assert d["exit_code"] == (4 if d["alerts"] else 0)
    assert d["database_bytes"] == db.stat().st_size and d["wal_bytes"] >= 0 and d["free_disk_bytes"] > 0
    tables = {t["name"]: t for t in d["tables"]}
    assert tables["vehicles"]["rows"] == 20 and tables["vehicles"]["bytes"] > 0
    assert {"idx_vehicles_entry_timestamp", "idx_vehicles_status_timestamp"} <= {i["name"] for i in d["indexes"]}
    assert all(i["bytes"] > 0 for i in d["indexes"]) and d["size_source"] == "dbstat"
    assert d["last_maintenance_run"]["command"] == "backup" and d["last_maintenance_run"]["duration_ms"] >= 0
    assert d["errors_24h"] == 0 and d["backups"]["count"] == 1
    slow = d["slowest_query"]
    assert slow["name"] in [q.name for q in queries.TYPICAL] and slow["plan"]
    assert all(q["uses_index"] for q in d["queries"]), d["queries"]
    assert digest(db) == before  # read-only
    human = kiosk_cli("--db", str(db), "--maintenance", "stats")
    assert human.code == d["exit_code"] and "slowest query" in human.out and "plan: SEARCH" in human.out


def test_stats_reads_lifecycle_runs_when_present(tmp_path):
    db = make_db(tmp_path / "k.db")
    target = resolve_target(str(db))
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM lifecycle_runs")
    conn.executemany(
        "INSERT INTO lifecycle_runs (kind, status, started_at, finished_at, duration_ms, rows_done, batch_size,"
        " longest_tx_ms, message) VALUES (?, ?, ?, ?, ?, ?, 500, 5, ?)",
        [("expire", "done", "2026-11-24 10:00:00", "2026-11-24 10:00:00", 12, 3, ""),
         ("expire", "done", "2026-11-24 11:00:00", "2026-11-24 11:00:00", 8, 1, ""),
         ("archive", "failed", "2026-11-23 01:00:00", "2026-11-23 01:00:00", 30, 90, "disk I/O error")],
    )
    conn.commit()
    conn.close()
    d = stats.collect(target, connect(target, readonly=True), FILES, clock=FixedClock("2026-11-24 12:00:00"))
    last = {r["kind"]: r for r in d["last_lifecycle_runs"]}
    assert last["expire"] == {"kind": "expire", "started_at": "2026-11-24 11:00:00", "duration_ms": 8, "rows": 1, "status": "done"}
    assert last["archive"]["rows"] == 90
    assert d["errors_24h"] == 0  # the archive error is 35 h old
    d = stats.collect(target, connect(target, readonly=True), FILES, clock=FixedClock("2026-11-23 12:00:00"))
    assert d["errors_24h"] == 1


def test_alert_levels_and_exit_codes(tmp_path, free_disk):
    db = make_db(tmp_path / "k.db")
    target = resolve_target(str(db))
    database = connect(target, readonly=True)
    instant = lambda: 0.0  # noqa: E731 - queries take no time: no timing alert
    assert [a for a in alerts.collect_alerts(target, database, timer=instant) if a.level != "info"] == []
    free_disk(1024)
    found = alerts.collect_alerts(target, database, timer=instant)
    assert found[0].level == "error" and found[0].code == "disk_low" and "1.0 KiB free" in found[0].message
    assert alerts.exit_code(found) == 1
    free_disk(100 * 1024 * 1024)  # enough, but under the warning floor
    found = [a for a in alerts.collect_alerts(target, database, timer=instant) if a.level != "info"]
    assert [(a.level, a.code) for a in found] == [("warning", "disk_low")] and alerts.exit_code(found) == 4
    assert alerts.exit_code([alerts.Alert("info", "no_backup", "x")]) == 0


def test_slow_query_alert_uses_an_injected_timer(tmp_path):
    db = make_db(tmp_path / "k.db")
    target = resolve_target(str(db))
    ticks = itertools.count(step=0.5)  # every query "takes" 500 ms
    found = alerts.collect_alerts(target, connect(target, readonly=True), timer=lambda: next(ticks))
    slow = [a for a in found if a.code == "query_slow"]
    assert len(slow) == len(queries.TYPICAL) and all(a.level == "warning" for a in slow)
    assert "took 500.0 ms (budget" in slow[0].message


def test_query_without_index_is_flagged(tmp_path):
    db = make_db(tmp_path / "k.db")
    target = resolve_target(str(db))
    timings = queries.time_queries(connect(target, readonly=True))
    by_name = {t.name: t for t in timings}
    assert by_name["find a vehicle by plate"].uses_index  # the UNIQUE constraint's own index (1.7.0 dropped the copy)
    assert by_name["expired vehicles (retention)"].uses_index
    conn = sqlite3.connect(db)
    conn.execute("DROP INDEX idx_vehicles_entry_timestamp")
    conn.execute("DROP INDEX idx_vehicles_status_timestamp")
    conn.commit()
    conn.close()
    found = alerts.collect_alerts(target, connect(target, readonly=True), timer=lambda: 0.0)
    assert any(a.code == "query_no_index" and "expired vehicles" in a.message for a in found)


def test_stats_on_missing_database_and_exit_code_under_full_disk(kiosk_cli, tmp_path):
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "none.db"), "--maintenance", "stats"))
    assert r.code == 1 and "no database at" in one_line(r.err)
    db = make_db(tmp_path / "k.db")
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "stats", "--json", free_bytes=0))
    assert r.code == 1 and json.loads(r.out)["alerts"][0]["code"] == "disk_low"


def test_collect_alerts_is_read_only_and_tolerates_an_old_schema(tmp_path):
    db = make_db(tmp_path / "k.db", to="1.0.0")
    target = resolve_target(str(db))
    before = digest(db)
    found = alerts.collect_alerts(target, connect(target, readonly=True), timer=lambda: 0.0)
    assert ("warning", "schema_behind") in [(a.level, a.code) for a in found]
    assert digest(db) == before
