"""`kiosk --maintenance` on PostgreSQL through the real CLI: pre-flight (advisory lock, live kiosks
from pg_stat_activity), verified pg_dump backups, one-transaction pg_restore, rehearsal in a scratch
database, check (constraints, foreign keys, row counts), stats from the server's size functions,
and SIGKILL mid-migration. The SQLite versions of these are tests/test_maint_*.py."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import psycopg
import pytest
from pg_introspect import pg_snapshot, without_history
from test_maint_support import BELOW_MAINT, FILES, LATEST, folder_with, kill, no_traceback, one_line, run_main, wait_for

from kiosk.db import connect, resolve_target
from kiosk.maintenance import pg_dump, presence
from kiosk.schema import runner
from kiosk.schema.files import parse_version

pytestmark = pytest.mark.postgres_only


def make_pg(target, to: str | None = None, vehicles: int = 3, files=None):
    """The test's PostgreSQL database at `to` (default latest) with a few vehicles and audit rows."""
    db = connect(target, bind=False)
    runner.migrate(target, db, parse_version(to) if to else None, files=files or FILES)
    if vehicles:
        db.execute_sql(
            "INSERT INTO vehicles (number_plate, contact_name, phone_number) "
            f"SELECT 'PL' || i, 'Name ' || i, '+4420' || i FROM generate_series(1, {int(vehicles)}) AS n(i)"
        )
        db.execute_sql("INSERT INTO audit_logs (action, entity, entity_id) SELECT 'entry', 'vehicle', id FROM vehicles")
    db.close()
    return target.raw


def q(url, sql, params=()):
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else None


def state(url):
    """(schema version, rows per table, schema snapshot without the history table)."""
    db = connect(resolve_target(url), bind=False)
    try:
        tables = db.get_tables()
        counts = {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        versions = [r[0] for r in db.execute_sql("SELECT version FROM migratehistory ORDER BY id")] if "migratehistory" in tables else []
        return (versions[-1] if versions else "0"), counts, without_history(pg_snapshot(db))
    finally:
        db.close()


def runs(url):
    with psycopg.connect(url) as conn:
        cur = conn.execute("SELECT * FROM maintenance_runs ORDER BY id")
        names = [d.name for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def dumps(tmp_path):
    return sorted((tmp_path / "backups").glob("*.dump"))


KIOSK = """
import sys, time
from kiosk.db import connect, resolve_target
from kiosk.maintenance.presence import announce
target = resolve_target(sys.argv[1])
with announce(target, connect(target), sys.argv[2]):
    open(sys.argv[3], "w").close()
    time.sleep(600)
"""


def start_kiosk(url, booth, tmp_path):
    ready = tmp_path / f"ready-{booth}"
    proc = subprocess.Popen([sys.executable, "-c", KIOSK, url, booth, str(ready)], stdin=subprocess.DEVNULL)
    wait_for(ready, proc)
    return proc


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
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "migrate", env={"KIOSK_FAKE_FREE_BYTES": "4096"}))
    assert r.code == 3 and "not enough disk space" in one_line(r.err) and "4.0 KiB free" in r.err
    assert state(url) == before and dumps(tmp_path) == []


# --- backup and restore ----------------------------------------------------------------------


def test_backup_restore_round_trip_keeps_a_safety_dump(target, kiosk_cli, tmp_path):
    url = make_pg(target)
    b = no_traceback(kiosk_cli("--db", url, "--maintenance", "backup", "--json"))
    assert b.code == 0, b.err
    saved = json.loads(b.out)
    assert saved["rows"]["vehicles"] == 3 and saved["schema_version"] == LATEST
    _v, _c, shape_before = state(url)
    q(url, "INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('AFTER1', 'N', '+44')")
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "restore", saved["path"], "--keep", "1"))
    assert r.code == 0, r.err
    version, counts, shape = state(url)
    assert version == LATEST and shape == shape_before
    assert sorted(x[0] for x in q(url, "SELECT number_plate FROM vehicles")) == ["PL1", "PL2", "PL3"]
    assert os.path.exists(saved["path"])  # rotation never deletes the dump being restored
    (safety,) = [p for p in dumps(tmp_path) if "pre-restore" in p.name]
    assert pg_dump.inspect(safety, keep_script=False).counts["vehicles"] == 4
    row = q(url, "SELECT command, outcome, to_version FROM maintenance_runs ORDER BY id DESC LIMIT 1")
    assert row == [("restore", "ok", LATEST)]
    # the identity sequences came back too: new rows get fresh ids
    new_id = q(url, "INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('NEW1', 'N', '+44') RETURNING id")
    assert new_id[0][0] > 3


def test_restore_an_older_version_gives_that_schema_exactly(target, pg_databases, kiosk_cli, tmp_path):
    old_url = make_pg(resolve_target(pg_databases.create()), to="1.2.0")
    out = tmp_path / "old.dump"
    assert kiosk_cli("--db", old_url, "--maintenance", "backup", "--out", str(out)).code == 0
    url = make_pg(target)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "restore", str(out)))
    assert r.code == 0, r.err
    assert "run 'kiosk --maintenance migrate'" in r.out
    assert state(url)[0] == "1.2.0" and state(url)[2] == state(old_url)[2]  # no table of a newer version is left


