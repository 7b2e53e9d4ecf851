"""`kiosk --maintenance backup` and `restore` on PostgreSQL: verified pg_dump, one-transaction
pg_restore, hostile dump files. The SQLite versions are in tests/test_maint_backup_restore.py."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess

import pytest
from pg_maint_support import dumps, make_pg, q, start_kiosk, state
from test_maint_support import LATEST, kill, no_traceback, one_line, run_main

from kiosk.db import resolve_target
from kiosk.maintenance.sites import pg_dump

pytestmark = pytest.mark.postgres_only


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
