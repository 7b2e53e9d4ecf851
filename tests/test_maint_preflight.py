"""Pre-flight checks through the real CLI: each refusal changes nothing and says why."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from kiosk.db import resolve_target
from kiosk.maintenance import presence
from kiosk.backends import sqlite as lock
from test_maint_support import (
    BELOW_MAINT,
    FILES,
    LATEST,
    db_state,
    digest,
    folder_with,
    kill,
    maintenance_runs,
    make_db,
    no_traceback,
    one_line,
    run_main,
    start_kiosk,
    wait_for,
)

pytestmark = pytest.mark.sqlite_only


def test_migrate_runs_every_check_and_records_the_run(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to=BELOW_MAINT)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate"))
    assert r.code == 0, r.err
    for check in ("lock", "connections", "history", "disk", "backup"):
        assert f"pre-flight {check:12} ok" in r.out
    assert f"schema version {LATEST}" in r.out and "validation   ok" in r.out
    (backup,) = (tmp_path / "backups").glob("k-*.db")
    assert f"-v{BELOW_MAINT}.db" in backup.name and backup.stat().st_mode & 0o777 == 0o600
    assert db.stat().st_mode & 0o777 == 0o600
    version, counts, integrity = db_state(backup)
    assert version == BELOW_MAINT and integrity == ["ok"] and counts["vehicles"] == 3
    (run,) = maintenance_runs(db)
    assert run["command"] == "migrate" and run["outcome"] == "ok"
    assert run["from_version"] == BELOW_MAINT and run["to_version"] == LATEST
    assert json.loads(run["rows_before"])["vehicles"] == 3 == json.loads(run["rows_after"])["vehicles"]
    assert run["backup_path"] == str(backup) and run["duration_ms"] >= 0
    conn = sqlite3.connect(db)
    audit = conn.execute("SELECT entity, details FROM audit_logs WHERE action = 'maintenance'").fetchall()
    assert len(audit) == 1 and json.loads(audit[0][1])["outcome"] == "ok"
    assert "PL1" not in audit[0][1]  # no personal data in the audit row
    assert conn.execute("SELECT COUNT(*) FROM sqlite_stat1").fetchone()[0] > 0  # ANALYZE ran


def test_live_kiosk_refuses_migrate_naming_it_and_a_killed_kiosk_does_not_block(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to=BELOW_MAINT)
    before = digest(db)
    kiosk = start_kiosk(db, "Booth North", tmp_path)
    try:
        r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate"))
        assert r.code == 3
        line = one_line(r.err)
        assert "Booth North" in line and f"pid {kiosk.pid}" in line and "nothing was changed" in line
        assert digest(db) == before and not list((tmp_path / "backups").glob("*.db"))
        assert [k.booth for k in presence.live_kiosks(resolve_target(str(db)))] == ["Booth North"]
    finally:
        kill(kiosk)  # SIGKILL: the kiosk gets no chance to clean up
    assert presence.live_kiosks(resolve_target(str(db))) == []
    r = kiosk_cli("--db", str(db), "--maintenance", "migrate")
    assert r.code == 0, r.err
    assert db_state(db)[0] == LATEST


def test_skipping_connections_proceeds_with_exit_4_and_logs_the_skip(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to=BELOW_MAINT)
    kiosk = start_kiosk(db, "Booth South", tmp_path)
    try:
        r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", "--skip-check", "connections"))
    finally:
        kill(kiosk)
    assert r.code == 4, r.err
    assert "SKIPPED by --skip-check connections" in r.out and "Booth South" in r.out
    (run,) = maintenance_runs(db)
    assert run["outcome"] == "warnings" and json.loads(run["skipped_checks"]) == ["connections"]


def test_kiosk_cannot_start_while_maintenance_holds_the_database(target, database):
    with presence.exclusive(target, database) as live:
        assert live == []
        with pytest.raises(presence.MaintenanceRunning, match="maintenance is running"):
            with presence.announce(target, database, "Booth East"):
                pass
    with presence.announce(target, database, "Booth East") as me:
        assert me.booth == "Booth East"
        with presence.exclusive(target, database) as live:
            assert [k.booth for k in live] == ["Booth East"]


@pytest.mark.parametrize("args, message", [(["--skip-check", "lock"], "cannot be skipped"), (["--skip-check", "disks"], "backup, disk, connections, history")])
def test_skip_check_names_are_validated(kiosk_cli, tmp_path, args, message):
    db = make_db(tmp_path / "k.db", to=BELOW_MAINT)
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", *args))
    assert r.code == 2 and message in one_line(r.err)
    assert digest(db) == before


def test_full_disk_refuses_with_free_and_needed(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to=BELOW_MAINT)
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", free_bytes=4096))
    assert r.code == 3
    line = one_line(r.err)
    assert "not enough disk space" in line and "4.0 KiB free" in line and "MiB needed" in line
    assert digest(db) == before and not list((tmp_path / "backups").glob("*.db"))
    r = kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", "1.0.0", free_bytes=4096)
    assert r.code == 3 and digest(db) == before


def test_edited_migration_file_is_refused_and_status_shows_it(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to="1.2.0")
    folder = folder_with(tmp_path)
    edited = next(folder.glob("002_*.py"))
    edited.write_text(edited.read_text() + "\n# a harmless-looking edit\n")
    env = {"KIOSK_MIGRATIONS_DIR": str(folder)}
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", env=env))
    assert r.code == 3
    assert f"{edited.stem}.py was edited after it was applied" in one_line(r.err)
    assert digest(db) == before
    st = kiosk_cli("--db", str(db), "--maintenance", "status", env=env)
    assert "finding: migration file " + edited.stem in st.out
    assert json.loads(kiosk_cli("--db", str(db), "--maintenance", "status", "--json", env=env).out)["findings"]


def test_applied_version_without_file_and_out_of_order_are_refused(kiosk_cli, tmp_path):
    extra = {"900_v99_0_0__extra.py": 'VERSION = "99.0.0"\n\ndef migrate(m, d, fake=False):\n    m.sql("CREATE TABLE extra (id INTEGER)")\n\ndef rollback(m, d, fake=False):\n    m.sql("DROP TABLE extra")\n'}
    db = make_db(tmp_path / "k.db", files=__import__("kiosk.schema.files", fromlist=["x"]).load_migrations(folder_with(tmp_path, extra)))
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", "1.0.0"))
    assert r.code == 3 and "99.0.0 (900_v99_0_0__extra) is applied but has no migration file" in r.err
    assert digest(db) == before
    # A database that skipped 1.3.0 (e.g. made from a branch without it) must not get it applied late.
    gap = make_db(tmp_path / "gap.db", files=__import__("kiosk.schema.files", fromlist=["x"]).load_migrations(folder_with(tmp_path, drop=("004_",), name="gap")), to="1.4.0")
    before = digest(gap)
    r = no_traceback(kiosk_cli("--db", str(gap), "--maintenance", "migrate"))
    assert r.code == 3 and "1.3.0 is pending but" in r.err and "out of order" in r.err
    assert digest(gap) == before


def test_inconsistent_database_is_refused_pointing_at_the_newest_backup(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to="1.3.0")
    assert kiosk_cli("--db", str(db), "--maintenance", "backup").code == 0
    (newest,) = (tmp_path / "backups").glob("k-*.db")
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE parking_rates")  # behind the history's back
    conn.commit()
    conn.close()
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate"))
    assert r.code == 3
    line = one_line(r.err)
    assert "inconsistent" in line and "table parking_rates is missing" in line and str(newest) in line
    assert digest(db) == before
    check = kiosk_cli("--db", str(db), "--maintenance", "check", "--json")
    assert check.code == 1 and any(f["code"] == "schema_drift" for f in json.loads(check.out)["findings"])


HOLDER = """
import sys, time
from pathlib import Path
from kiosk.backends.sqlite import file_lock
with file_lock(Path(sys.argv[1])):
    open(sys.argv[2], "w").close()
    time.sleep(600)
