"""Schema versions on PostgreSQL: every up/down path, rows kept, failures undone, same schema as SQLite."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from decimal import Decimal

import pytest
from pg_introspect import HISTORY, pg_snapshot, portable_pg, portable_sqlite, without_history

from kiosk.db import connect, resolve_target
from kiosk.schema import history, runner
from kiosk.schema.files import EMPTY, load_migrations, migrations_dir
from kiosk.schema.router import MigrationFailed

pytestmark = pytest.mark.postgres_only

FILES = load_migrations()
VERSIONS = [f.version for f in FILES]
LATEST = VERSIONS[-1]


def version_of(db):
    return runner.current_version(history.read_history(db, FILES))


@pytest.fixture
def pg(target, clock):
    db = connect(target)
    yield db
    db.close()


def test_every_version_up_down_up_gives_the_same_schema(target, pg, clock):
    empty = pg_snapshot(pg)
    assert empty["columns"] == {}
    up = {}
    for v in VERSIONS:
        runner.migrate(target, pg, v, clock=clock, files=FILES)
        assert version_of(pg) == v
        up[v] = pg_snapshot(pg)
    for v in reversed([EMPTY, *VERSIONS[:-1]]):
        runner.rollback(target, pg, v, files=FILES)
        assert version_of(pg) == v
        got = pg_snapshot(pg)
        if v == EMPTY:
            assert without_history(got) == without_history(empty)
            assert set(got["columns"]) == {HISTORY}
        else:
            assert got == up[v], f"schema after rolling back to {v} differs from the schema migrated up to it"
    runner.migrate(target, pg, None, clock=clock, files=FILES)
    assert pg_snapshot(pg) == up[LATEST]


def test_plan_schema_details_on_postgresql(database):
    """Types, defaults and key names the issue asks for, read from the catalogs."""
    cols = {(t, c[0]): c for t, cs in pg_snapshot(database)["columns"].items() for c in cs}
    assert cols[("vehicles", "id")][1:3] == ("integer", "NO") and cols[("vehicles", "id")][4] == "YES"
    assert cols[("payments", "amount")][1] == "numeric(10,2)"
    assert cols[("parking_rates", "rate_per_hour")][1] == "numeric(10,2)"
    assert cols[("parking_spots", "is_occupied")][1:4] == ("boolean", "YES", "false")
    assert cols[("parking_rates", "minimum_hours")][3] == "1"
    assert cols[("system_config", "retention_hours")][2:4] == ("NO", "24")
    assert cols[("audit_logs_archive", "id")][4] == "NO"  # ids are copied, never generated
    for (table, name), col in cols.items():
        if name in ("created_at", "updated_at", "entry_timestamp", "timestamp"):
            assert col[1] == "timestamp without time zone" and col[2] == "NO", (table, name)
            assert "CURRENT_TIMESTAMP" in col[3] and "UTC" in col[3], (table, name)
    names = {c[1] for c in pg_snapshot(database)["constraints"]}
    assert {"vehicles_number_plate_key", "parking_spots_spot_number_key", "payments_transaction_id_key",
            "payments_vehicle_id_fkey"} <= names


def test_plain_insert_gets_utc_defaults_in_any_session_time_zone(database):
    """A psql user in another time zone still writes UTC: the default converts explicitly."""
    with database.atomic():
        database.execute_sql("SET LOCAL TIME ZONE 'America/New_York'")
        row = database.execute_sql(
            "INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('PG 1', 'Ann', '+441234567890') "
            "RETURNING entry_timestamp, date_trunc('second', now() AT TIME ZONE 'UTC'), date_trunc('second', now()::timestamp)"
        ).fetchone()
    assert row[0] == row[1]
    assert row[0] != row[2]  # the session's local time (New York) is not what was stored
    spot = database.execute_sql("INSERT INTO parking_spots (spot_number) VALUES ('A1') RETURNING is_occupied").fetchone()
    assert spot[0] is False
    assert database.execute_sql("SELECT retention_hours FROM system_config").fetchall() == [(24,)]


def test_models_round_trip_utc_and_money(database, clock):
    from kiosk.models import AuditLog, Payment, Vehicle

    v = Vehicle.create(number_plate="AB12 CDE", contact_name="Bo", phone_number="+441234567890", entry_timestamp=clock.now())
    for _ in range(10):
        Payment.create(vehicle=v, amount=Decimal("0.10"), payment_status="paid")
    AuditLog.create(action="enter", entity="vehicle", entity_id=str(v.id), timestamp=clock.now())
    back = Vehicle.get_by_id(v.id)
    assert back.entry_timestamp == clock.now() and back.entry_timestamp.utcoffset() == dt.timedelta(0)
    total = database.execute_sql("SELECT SUM(amount) FROM payments").fetchone()[0]
    assert total == Decimal("1.00")
    assert database.execute_sql("SELECT entry_timestamp::text FROM vehicles").fetchone()[0] == "2026-11-24 12:00:00"


def test_rows_survive_the_trip_to_latest_and_back(target, pg, clock):
    runner.migrate(target, pg, VERSIONS[0], clock=clock, files=FILES)
    pg.execute_sql("INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('OLD 1', 'Al', '+441')")
    pg.execute_sql("INSERT INTO audit_logs (action, entity, entity_id, details) VALUES ('a', 'vehicles', '1', 'kept')")
    before = pg.execute_sql("SELECT id, number_plate, entry_timestamp FROM vehicles").fetchall()
    runner.migrate(target, pg, None, clock=clock, files=FILES)
    # the plan's archiving SQL, in PostgreSQL's date arithmetic; ids are copied
    pg.execute_sql("INSERT INTO audit_logs (action, entity, entity_id, timestamp) VALUES ('b', 'vehicles', '1', '2020-01-01 00:00:00')")
    pg.execute_sql("INSERT INTO audit_logs_archive SELECT * FROM audit_logs WHERE timestamp < now() AT TIME ZONE 'UTC' - interval '90 days'")
    pg.execute_sql("DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs_archive)")
    assert pg.execute_sql("SELECT COUNT(*) FROM audit_logs_archive").fetchone()[0] == 1
    runner.rollback(target, pg, VERSIONS[0], files=FILES)
    assert pg.execute_sql("SELECT id, number_plate, entry_timestamp FROM vehicles").fetchall() == before
    assert sorted(r[0] for r in pg.execute_sql("SELECT action FROM audit_logs").fetchall()) == ["a", "b"]
    # the identity sequence still hands out fresh ids after rows came back from the archive
    new_id = pg.execute_sql("INSERT INTO audit_logs (action, entity, entity_id) VALUES ('c', 'x', '1') RETURNING id").fetchone()[0]
    assert new_id > max(r[0] for r in pg.execute_sql("SELECT id FROM audit_logs WHERE action <> 'c'").fetchall())


BROKEN = '''"""99.0.0 - A migration that fails half-way (test only)."""
from kiosk.schema.steps import apply
VERSION = "99.0.0"
UP = {"sqlite": [], "postgresql": [
    "CREATE TABLE half_done (id INTEGER)",
    "ALTER TABLE vehicles ADD COLUMN half_done TEXT",
    "INSERT INTO system_config (retention_hours) VALUES (1)",
    %s,
]}
DOWN = {"sqlite": [], "postgresql": [
    "DROP TABLE half_done",
    "ALTER TABLE vehicles DROP COLUMN half_done",
    %s,
]}
def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)
def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
'''


def _files_with_broken(tmp_path, up_fails: bool):
    folder = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    fail, ok = '"SELECT 1/0"', '"SELECT 1"'
    (folder / "999_v99_0_0__broken.py").write_text(BROKEN % ((fail, ok) if up_fails else (ok, fail)))
    return load_migrations(folder)


def test_failing_migration_leaves_the_previous_version_unchanged(target, pg, clock, tmp_path):
    files = _files_with_broken(tmp_path, up_fails=True)
    runner.migrate(target, pg, LATEST, clock=clock, files=files)
    before = pg_snapshot(pg)
    with pytest.raises(MigrationFailed, match=r"99\.0\.0.*division by zero"):
        runner.migrate(target, pg, None, clock=clock, files=files)
    assert runner.status(target, pg, files).schema_version == LATEST
    assert pg_snapshot(pg) == before  # the table and column it created were undone with it
    assert pg.execute_sql("SELECT COUNT(*) FROM system_config").fetchone()[0] == 1
    # the session is usable afterwards, and the next run still works
    runner.migrate(target, pg, LATEST, clock=clock, files=files)


def test_failing_rollback_leaves_the_version_applied(target, pg, clock, tmp_path):
    files = _files_with_broken(tmp_path, up_fails=False)
    runner.migrate(target, pg, None, clock=clock, files=files)
    before = pg_snapshot(pg)
    with pytest.raises(MigrationFailed, match=r"rollback of schema version 99\.0\.0"):
        runner.rollback(target, pg, LATEST, files=files)
    assert runner.status(target, pg, files).schema_version == (99, 0, 0)
    assert pg_snapshot(pg) == before


def test_same_schema_as_sqlite_at_every_version(target, pg, clock, tmp_path):
    """Same tables, column names in the same order, NOT NULL, defaults present, index names and
    columns, UNIQUE columns and foreign keys; types mapped DATETIME->timestamp, DECIMAL->numeric."""
    lite_target = resolve_target(str(tmp_path / "lite.db"))
    lite = connect(lite_target)
    try:
        for v in VERSIONS:
            runner.migrate(lite_target, lite, v, clock=clock, files=FILES)
            runner.migrate(target, pg, v, clock=clock, files=FILES)
            conn = sqlite3.connect(lite_target.path)
            try:
                sqlite_view = portable_sqlite(conn)
            finally:
                conn.close()
            pg_view = portable_pg(pg)
            assert sorted(sqlite_view) == sorted(pg_view), f"tables differ at {v}"
            for table in sqlite_view:
                assert sqlite_view[table] == pg_view[table], f"{table} differs at {v}"
    finally:
        lite.close()
        connect(target)  # rebind the models to the test's own database
