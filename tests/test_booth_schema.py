"""Schema 1.5.0: rollback to 1.4.0 with rows intact, upgrade of legacy rows, and no Textual in the rules."""

import subprocess
import sys

import peewee as pw
from dbcheck import assert_consistent, is_pg
from pg_introspect import pg_snapshot, without_history

from kiosk.booth import Booth
from kiosk.db import connect, resolve_target
from kiosk.schema import runner
from kiosk.schema.files import load_migrations
from staff_support import as_manager

V140 = (1, 4, 0)
PLAN_TABLES = ["vehicles", "system_config", "audit_logs", "audit_logs_archive", "parking_spots", "payments", "parking_rates"]


def shape(db):
    """Columns and indexes of every table, as SQLite (or PostgreSQL's catalogs) report them."""
    if is_pg(db):
        return without_history(pg_snapshot(db))
    out = {}
    for (table,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                   "AND name <> 'migratehistory' ORDER BY name"):
        cols = [tuple(r[1:]) for r in db.execute_sql(f"PRAGMA table_info('{table}')")]
        idx = sorted((r[1], r[2]) for r in db.execute_sql(f"PRAGMA index_list('{table}')"))
        fks = sorted(tuple(r[2:5]) for r in db.execute_sql(f"PRAGMA foreign_key_list('{table}')"))
        out[table] = (cols, idx, fks)
    return out


def columns(db, table):
    if is_pg(db):
        return [c[0] for c in pg_snapshot(db)["columns"][table]]
    return [r[1] for r in db.execute_sql(f"PRAGMA table_info('{table}')")]


def snapshot(db, reference):
    """Every row of the plan's tables, in the 1.4.0 columns (named, so column order does not matter)."""
    out = {}
    for table in PLAN_TABLES:
        cols = columns(reference, table)
        out[table] = db.execute_sql(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id").fetchall()
    return out


def reference_at(version, backend, request, tmp_path):
    """A second, fresh database of the same backend migrated to `version`."""
    if backend == "postgresql":
        ref_target = resolve_target(request.getfixturevalue("pg_databases").create())
        reference = connect(ref_target)  # as_manager(Booth(database)) below binds the models back
    else:
        ref_target = resolve_target(str(tmp_path / "ref.db"))
        reference = pw.SqliteDatabase(str(tmp_path / "ref.db"))
    runner.migrate(ref_target, reference, version)
    return reference


def test_rollback_to_1_4_0_keeps_rows_and_gives_the_1_4_0_schema(database, target, clock, tmp_path, backend, request,
                                                                  make_booth):
    assert load_migrations()[-1].version >= (1, 5, 0)
    reference = reference_at(V140, backend, request, tmp_path)
    booth = make_booth(database, clock)
    a = booth.register("AB12CDE", "Jane", "07400 123456", "car")
    b = booth.register("XY34ZZZ", "Jim", "07400 123457", "van")
    clock.advance(hours=2)
    paid = booth.pay(a.stay_id, "cash", "10")
    booth.refund(paid.payment_id, "wrong_vehicle")
    booth.set_rate("car", "3.10", grace_minutes=5, daily_cap="20")
    clock.advance(hours=30)
    booth.expire()
    before = snapshot(database, reference)
    assert all(before[t] for t in PLAN_TABLES if t != "audit_logs_archive")
    runner.rollback(target, database, V140)
    assert shape(database) == shape(reference)
    assert snapshot(database, reference) == before
    amounts = [r[0] for r in database.execute_sql("SELECT amount FROM payments ORDER BY id")]
    assert amounts == [5, -5]
    assert_consistent(database)
    # and up again: the payments find their stays, the money its cents
    runner.migrate(target, database, None)
    rows = database.execute_sql("SELECT stay_id IS NOT NULL, amount_cents FROM payments ORDER BY id").fetchall()
    assert rows == [(1, 500), (1, -500)]
    assert as_manager(Booth(database, clock)).open_stay_for("XY34ZZZ").spot == b.spot


def test_upgrade_from_1_4_0_backfills_stays_and_dedupes_rates(target, clock):
    db = connect(target)
    runner.migrate(target, db, V140)
    for sql in [
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, parking_spot, payment_status) "
        "VALUES ('PAID1', 'A', '+447400123456', '2026-11-24 08:00:00', 'car', 'A01', 'paid')",
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, parking_spot) "
        "VALUES ('OLD2', 'B', '+447400123456', '2026-11-24 09:00:00', 'car', 'A02')",
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, parking_spot) "
        "VALUES ('NEW3', 'C', '+447400123456', '2026-11-24 10:00:00', 'car', 'A02')",
        "INSERT INTO payments (vehicle_id, amount, payment_status, payment_method, transaction_id) VALUES (1, 0.3, 'paid', 'cash', 't1')",
        "INSERT INTO parking_rates (vehicle_type, rate_per_hour, minimum_hours) VALUES ('car', 1.00, 1)",
        "INSERT INTO parking_rates (vehicle_type, rate_per_hour, minimum_hours) VALUES ('car', 2.00, 2)",
        "INSERT INTO parking_spots (spot_number, vehicle_type, is_occupied) VALUES ('A01', 'car', FALSE)",
        "INSERT INTO parking_spots (spot_number, vehicle_type, is_occupied) VALUES ('A02', 'car', TRUE)",
    ]:
        db.execute_sql(sql)
    runner.migrate(target, db, None)
    stays = db.execute_sql("SELECT vehicle_id, spot_number, status FROM stays ORDER BY vehicle_id").fetchall()
    assert stays == [(1, "A01", "paid"), (2, "A02", "departed"), (3, "A02", "open")]
    assert db.execute_sql("SELECT stay_id, amount_cents FROM payments").fetchall() == [(1, 30)]
    assert db.execute_sql("SELECT vehicle_type, rate_per_hour, minimum_hours FROM parking_rates").fetchall() == [("car", 2, 2)]
    assert db.execute_sql("SELECT COUNT(*) FROM parking_spots").fetchone()[0] == 2  # an existing layout is kept as is
    booth = as_manager(Booth(db, clock))
    assert booth.open_stay_for("NEW3").spot == "A02"
    assert booth.register("AB12CDE", "Jane", "07400 123456", "car").spot == "A01"


def test_business_layer_imports_no_textual():
    code = "import sys, kiosk.booth, kiosk.commands.expire; print(sorted(m for m in sys.modules if m.startswith('textual')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
