"""`kiosk --maintenance` on PostgreSQL through the real CLI: pre-flight (advisory lock, live kiosks
from pg_stat_activity), rehearsal in a scratch database, check (constraints, foreign keys, row
counts), stats from the server's size functions, and SIGKILL mid-migration. Backup and restore:
test_pg_maint_backup.py. The SQLite versions of these are tests/test_maint_*.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psycopg
import pytest
from pg_maint_support import dumps, make_pg, q, runs, start_kiosk, state
from test_maint_support import BELOW_MAINT, LATEST, folder_with, kill, no_traceback, one_line, wait_for

from kiosk.db import connect
from kiosk.maintenance import presence
from kiosk.maintenance.sites import pg_dump

pytestmark = pytest.mark.postgres_only


# --- migrate with every pre-flight check ----------------------------------------------------


def test_migrate_runs_every_check_takes_a_verified_dump_and_records_the_run(target, kiosk_cli, tmp_path):
    url = make_pg(target, to=BELOW_MAINT)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate"))
    assert r.code == 0, r.err
    for check in ("lock", "connections", "history", "disk", "backup"):
        assert f"pre-flight {check:12} ok" in r.out
    assert f"schema version {LATEST}" in r.out and "validation   ok" in r.out
    (dump,) = dumps(tmp_path)
    assert f"-v{BELOW_MAINT}.dump" in dump.name and dump.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700
    info = pg_dump.inspect(dump, keep_script=False)  # the dump reads back whole, with the rows it had
    assert info.counts["vehicles"] == 3 and info.history[-1][1] == BELOW_MAINT
    (run,) = runs(url)
    assert (run["command"], run["outcome"], run["from_version"], run["to_version"]) == ("migrate", "ok", BELOW_MAINT, LATEST)
    assert json.loads(run["rows_before"])["vehicles"] == 3 == json.loads(run["rows_after"])["vehicles"]
    assert run["backup_path"] == str(dump)
    audit = q(url, "SELECT details FROM audit_logs WHERE action = 'maintenance'")
    assert len(audit) == 1 and json.loads(audit[0][0])["outcome"] == "ok" and "PL1" not in audit[0][0]
    assert q(url, "SELECT COUNT(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")[0][0] > 0  # ANALYZE ran


def test_live_kiosk_refuses_migrate_naming_it_and_a_killed_kiosk_does_not_block(target, kiosk_cli, tmp_path):
    url = make_pg(target, to=BELOW_MAINT)
    before = state(url)
    kiosk = start_kiosk(url, "Booth-North", tmp_path)
    try:
        r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate"))
        assert r.code == 3
        line = one_line(r.err)
        assert "Booth-North" in line and f"pid {kiosk.pid}" in line and "nothing was changed" in line
        assert state(url) == before and dumps(tmp_path) == []
        watcher = connect(target, bind=False)
        assert [k.booth for k in presence.live_kiosks(target, watcher)] == ["Booth-North"]
    finally:
        kill(kiosk)  # SIGKILL: the server drops its session and its lock
    give_up = time.monotonic() + 30  # as soon as its server process has seen the client go
    while presence.live_kiosks(target, watcher) and time.monotonic() < give_up:
        time.sleep(0.01)
    assert presence.live_kiosks(target, watcher) == []
    watcher.close()
    skip = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", "--skip-check", "connections"))
    assert skip.code == 4 and "SKIPPED by --skip-check connections" in skip.out
    assert runs(url)[-1]["outcome"] == "warnings" and state(url)[0] == LATEST


def test_kiosk_cannot_start_while_maintenance_holds_the_database(database, target):
    booth_db = connect(target, bind=False)  # another session, as another booth
    try:
        with presence.exclusive(target, database) as live:
            assert live == []
            with pytest.raises(presence.MaintenanceRunning, match="maintenance is running"):
                with presence.announce(target, booth_db, "Booth East"):
                    pass
        with presence.announce(target, booth_db, "Booth East") as me:
            assert me.booth == "Booth East"
            with presence.exclusive(target, database) as live:
                assert [k.booth for k in live] == ["Booth-East"] and live[0].pid == os.getpid()
            app = q(target.raw, "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'kiosk:Booth-East:%%'")
            assert app == [(f"kiosk:Booth-East:{os.getpid()}",)]
    finally:
        booth_db.close()


def test_full_disk_for_the_dump_refuses(target, kiosk_cli, tmp_path):
    url = make_pg(target, to=BELOW_MAINT)
    before = state(url)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", free_bytes=4096))
    assert r.code == 3 and "not enough disk space" in one_line(r.err) and "4.0 KiB free" in r.err
    assert state(url) == before and dumps(tmp_path) == []


# --- validation, check, failures, rehearsal ----------------------------------------------------

FAILS = '''
"""99.0.0 - fails half-way (test only)."""
VERSION = "99.0.0"


def migrate(migrator, database, fake=False):
    migrator.sql("UPDATE vehicles SET vehicle_type = 'half'")
    migrator.sql("CREATE TABLE half_done (id INTEGER)")
    migrator.sql("INSERT INTO no_such_table VALUES (1)")


def rollback(migrator, database, fake=False):
    pass
'''

DELETES = '''
"""99.0.0 - deletes rows, undeclared (test only)."""
VERSION = "99.0.0"


def migrate(migrator, database, fake=False):
    migrator.sql("DELETE FROM audit_logs WHERE id > 1")


def rollback(migrator, database, fake=False):
    pass
'''

# The same rows, deleted in Python, where the data-loss forecast cannot see them: validation is the net.
DELETES_UNSEEN = '''
"""99.0.0 - deletes rows where no SQL statement shows it (test only)."""
VERSION = "99.0.0"


def _delete(database):
    database.execute_sql("DELETE FROM audit_logs WHERE id > 1")


def migrate(migrator, database, fake=False):
    migrator.run(_delete, database)


def rollback(migrator, database, fake=False):
    pass
'''


def test_migration_failing_half_way_leaves_previous_version_and_is_recorded(target, kiosk_cli, tmp_path):
    url = make_pg(target)
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__fails.py": FAILS}))}
    before = state(url)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", env=env))
    assert r.code == 1
    assert "99.0.0 failed and was undone" in one_line(r.err) and "no_such_table" in r.err
    version, counts, shape = state(url)
    assert version == LATEST and shape == before[2] and counts["vehicles"] == before[1]["vehicles"]
    assert q(url, "SELECT COUNT(*) FROM vehicles WHERE vehicle_type = 'half'")[0][0] == 0
    run = runs(url)[-1]
    assert run["outcome"] == "failed" and "no_such_table" in run["error"] and run["to_version"] == LATEST
    st = kiosk_cli("--db", url, "--maintenance", "stats", "--json", env=env)
    assert st.code == 1 and "migration_failed" in [a["code"] for a in json.loads(st.out)["alerts"]]


def test_rehearsal_catches_the_failure_in_a_scratch_database(target, kiosk_cli, tmp_path):
    url = make_pg(target, to=BELOW_MAINT)
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__fails.py": FAILS}))}
    before = state(url)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", "--rehearse", env=env))
    assert r.code == 3
    assert "rehearsal on a copy of the backup failed" in one_line(r.err) and "live database was not touched" in r.err
    assert state(url) == before
    assert q(url, "SELECT datname FROM pg_database WHERE datname LIKE '%%_rehearsal_%%'") == []  # dropped again
    ok = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", "--rehearse"))
    assert ok.code == 0 and "rehearsal    ok" in ok.out and "rehearsal took" in ok.out
    assert state(url)[0] == LATEST


def test_a_version_whose_sql_deletes_rows_is_refused_without_the_operators_word(target, kiosk_cli, tmp_path):
    url = make_pg(target, vehicles=5)
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__deletes.py": DELETES}))}
    before = state(url)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", env=env))
    assert r.code == 3 and "audit_logs 4 row(s)" in one_line(r.err) and "--allow-data-loss" in r.err
    assert state(url) == before and dumps(tmp_path) == []


def test_a_version_not_declared_to_delete_rows_must_not(target, kiosk_cli, tmp_path):
    url = make_pg(target, vehicles=5)
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__deletes.py": DELETES_UNSEEN}))}
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", env=env))
    assert r.code == 1
    line = one_line(r.err)
    assert "audit_logs lost 4 row(s) (5 -> 1)" in line and "kiosk --maintenance restore" in line
    (dump,) = dumps(tmp_path)
    assert str(dump) in line and pg_dump.inspect(dump, keep_script=False).counts["audit_logs"] == 5


def test_check_finds_broken_foreign_keys_invalid_constraints_and_plan_orphans(target, kiosk_cli):
    url = make_pg(target, vehicles=2)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "check", "--json"))
    assert r.code == 0, r.out
    data = json.loads(r.out)
    assert data["ok"] and data["rows_after"]["vehicles"] == 2 and data["plan_orphaned_vehicles"] == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('NOAUDIT', 'N', '+44')")
        conn.execute("SET session_replication_role = replica")  # foreign keys are not enforced in this session
        conn.execute("INSERT INTO payments (vehicle_id, amount, payment_status) VALUES (999, 1.00, 'paid')")
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "check"))
    assert r.code == 1
    assert "1 row(s) break a foreign key in payments" in r.out and "finds 1 vehicle(s)" in r.out
    assert runs(url)[-1]["outcome"] == "failed"
    q(url, "DELETE FROM payments WHERE vehicle_id = 999")
    q(url, "ALTER TABLE payments ADD CONSTRAINT ck_positive CHECK (amount > 0) NOT VALID")
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "check", "--json"))
    codes = {f["code"] for f in json.loads(r.out)["findings"]}
    assert r.code == 1 and "constraint_not_valid" in codes and "schema_drift" not in codes


def test_schema_drift_is_found_on_postgresql(target, kiosk_cli):
    url = make_pg(target)
    q(url, "DROP INDEX idx_vehicles_status_timestamp")
    q(url, "CREATE TABLE stray (id INTEGER)")
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "check", "--json"))
    found = {(f["level"], f["message"]) for f in json.loads(r.out)["findings"]}
    assert r.code == 1
    assert ("error", f"history says {LATEST} but index idx_vehicles_status_timestamp is missing") in found
    assert ("warning", f"table stray is not part of schema {LATEST}") in found


def test_stats_from_the_servers_size_functions_read_only(target, kiosk_cli, tmp_path):
    url = make_pg(target, vehicles=20)
    assert kiosk_cli("--db", url, "--maintenance", "backup").code == 0
    before = state(url)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "stats", "--json"))
    assert r.code in (0, 4), r.out
    d = json.loads(r.out)
    assert [a for a in d["alerts"] if a["code"] != "query_slow"] == []
    assert d["schema_version"] == LATEST and d["size_source"] == "pg_table_size/pg_relation_size"
    assert d["database_bytes"] == q(url, "SELECT pg_database_size(current_database())")[0][0]
    tables = {t["name"]: t for t in d["tables"]}
    assert tables["vehicles"]["rows"] == 20 and tables["vehicles"]["bytes"] > 0
    indexes = {i["name"]: i for i in d["indexes"]}
    assert {"idx_vehicles_entry_timestamp", "idx_vehicles_status_timestamp", "vehicles_pkey"} <= set(indexes)
    assert all(i["bytes"] > 0 for i in indexes.values())
    assert d["backups"]["count"] == 1 and d["last_maintenance_run"]["command"] == "backup"
    assert all(t["uses_index"] for t in d["queries"]) and len(d["queries"]) == 5, d["queries"]
    assert state(url) == before  # read-only
    human = kiosk_cli("--db", url, "--maintenance", "stats")
    assert human.code == d["exit_code"] and "Index" in human.out and "WAL" not in human.out
    q(url, "DROP INDEX idx_vehicles_entry_timestamp")
    q(url, "DROP INDEX idx_vehicles_status_timestamp")
    q(url, "DROP INDEX idx_vehicles_unpurged_entry")
    d = json.loads(kiosk_cli("--db", url, "--maintenance", "stats", "--json").out)
    assert any(a["code"] == "query_no_index" and "expired vehicles" in a["message"] for a in d["alerts"])


# --- SIGKILL mid-migration -----------------------------------------------------------------------

STEP = '''
"""{version} - rewrite every vehicle (test only)."""
import os
import time

VERSION = "{version}"


def wait_to_be_killed():
    open(os.environ["KILL_MARKER"], "w").close()
    time.sleep(600)


def migrate(migrator, database, fake=False):
    migrator.sql("UPDATE vehicles SET vehicle_type = '{tag}', parking_spot = 'S' || id")
    migrator.sql("INSERT INTO audit_logs (action, entity, entity_id) SELECT 'rewritten', 'vehicle', id FROM vehicles")
    if os.environ.get("KILL_IN") == "{version}":
        migrator.run(wait_to_be_killed)


def rollback(migrator, database, fake=False):
    pass
'''


@pytest.mark.slow
@pytest.mark.parametrize("kill_in, expected", [("99.0.0", LATEST), ("99.1.0", "99.0.0")])
def test_sigkill_mid_migration_leaves_previous_or_new_version_intact(target, kiosk_cli, tmp_path, kill_in, expected):
    rows = 200_000
    url = make_pg(target, vehicles=0)
    q(url, "INSERT INTO vehicles (number_plate, contact_name, phone_number) "
           f"SELECT 'PL' || i, 'Name ' || i, '+4420' || i FROM generate_series(1, {rows}) AS n(i)")
    folder = folder_with(tmp_path, {"900_v99_0_0__rewrite_a.py": STEP.format(version="99.0.0", tag="A"),
                                    "901_v99_1_0__rewrite_b.py": STEP.format(version="99.1.0", tag="B")})
    marker = tmp_path / "killed-here"
    env = {**os.environ, "KIOSK_MIGRATIONS_DIR": str(folder), "KILL_IN": kill_in, "KILL_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--db", url, "--maintenance", "migrate"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(marker, proc, limit=120)
    finally:
        kill(proc)  # SIGKILL, mid-transaction: the server rolls the open transaction back
    assert proc.returncode == -9
    version, counts, _shape = state(url)
    assert version == expected and counts["vehicles"] == rows
    types = dict(q(url, "SELECT vehicle_type, COUNT(*) FROM vehicles GROUP BY vehicle_type"))
    rewritten = q(url, "SELECT COUNT(*) FROM audit_logs WHERE action = 'rewritten'")[0][0]
    if kill_in == "99.0.0":
        assert types == {None: rows} and rewritten == 0
    else:
        assert types == {"A": rows} and rewritten == rows
    r = kiosk_cli("--db", url, "--maintenance", "check", "--json", env={"KIOSK_MIGRATIONS_DIR": str(folder)})
    assert r.code == 0 and json.loads(r.out)["ok"] is True, r.out + r.err  # and the advisory lock is free again
    (dump,) = dumps(tmp_path)
    assert pg_dump.inspect(dump, keep_script=False).counts["vehicles"] == rows


def test_fast_orphan_count_equals_the_plans_rule_on_postgresql(database):
    """SQLite compares vehicles.id with the text entity_id as numbers ('05' = 5); so does the PostgreSQL count."""
    from kiosk.maintenance.sites import site_for

    database.execute_sql("INSERT INTO vehicles (number_plate, contact_name, phone_number) "
                         "SELECT 'P' || i, 'N', '+44' FROM generate_series(1, 12) AS n(i)")
    for entity_id in ("1", "3", "05", "7.0", "PL9", "11"):
        database.execute_sql("INSERT INTO audit_logs (action, entity, entity_id) VALUES ('x', 'vehicle', %s)", (entity_id,))
    assert database.execute_sql(site_for(database).orphans_count_sql).fetchone()[0] == 7  # as test_maint_validate finds on SQLite
