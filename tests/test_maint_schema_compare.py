"""The whole schema (tables, columns, indexes, triggers, views) against its recorded version, on SQLite:
restore refuses a backup that differs, check / stats / pre-flight report a database that differs.
The PostgreSQL versions are in tests/test_pg_maint_schema.py."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from kiosk.maintenance import backup as backups
from kiosk.maintenance import validate
from test_maint_support import BELOW_MAINT, FILES, LATEST, db_state, digest, make_db, no_traceback, one_line

pytestmark = pytest.mark.sqlite_only

KILL_PAYMENTS = "CREATE TRIGGER wipe AFTER INSERT ON audit_logs BEGIN DELETE FROM payments; END"
ON_VEHICLES = "CREATE TRIGGER sneaky AFTER INSERT ON vehicles BEGIN DELETE FROM payments; END"
A_VIEW = "CREATE VIEW phone_book AS SELECT number_plate, contact_name, phone_number FROM vehicles"
# The real history rows, but `vehicles` without a column the kiosk needs (it would not start).
OTHER_LAYOUT = [
    "DROP INDEX idx_vehicles_unpurged_entry",
    "ALTER TABLE vehicles DROP COLUMN purged_at",
]
# Same columns, but a changed default and nullability.
OTHER_COLUMN = [
    "ALTER TABLE system_config RENAME TO system_config_old",
    "CREATE TABLE system_config AS SELECT * FROM system_config_old",
    "DROP TABLE system_config_old",
]


def with_payments(path):
    make_db(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO payments (vehicle_id, amount, amount_cents, payment_status) SELECT id, '2.50', 250, 'paid' FROM vehicles")
    conn.commit()
    conn.close()
    return path


def doctored(good, path, statements):
    shutil.copy(good, path)
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()
    return path


def count(db, table):
    return sqlite3.connect(db).execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize(
    "kind, statements, named",
    [
        ("trigger_on_audit_logs", [KILL_PAYMENTS], "trigger wipe is not part of schema"),
        ("trigger_on_vehicles", [ON_VEHICLES], "trigger sneaky is not part of schema"),
        ("view", [A_VIEW], "view phone_book is not part of schema"),
        # 'sqlite_%' in LIKE would match this name ('_' is a wildcard) and hide it
        ("trigger_named_like_internal", [KILL_PAYMENTS.replace("wipe", "sqlitewipe")], "trigger sqlitewipe is not part of schema"),
        ("other_layout", OTHER_LAYOUT, "table vehicles has columns"),
        ("other_column", OTHER_COLUMN, "column system_config.id is"),
    ],
)
def test_restore_refuses_a_backup_whose_schema_differs_and_touches_nothing(kiosk_cli, tmp_path, kind, statements, named):
    db = with_payments(tmp_path / "k.db")
    good = backups.take_backup(db, LATEST).path
    bad = doctored(good, tmp_path / f"{kind}.db", statements)
    assert db_state(bad)[0] == LATEST and db_state(bad)[2] == ["ok"]  # history and integrity are fine
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(bad)))
    assert r.code == 3, r.out + r.err
    line = one_line(r.err)
    assert str(bad) in line and f"does not have the schema {LATEST} its history records" in line and named in line and "nothing was changed" in line
    assert digest(db) == before and count(db, "payments") == 3
    assert backups.list_backups(db) == [good]  # not even a safety copy
    refused = json.loads((tmp_path / "k.db.maintenance.jsonl").read_text().splitlines()[-1])
    assert refused["command"] == "restore" and refused["outcome"] == "refused"
    # The sound backup restores, and its own audit row leaves every payment in place.
    assert kiosk_cli("--db", str(db), "--maintenance", "restore", str(good)).code == 0
    assert count(db, "payments") == 3


def test_restore_of_an_older_backup_is_compared_with_its_own_version(kiosk_cli, tmp_path):
    old = make_db(tmp_path / "old.db", to="1.2.0")
    db = make_db(tmp_path / "k.db")
    bad = doctored(old, tmp_path / "bad-old.db", ["CREATE TABLE vehicles_note (id INTEGER)"])
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(bad)))
    assert r.code == 3 and "table vehicles_note is not part of schema 1.2.0" in one_line(r.err)
    assert no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(old))).code == 0
    assert db_state(db)[0] == "1.2.0"


@pytest.mark.parametrize("statements, finding", [
    ([KILL_PAYMENTS], "trigger wipe is not part of schema"),
    ([A_VIEW], "view phone_book is not part of schema"),
    (OTHER_COLUMN, "column system_config.archive_batch_size is INT, expected INTEGER NOT NULL DEFAULT 1000"),
])
def test_check_stats_and_preflight_find_an_injected_trigger_view_or_column(kiosk_cli, tmp_path, statements, finding):
    db = with_payments(tmp_path / "k.db")
    assert kiosk_cli("--db", str(db), "--maintenance", "check").code == 0
    doctored(db, tmp_path / "k2.db", statements)
    db = tmp_path / "k2.db"
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "check", "--json"))
    assert r.code == 1, r.out
    errors = [f for f in json.loads(r.out)["findings"] if f["level"] == "error"]
    assert any(finding in f["message"] for f in errors), errors
    s = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "stats"))
    assert s.code == 1 and "alerts          none" not in s.out
    assert any(line.startswith("error") and "schema_drift" in line and finding in line for line in s.out.splitlines()), s.out
    before = digest(db)
    m = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", BELOW_MAINT))
    assert m.code == 3 and finding in one_line(m.err) and "inconsistent" in one_line(m.err)
    assert digest(db) == before and count(db, "payments") == 3


def test_the_comparison_covers_types_defaults_nullability_and_index_definitions(database):
    version = FILES[-1].version
    assert validate.schema_drift(database, FILES, version) == []
    database.execute_sql("DROP INDEX idx_stays_open_spot")
    database.execute_sql("CREATE INDEX idx_stays_open_spot ON stays(spot_number)")  # no longer UNIQUE, no WHERE
    database.execute_sql("ALTER TABLE parking_rates RENAME COLUMN grace_minutes TO grace")
    found = {f.message for f in validate.schema_drift(database, FILES, version) if f.level == "error"}
    assert any(m.startswith(f"history says {LATEST} but index idx_stays_open_spot is CREATE INDEX") for m in found), found
    assert any("table parking_rates has columns" in m and "grace" in m for m in found), found


def test_no_drift_after_going_down_and_up_again(kiosk_cli, tmp_path):
    db = with_payments(tmp_path / "k.db")
    for args in (["rollback", "--to", "1.4.0"], ["check"], ["migrate"], ["check"], ["rollback", "--to", "1.0.0"], ["migrate"], ["check"]):
        extra = ["--allow-data-loss"] if args[0] == "rollback" else []  # rollbacks below 1.5.0 drop stays and cents
        r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", *args, *extra, "--skip-check", "backup") if args[0] != "check"
                         else kiosk_cli("--db", str(db), "--maintenance", *args))
        assert r.code in (0, 4), (args, r.out, r.err)
