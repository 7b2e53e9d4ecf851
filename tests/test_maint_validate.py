"""Post-migration validation, `check`, failing migrations, rehearsal, and schema 1.6.0 itself."""

from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.db import connect, resolve_target
from kiosk.maintenance import validate
from kiosk.maintenance.sites import site_for
from kiosk.schema import runner
from kiosk.schema.files import load_migrations, parse_version
from test_maint_support import BELOW_MAINT, FILES, LATEST, db_state, digest, folder_with, make_db, no_traceback, one_line

pytestmark = pytest.mark.sqlite_only

# Fails half-way: the first statement works, the second does not.
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
"""99.0.0 - deletes rows (test only)."""
VERSION = "99.0.0"
{declare}


def migrate(migrator, database, fake=False):
    migrator.sql("DELETE FROM vehicles WHERE id > 1")


def rollback(migrator, database, fake=False):
    pass
'''


def runs_of(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute("SELECT * FROM maintenance_runs ORDER BY id")]


def test_migration_failing_half_way_leaves_previous_version_and_is_recorded(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__fails.py": FAILS}))}
    _v, before, _i = db_state(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", env=env))
    assert r.code == 1
    assert "99.0.0 failed and was undone" in one_line(r.err) and "no_such_table" in r.err
    version, after, integrity = db_state(db)
    assert version == LATEST and integrity == ["ok"] and "half_done" not in after
    assert after["vehicles"] == before["vehicles"]
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM vehicles WHERE vehicle_type = 'half'").fetchone()[0] == 0
    (run,) = runs_of(db)
    assert run["outcome"] == "failed" and "no_such_table" in run["error"] and run["to_version"] == LATEST
    stats = kiosk_cli("--db", str(db), "--maintenance", "stats", "--json", env=env)
    assert stats.code == 1
    assert "migration_failed" in [a["code"] for a in json.loads(stats.out)["alerts"]]


def test_rehearsal_catches_the_failure_before_the_live_database_is_touched(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__fails.py": FAILS}))}
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", "--rehearse", env=env))
    assert r.code == 3
    assert "rehearsal on a copy of the backup failed" in one_line(r.err) and "live database was not touched" in r.err
    assert digest(db) == before
    assert not list((tmp_path / "backups").glob(".rehearsal*"))


def test_rehearsal_reports_its_duration_then_migrates(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to="1.2.0")
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", "--rehearse"))
    assert r.code == 4, r.err  # warnings: make_db's cars on site have no vehicle type, so no rate charges them
    assert "stay_no_type" in r.out
    assert "rehearsal    ok" in r.out and "rehearsal took" in r.out
    assert db_state(db)[0] == LATEST


DELETES_UNSEEN = '''
"""99.0.0 - deletes rows where no SQL statement shows it (test only)."""
VERSION = "99.0.0"
{declare}


def _delete(database):
    database.execute_sql("DELETE FROM vehicles WHERE id > 1")


def migrate(migrator, database, fake=False):
    migrator.run(_delete, database)


def rollback(migrator, database, fake=False):
    pass
