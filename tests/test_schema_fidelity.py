"""At 1.0.0-1.3.0 the migrated schema is exactly what the plan's SQL gives; 1.4.0 adds only its own."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.db import connect, resolve_target
from kiosk.schema import runner
from kiosk.schema.files import parse_version
from schema_tools import PLAN, PLAN_VERSIONS, describe, plan_database, plan_statement

pytestmark = pytest.mark.sqlite_only


def migrated(tmp_path, version: str, name: str = "kiosk.db") -> sqlite3.Connection:
    target = resolve_target(str(tmp_path / name))
    db = connect(target)
    runner.migrate(target, db, parse_version(version))
    db.close()
    return sqlite3.connect(target.path)


def test_plan_copy_matches_shared_plan():
    shared = PLAN.parents[3] / "shared" / "migration-plan.md"
    if not shared.exists():
        pytest.skip("../shared/migration-plan.md is not beside this checkout")
    assert PLAN.read_text() == shared.read_text()


@pytest.mark.parametrize("version", PLAN_VERSIONS)
def test_schema_equals_plan_sql(tmp_path, version):
    ours = describe(migrated(tmp_path, version))
    theirs = describe(plan_database(tmp_path / "plan.db", version))
    assert ours == theirs


def test_1_4_0_is_plan_1_3_0_plus_archive_and_composite_index(tmp_path):
    ours = describe(migrated(tmp_path, "1.4.0"))
    plan = plan_database(tmp_path / "plan.db", "1.3.0")
    plan.execute(plan_statement("Index Optimization", "CREATE INDEX"))
    theirs = describe(plan)
    archive = ours.pop("audit_logs_archive")
    assert ours == theirs
    # Same columns in the same order as audit_logs, so `INSERT ... SELECT *` works verbatim.
    assert [c[:2] for c in archive["columns"]] == [c[:2] for c in theirs["audit_logs"]["columns"]]


def test_shell_insert_uses_server_side_defaults(tmp_path):
    conn = migrated(tmp_path, "1.4.0")
    conn.execute("INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('AB12CDE', 'Jane', '+447700900123')")
    conn.execute("INSERT INTO parking_spots (spot_number) VALUES ('Z99')")
    conn.execute("INSERT INTO parking_rates (vehicle_type, rate_per_hour) VALUES ('bus', 9.5)")
    conn.commit()
    entry, created, updated = conn.execute("SELECT entry_timestamp, created_at, updated_at FROM vehicles").fetchone()
    assert entry and created and updated and len(entry) == len("2026-01-01 00:00:00")
    assert conn.execute("SELECT is_occupied FROM parking_spots WHERE spot_number='Z99'").fetchone()[0] == 0
    assert conn.execute("SELECT minimum_hours FROM parking_rates WHERE vehicle_type='bus'").fetchone()[0] == 1
    assert conn.execute("SELECT retention_hours FROM system_config").fetchall() == [(24,)]


def test_autoincrement_and_foreign_key_enforced(tmp_path):
    conn = migrated(tmp_path, "1.4.0")
    conn.execute("PRAGMA foreign_keys=ON")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute("INSERT INTO payments (vehicle_id, amount, payment_status) VALUES (424242, 1.00, 'paid')")
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'").fetchone()