"""


def test_lock_refuses_a_second_run_and_a_killed_holder_never_blocks(tmp_path, monkeypatch, capsys):
    db = make_db(tmp_path / "k.db", to=BELOW_MAINT)
    ready = tmp_path / "locked"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(ready)], stdin=subprocess.DEVNULL)
    try:
        wait_for(ready, holder)
        monkeypatch.setattr("kiosk.maintenance.preflight.LOCK_WAIT_SECONDS", 0.2)
        before = digest(db)
        code, _out, err = run_main(["--db", str(db), "--maintenance", "migrate"], capsys)
        assert code == 3 and "another maintenance run holds" in err and f"pid {holder.pid}" in err
        assert digest(db) == before
    finally:
        kill(holder)
    code, out, err = run_main(["--db", str(db), "--maintenance", "migrate"], capsys)
    assert code == 0, err
    assert lock.lock_path(db).exists()  # the stale lock file is harmless: the kernel dropped its lock


def test_no_write_permission_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    db = make_db(tmp_path / "k.db", to=BELOW_MAINT)
    before = digest(db)
    real = __import__("os").access
    # Tests run as root, for whom chmod means nothing: make the permission check see a read-only folder.
    monkeypatch.setattr("kiosk.maintenance.preflight.os.access", lambda p, mode: False if mode == __import__("os").W_OK else real(p, mode))
    code, _out, err = run_main(["--db", str(db), "--maintenance", "migrate"], capsys)
    assert code == 1 and "no write permission" in one_line(err)
    assert digest(db) == before


def test_latest_is_derived_not_hard_coded():
    assert LATEST == FILES[-1].version_text and (1, 6, 0) in [f.version for f in FILES]