def test_restore_is_one_transaction_a_failing_load_changes_nothing(target, tmp_path, monkeypatch, capsys):
    url = make_pg(target)
    assert run_main(["--db", url, "--maintenance", "backup"], capsys)[0] == 0
    (saved,) = dumps(tmp_path)
    q(url, "INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('KEEP1', 'N', '+44')")
    before = state(url)
    real = pg_dump._run

    def fail_at_the_end(args, env, what, **kw):  # psql dies after loading everything but before COMMIT
        if what.startswith("loading"):
            args = [*args[:-1], "-c", "SELECT 1/0", args[-1]]
        return real(args, env, what, **kw)

    monkeypatch.setattr(pg_dump, "_run", fail_at_the_end)
    code, _out, err = run_main(["--db", url, "--maintenance", "restore", str(saved)], capsys)
    assert code == 1 and "division by zero" in one_line(err)
    assert state(url) == before  # KEEP1 and every table as they were


@pytest.mark.parametrize("kind", ["truncated", "not_a_dump", "empty", "sqlite_file", "foreign_dump", "missing", "newer_version"])
def test_bad_dumps_are_one_line_errors_and_change_nothing(target, pg_databases, kiosk_cli, tmp_path, kind):
    url = make_pg(target)
    good = tmp_path / "good.dump"
    assert kiosk_cli("--db", url, "--maintenance", "backup", "--out", str(good)).code == 0
    bad = tmp_path / f"{kind}.dump"
    if kind == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "not_a_dump":
        bad.write_text("this is a shopping list, not a database\n")
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "sqlite_file":
        conn = sqlite3.connect(bad)
        conn.execute("CREATE TABLE things (id INTEGER)")
        conn.commit()
        conn.close()
    elif kind == "foreign_dump":
        other = pg_databases.create()
        q(other, "CREATE TABLE things (id INTEGER)")
        url_env, env = pg_dump._conn(resolve_target(other))
        subprocess.run([pg_dump.tool("pg_dump"), "--format=custom", f"--file={bad}", url_env], env=env, check=True)
    elif kind == "newer_version":
        other_url = make_pg(resolve_target(pg_databases.create()))
        q(other_url, "INSERT INTO migratehistory (name, migrated_at, version) VALUES ('950_v95_0_0__future', '2030-01-01', '95.0.0')")
        assert kiosk_cli("--db", other_url, "--maintenance", "backup", "--out", str(bad)).code == 0
    before = state(url)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "restore", str(bad)))
    assert r.code == 1, r.out + r.err
    expected = {
        "truncated": "is damaged or truncated",
        "not_a_dump": "is not a PostgreSQL custom-format dump",
        "empty": "is not a PostgreSQL custom-format dump",
        "sqlite_file": "is not a PostgreSQL custom-format dump",
        "foreign_dump": "not of a kiosk database",
        "missing": "no backup file at",
        "newer_version": "95.0.0, which this kiosk does not know",
    }[kind]
    assert expected in one_line(r.err)
    assert state(url) == before
    assert dumps(tmp_path) == []  # not even a safety dump was made


def test_restore_refused_while_a_kiosk_is_live(target, kiosk_cli, tmp_path):
    url = make_pg(target)
    good = tmp_path / "good.dump"
    assert kiosk_cli("--db", url, "--maintenance", "backup", "--out", str(good)).code == 0
    q(url, "INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('LIVE1', 'N', '+44')")
    before = state(url)
    kiosk = start_kiosk(url, "Booth-West", tmp_path)
    try:
        r = no_traceback(kiosk_cli("--db", url, "--maintenance", "restore", str(good)))
    finally:
        kill(kiosk)
    assert r.code == 3 and "Booth-West" in one_line(r.err)
    assert state(url) == before


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


def test_a_version_not_declared_to_delete_rows_must_not(target, kiosk_cli, tmp_path):
    url = make_pg(target, vehicles=5)
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__deletes.py": DELETES}))}
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
    q(url, "DROP INDEX idx_vehicles_number_plate")
    q(url, "CREATE TABLE stray (id INTEGER)")
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "check", "--json"))
    found = {(f["level"], f["message"]) for f in json.loads(r.out)["findings"]}
    assert r.code == 1
    assert ("error", f"history says {LATEST} but index idx_vehicles_number_plate is missing") in found
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
    assert {"idx_vehicles_number_plate", "idx_vehicles_status_timestamp", "vehicles_pkey"} <= set(indexes)
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
    from kiosk.maintenance import validate

    database.execute_sql("INSERT INTO vehicles (number_plate, contact_name, phone_number) "
                         "SELECT 'P' || i, 'N', '+44' FROM generate_series(1, 12) AS n(i)")
    for entity_id in ("1", "3", "05", "7.0", "PL9", "11"):
        database.execute_sql("INSERT INTO audit_logs (action, entity, entity_id) VALUES ('x', 'vehicle', %s)", (entity_id,))
    assert database.execute_sql(validate.ORPHANS_COUNT_SQL_PG).fetchone()[0] == 7  # as test_maint_validate finds on SQLite
