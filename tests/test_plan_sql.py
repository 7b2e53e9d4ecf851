"""The plan's own SQL runs verbatim on a migrated database and gives correct answers on our rows."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from kiosk.clock import UTC
from kiosk.models import AuditLog, Vehicle
from schema_tools import plan_blocks, plan_statement

pytestmark = pytest.mark.sqlite_only


def statements(section):
    out = []
    for block in plan_blocks()[section]:
        buf = ""
        for line in block.splitlines(keepends=True):
            if line.strip().startswith("--") and not buf.strip():
                continue
            buf += line
            if sqlite3.complete_statement(buf):
                out.append(buf.strip())
                buf = ""
    return out


@pytest.fixture
def conn(database, db_path):
    c = sqlite3.connect(db_path)
    c.execute("PRAGMA foreign_keys=ON")
    yield c
    c.close()


def test_data_validation_queries_run(conn):
    for sql in statements("Data Validation"):
        conn.execute(sql).fetchall()


def test_index_optimization_block_runs_and_indexes_exist(conn):
    for sql in statements("Index Optimization"):
        if sql.upper().startswith("CREATE INDEX"):
            continue  # 1.4.0 created it already; the plan's statement has no IF NOT EXISTS
        conn.execute(sql).fetchall()
    indexes = {row[1]: row[2] for row in conn.execute("PRAGMA index_list('vehicles')")}  # name -> unique
    assert {"idx_vehicles_entry_timestamp", "idx_vehicles_status_timestamp"} <= set(indexes)
    # 1.7.0 dropped idx_vehicles_number_plate, a copy of the UNIQUE constraint's own index, which stays.
    assert "idx_vehicles_number_plate" not in indexes
    plate = [n for n, unique in indexes.items()
             if unique and [r[2] for r in conn.execute(f"PRAGMA index_info('{n}')")] == ["number_plate"]]
    assert len(plate) == 1
    assert [r[2] for r in conn.execute("PRAGMA index_info('idx_vehicles_status_timestamp')")] == [
        "payment_status",
        "entry_timestamp",
    ]


def test_our_timestamps_compare_correctly_with_plans_datetime_now(database, conn):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    common = dict(contact_name="x", phone_number="+447700900000")
    Vehicle.create(number_plate="OLD1", entry_timestamp=now - dt.timedelta(hours=25), **common)
    Vehicle.create(number_plate="NEW1", entry_timestamp=now - dt.timedelta(hours=23), **common)
    stored = conn.execute("SELECT entry_timestamp FROM vehicles WHERE number_plate='OLD1'").fetchone()[0]
    assert len(stored) == 19 and stored[10] == " "  # the CURRENT_TIMESTAMP form
    cleanup = plan_statement("Data Cleanup", "DELETE")
    where = cleanup[cleanup.upper().index("WHERE"):]
    selected = [r[0] for r in conn.execute(f"SELECT number_plate FROM vehicles {where}")]
    assert selected == ["OLD1"]
    conn.execute(cleanup)  # verbatim; no payments reference these vehicles
    assert [r[0] for r in conn.execute("SELECT number_plate FROM vehicles")] == ["NEW1"]


def test_plans_archive_insert_runs_verbatim(database, conn):
    now = dt.datetime.now(UTC)
    AuditLog.create(action="entry", entity="stay", entity_id="1", timestamp=now - dt.timedelta(days=91), details="{}")
    AuditLog.create(action="entry", entity="stay", entity_id="2", timestamp=now - dt.timedelta(days=89), details="{}")
    conn.execute(plan_statement("Data Cleanup", "INSERT INTO audit_logs_archive"))
    assert [r[0] for r in conn.execute("SELECT entity_id FROM audit_logs_archive")] == ["1"]


def test_models_read_back_aware_utc(database):
    when = dt.datetime(2026, 11, 24, 13, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    v = Vehicle.create(number_plate="TZ1", contact_name="x", phone_number="1", entry_timestamp=when)
    back = Vehicle.get_by_id(v.id).entry_timestamp
    assert back == when and back.tzinfo is not None and back.utcoffset() == dt.timedelta(0)
