"""Every up/down path gives the same schema, and rows survive the round trip."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.db import connect, resolve_target
from kiosk.schema import runner
from kiosk.schema.files import EMPTY, format_version, load_migrations
from schema_tools import PLAN_VERSIONS, describe, plan_database

pytestmark = pytest.mark.sqlite_only

FILES = load_migrations()
VERSIONS = [f.version for f in FILES]
LATEST = VERSIONS[-1]


def schema_of(target) -> dict:
    conn = sqlite3.connect(target.path)
    try:
        return describe(conn)
    finally:
        conn.close()


def fresh(tmp_path, name):
    target = resolve_target(str(tmp_path / name))
    return target, connect(target)


def version_of(db) -> tuple:
    return runner.current_version(runner.status(resolve_target(db.database), db).applied)


@pytest.mark.parametrize("version", VERSIONS, ids=format_version)
def test_down_from_latest_equals_up_from_empty(tmp_path, version):
    up_target, up_db = fresh(tmp_path, "up.db")
    runner.migrate(up_target, up_db, version)
    down_target, down_db = fresh(tmp_path, "down.db")
    runner.migrate(down_target, down_db, None)
    runner.rollback(down_target, down_db, version)
    assert version_of(down_db) == version
    assert schema_of(down_target) == schema_of(up_target)
    text = format_version(version)
    if text in PLAN_VERSIONS:
        assert schema_of(down_target) == describe(plan_database(tmp_path / "plan.db", text))


def test_rollback_to_zero_empties_schema(tmp_path):
    target, db = fresh(tmp_path, "k.db")
    runner.migrate(target, db, None)
    runner.rollback(target, db, EMPTY)
    assert schema_of(target) == {}
    assert version_of(db) == EMPTY


def test_up_down_up_is_identical(tmp_path):
    target, db = fresh(tmp_path, "k.db")
    runner.migrate(target, db, None)
    first = schema_of(target)
    runner.rollback(target, db, EMPTY)
    runner.migrate(target, db, None)
    assert schema_of(target) == first


def test_each_step_down_and_up_again_is_identical(tmp_path):
    target, db = fresh(tmp_path, "k.db")
    runner.migrate(target, db, None)
    full = schema_of(target)
    for lower in reversed([EMPTY, *VERSIONS[:-1]]):
        runner.rollback(target, db, lower)
        runner.migrate(target, db, None)
        assert schema_of(target) == full, f"down to {format_version(lower)} and back changed the schema"


def test_rows_from_1_0_0_survive_trip_to_latest_and_back(tmp_path):
    target, db = fresh(tmp_path, "k.db")
    runner.migrate(target, db, (1, 0, 0))
    conn = sqlite3.connect(target.path)
    conn.executemany(
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp) VALUES (?, ?, ?, ?)",
        [(f"PL{i:04d}", f"Name {i}", f"+4477009{i:05d}", "2026-11-20 08:00:00") for i in range(50)],
    )
    conn.executemany(
        "INSERT INTO audit_logs (action, entity, entity_id, details) VALUES (?, ?, ?, ?)",
        [("entry", "vehicle", str(i), "{}") for i in range(50)],
    )
    conn.execute("UPDATE system_config SET retention_hours = 48")
    conn.commit()
    before = {
        t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("vehicles", "audit_logs", "system_config")
    }
    conn.close()
    runner.migrate(target, db, None)
    runner.rollback(target, db, (1, 0, 0))
    conn = sqlite3.connect(target.path)
    for table, rows in before.items():
        after = conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        if table == "system_config":
            # later versions may add columns with defaults; the plan's columns must be intact
            after = [r[:3] for r in after]
            rows = [r[:3] for r in rows]
        assert after == rows, table


def test_archived_audit_rows_return_on_rollback_of_1_4_0(tmp_path):
    target, db = fresh(tmp_path, "k.db")
    runner.migrate(target, db, (1, 4, 0))
    conn = sqlite3.connect(target.path)
    conn.execute("INSERT INTO audit_logs (action, entity, entity_id, timestamp) VALUES ('entry','vehicle','1','2026-01-01 00:00:00')")
    conn.execute("INSERT INTO audit_logs (action, entity, entity_id) VALUES ('entry','vehicle','2')")
    conn.execute("INSERT INTO audit_logs_archive SELECT * FROM audit_logs WHERE timestamp < datetime('now', '-90 days')")
    conn.execute("DELETE FROM audit_logs WHERE timestamp < datetime('now', '-90 days')")
    conn.commit()
    conn.close()
    runner.rollback(target, db, (1, 3, 0))
    conn = sqlite3.connect(target.path)
    assert [r[0] for r in conn.execute("SELECT entity_id FROM audit_logs ORDER BY id")] == ["1", "2"]


def test_migrate_to_lower_version_refuses_and_changes_nothing(tmp_path):
    from kiosk.errors import KioskError

    target, db = fresh(tmp_path, "k.db")
    runner.migrate(target, db, None)
    before = schema_of(target)
    with pytest.raises(KioskError, match="rollback"):
        runner.migrate(target, db, (1, 1, 0))
    assert schema_of(target) == before
    assert version_of(db) == LATEST