'''


@pytest.mark.parametrize("declare", ["", "DELETES_ROWS = True"])
def test_a_version_whose_sql_deletes_rows_needs_the_operators_word_declared_or_not(kiosk_cli, tmp_path, declare):
    db = make_db(tmp_path / "k.db", vehicles=5)
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__deletes.py": DELETES.format(declare=declare)}))}
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", env=env))
    assert r.code == 3, r.out + r.err
    assert "vehicles 4 row(s)" in one_line(r.err) and "--allow-data-loss" in r.err
    assert digest(db) == before and not (tmp_path / "backups").exists()
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", "--allow-data-loss", env=env))
    assert r.code == 0, r.out + r.err
    assert db_state(db)[1]["vehicles"] == 1 and db_state(db)[0] == "99.0.0"


@pytest.mark.parametrize("declare, code", [("", 1), ("DELETES_ROWS = True", 0)])
def test_a_version_not_declared_to_delete_rows_must_not(kiosk_cli, tmp_path, declare, code):
    # The rows go in Python, where the forecast cannot see them: validation is the net behind it.
    db = make_db(tmp_path / "k.db", vehicles=5)
    env = {"KIOSK_MIGRATIONS_DIR": str(folder_with(tmp_path, {"900_v99_0_0__deletes.py": DELETES_UNSEEN.format(declare=declare)}))}
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", env=env))
    assert r.code == code, r.out + r.err
    if code:
        line = one_line(r.err)
        assert "vehicles lost 4 row(s) (5 -> 1)" in line and "kiosk --maintenance restore" in line
        (backup,) = (tmp_path / "backups").glob("k-*.db")
        assert str(backup) in line and db_state(backup)[1]["vehicles"] == 5
        assert json.loads(runs_of(db)[-1]["findings"])[0]["code"] == "rows_lost"


def test_check_finds_broken_foreign_keys_and_reports_plan_orphans_as_information(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", vehicles=2)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "check", "--json"))
    assert r.code == 0, r.out
    data = json.loads(r.out)
    assert data["ok"] and data["schema_version"] == LATEST and data["rows_after"]["vehicles"] == 2
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('NOAUDIT', 'N', '+44')")
    conn.execute("INSERT INTO payments (vehicle_id, amount, payment_status) VALUES (999, '1.00', 'paid')")  # FKs are off here
    conn.commit()
    conn.close()
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "check"))
    assert r.code == 1
    assert "foreign_keys" in r.out and "1 row(s) break a foreign key in payments" in r.out
    assert "plan_orphans" in r.out and "finds 1 vehicle(s)" in r.out
    assert runs_of(db)[-1]["outcome"] == "failed"


def test_fast_orphan_count_equals_the_plans_query(database):
    database.execute_sql(
        "INSERT INTO vehicles (number_plate, contact_name, phone_number) "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12) SELECT 'P' || i, 'N', '+44' FROM n"
    )
    for entity_id in ("1", "3", "05", "7.0", "PL9", "11"):
        database.execute_sql("INSERT INTO audit_logs (action, entity, entity_id) VALUES ('x', 'vehicle', ?)", (entity_id,))
    plan = len(database.execute_sql(validate.PLAN_ORPHANS_SQL).fetchall())
    assert database.execute_sql(site_for(database).orphans_count_sql).fetchone()[0] == plan == 7


def test_check_on_missing_and_corrupt_databases(kiosk_cli, tmp_path):
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "none.db"), "--maintenance", "check"))
    assert r.code == 1 and "no database at" in one_line(r.err)
    db = make_db(tmp_path / "k.db")
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    db.write_bytes(bytes(data))
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "check"))
    assert r.code == 1 and "malformed" in one_line(r.err)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate"))
    assert r.code == 1 and "malformed" in one_line(r.err)


def test_schema_drift_is_found(database):
    files = load_migrations()
    assert validate.schema_drift(database, files, files[-1].version) == []
    database.execute_sql("DROP INDEX idx_vehicles_status_timestamp")
    database.execute_sql("CREATE TABLE stray (id INTEGER)")
    found = {(f.level, f.message) for f in validate.schema_drift(database, files, files[-1].version)}
    assert ("error", f"history says {LATEST} but index idx_vehicles_status_timestamp is missing") in found
    assert ("warning", f"table stray is not part of schema {LATEST}") in found


def test_maintenance_version_rolls_back_on_its_own_keeping_rows(tmp_path):
    db = make_db(tmp_path / "k.db", vehicles=4)
    target = resolve_target(str(db))
    conn = connect(target)
    conn.execute_sql("INSERT INTO maintenance_runs (command, outcome) VALUES ('check', 'ok')")
    runner.rollback(target, conn, parse_version(BELOW_MAINT))
    version, counts, integrity = db_state(db)
    assert version == BELOW_MAINT and "maintenance_runs" not in counts and counts["vehicles"] == 4
    assert "idx_maintenance_runs_started_at" not in {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    runner.migrate(target, conn, None)
    assert db_state(db)[0] == LATEST and db_state(db)[1]["vehicles"] == 4
    with pytest.raises(Exception, match="CHECK constraint"):
        conn.execute_sql("INSERT INTO maintenance_runs (command, outcome) VALUES ('check', 'fine')")
    conn.close()
    m007 = next(f for f in FILES if f.version == (1, 6, 0))
    assert len(m007.up["sqlite"]) == len(m007.up["postgresql"]) and len(m007.down["postgresql"]) == 2
    assert validate.deletes_rows(m007) is False
