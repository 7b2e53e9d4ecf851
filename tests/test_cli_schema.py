"""The headless maintenance mode as an operator runs it: output, exit codes, no tracebacks."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from kiosk.schema.files import load_migrations

pytestmark = pytest.mark.sqlite_only

FILES = load_migrations()
LATEST = FILES[-1].version_text


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_traceback(result):
    assert "Traceback" not in result.err + result.out
    return result


def test_status_on_missing_file_creates_nothing(kiosk_cli, tmp_path):
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "new.db"), "--maintenance", "status", "--json"))
    assert r.code == 0
    data = json.loads(r.out)
    assert data["schema_version"] == "0"
    assert [p["version"] for p in data["pending"]] == [f.version_text for f in FILES]
    assert not (tmp_path / "new.db").exists()


def test_migrate_then_status(kiosk_cli, tmp_path):
    db = str(tmp_path / "k.db")
    r = no_traceback(kiosk_cli("--db", db, "--maintenance", "migrate"))
    assert r.code == 0 and f"schema version {LATEST}" in r.out
    data = json.loads(kiosk_cli("--db", db, "--maintenance", "status", "--json").out)
    assert data["schema_version"] == LATEST and data["pending"] == []
    assert [a["version"] for a in data["applied"]] == [f.version_text for f in FILES]
    assert all(a["applied_at"] and len(a["checksum"]) == 64 for a in data["applied"])
    human = kiosk_cli("--db", db, "--maintenance", "status").out
    assert f"schema version  {LATEST}" in human and "pending:        none" in human


def test_kiosk_db_environment_variable_selects_target(kiosk_cli, tmp_path):
    db = tmp_path / "env.db"
    r = kiosk_cli("--maintenance", "migrate", "--to", "1.1.0", env={"KIOSK_DB": str(db)})
    assert r.code == 0
    data = json.loads(kiosk_cli("--maintenance", "status", "--json", env={"KIOSK_DB": str(db)}).out)
    assert data["schema_version"] == "1.1.0"


def test_migrate_to_and_rollback_to(kiosk_cli, tmp_path):
    db = str(tmp_path / "k.db")
    assert kiosk_cli("--db", db, "--maintenance", "migrate", "--to", "1.2.0").code == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='payments'").fetchone()
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name='parking_rates'").fetchone()
    r = no_traceback(kiosk_cli("--db", db, "--maintenance", "rollback", "--to", "1.0.0"))
    assert r.code == 0 and "schema version 1.0.0" in r.out
    assert json.loads(kiosk_cli("--db", db, "--maintenance", "status", "--json").out)["schema_version"] == "1.0.0"
    # Emptying the schema takes the configuration row (and the audit rows the runs wrote) with it: the operator says so.
    r = kiosk_cli("--db", db, "--maintenance", "rollback", "--to", "0")
    assert r.code == 3 and "--allow-data-loss" in r.err and "system_config 1 row(s)" in r.err
    r = kiosk_cli("--db", db, "--maintenance", "rollback", "--to", "0", "--allow-data-loss")
    assert r.code == 0
    tables = {row[0] for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables <= {"migratehistory", "sqlite_sequence"}


def test_dry_run_prints_sql_and_changes_nothing(kiosk_cli, tmp_path):
    db = tmp_path / "k.db"
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", "--dry-run"))
    assert r.code == 0
    assert "CREATE TABLE vehicles" in r.out and "nothing was changed" in r.out
    assert not db.exists()
    kiosk_cli("--db", str(db), "--maintenance", "migrate", "--to", "1.1.0")
    before = digest(db)
    r = kiosk_cli("--db", str(db), "--maintenance", "migrate", "--dry-run")
    assert "CREATE TABLE payments" in r.out and "CREATE TABLE vehicles" not in r.out
    r = kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", "0", "--dry-run")
    assert "DROP TABLE parking_spots" in r.out and r.code == 0
    assert digest(db) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["migrate", "--to", "9.9.9"], "unknown schema version 9.9.9"),
        (["migrate", "--to", "latest"], "is not a schema version"),
        (["rollback", "--to", "1.0"], "is not a schema version"),
        (["rollback"], "Missing option"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_usage_exits_2_with_one_line(kiosk_cli, tmp_path, args, message):
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "k.db"), "--maintenance", *args))
    assert r.code == 2
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_maintenance_command_without_flag_is_refused(kiosk_cli, tmp_path):
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "k.db"), "migrate"))
    assert r.code == 2 and "--maintenance migrate" in r.err


def test_unusable_targets(kiosk_cli, tmp_path):
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello, this is not a database\n")
    before = digest(not_db)
    for args in (["status"], ["migrate"], ["rollback", "--to", "0"]):
        r = no_traceback(kiosk_cli("--db", str(not_db), "--maintenance", *args))
        assert r.code == 2 and "is not a SQLite database" in r.err
    assert digest(not_db) == before
    r = no_traceback(kiosk_cli("--db", str(tmp_path), "--maintenance", "status"))
    assert r.code == 2 and "is a directory" in r.err
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "no" / "such" / "k.db"), "--maintenance", "migrate"))
    assert r.code == 2 and "does not exist" in r.err
    r = no_traceback(kiosk_cli("--db", "mysql://x@y/z", "--maintenance", "status"))
    assert r.code == 2 and "unsupported database URL" in r.err


def test_status_never_writes_to_a_foreign_sqlite_file(kiosk_cli, tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (id INTEGER)")
    conn.commit()
    conn.close()
    before = digest(other)
    r = no_traceback(kiosk_cli("--db", str(other), "--maintenance", "status", "--json"))
    assert r.code == 0 and json.loads(r.out)["schema_version"] == "0"
    assert digest(other) == before
    assert not (tmp_path / "other.db-wal").exists()


def test_corrupt_database_is_a_one_line_error(kiosk_cli, tmp_path):
    db = tmp_path / "k.db"
    assert kiosk_cli("--db", str(db), "--maintenance", "migrate").code == 0
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # keep the header, wreck the schema page
    db.write_bytes(bytes(data))
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "status"))
    assert r.code == 1 and "malformed" in r.err and len(r.err.strip().splitlines()) == 1


def test_terminal_refuses_database_behind_latest(kiosk_cli, tmp_path):
    db = str(tmp_path / "k.db")
    kiosk_cli("--db", db, "--maintenance", "migrate", "--to", "1.2.0")
    r = no_traceback(kiosk_cli("--db", db))
    assert r.code == 1 and "kiosk --maintenance migrate" in r.err and "1.2.0" in r.err


def test_terminal_refuses_foreign_database(kiosk_cli, tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE things (id INTEGER)")
    r = no_traceback(kiosk_cli("--db", str(other)))
    assert r.code == 1 and "no kiosk schema history" in r.err
