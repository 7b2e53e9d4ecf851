"""backup and restore through the real CLI, including hostile backup files."""

from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.clock import FixedClock
from kiosk.maintenance import backup as backups
from test_maint_support import BELOW_MAINT, LATEST, db_state, digest, make_db, no_traceback, one_line, run_main, start_kiosk, kill

pytestmark = pytest.mark.sqlite_only


def add_vehicle(db, plate):
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES (?, 'N', '+44')", (plate,))
    conn.commit()
    conn.close()


def plates(db):
    return sorted(r[0] for r in sqlite3.connect(db).execute("SELECT number_plate FROM vehicles"))


def test_backup_is_verified_owner_only_and_consistent_with_uncheckpointed_wal(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    # A writer that keeps its WAL open: a plain file copy would miss this row.
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('WAL1', 'N', '+44')")
    writer.commit()
    assert (tmp_path / "k.db-wal").stat().st_size > 0
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup", "--json"))
    writer.close()
    assert r.code == 0, r.err
    info = json.loads(r.out)
    path = tmp_path / "backups" / f"k-{info['path'].split('/k-')[1]}"
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700
    assert f"-v{LATEST}.db" in path.name and info["schema_version"] == LATEST
    version, counts, integrity = db_state(path)
    assert integrity == ["ok"] and counts["vehicles"] == 4 and "WAL1" in plates(path)
    assert counts == {k: v for k, v in info["rows"].items()}
    assert not (tmp_path / "backups" / (path.name + "-wal")).exists()  # a standalone file
    run = sqlite3.connect(db).execute("SELECT command, outcome, backup_path FROM maintenance_runs").fetchone()
    assert run == ("backup", "ok", str(path))


def test_rotation_keeps_the_newest_n(tmp_path):
    db = make_db(tmp_path / "k.db")
    clock = FixedClock("2026-11-24 12:00:00")
    made = []
    for _ in range(5):
        made.append(backups.take_backup(db, LATEST, keep=3, clock=clock).path)
        clock.advance(hours=1)
    assert backups.list_backups(db) == made[-3:]
    assert not any(p.exists() for p in made[:2])
    assert backups.newest_backup(db) == made[-1]


def test_interrupted_or_disk_full_backup_leaves_no_file(tmp_path):
    db = make_db(tmp_path / "k.db", vehicles=3000)  # enough pages for several copy steps
    folder = tmp_path / "backups"

    def ctrl_c(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backups.take_backup(db, LATEST, progress=ctrl_c)
    assert list(folder.iterdir()) == []

    def disk_full(done, total):
        if done > 0:
            raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(backups.BackupFailed, match="disk is full while writing the backup"):
        backups.take_backup(db, LATEST, progress=disk_full)
    assert list(folder.iterdir()) == []


def test_disk_full_refuses_backup_command(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup", free_bytes=0))
    assert r.code == 3 and "not enough disk space: 0 B free" in one_line(r.err)
    assert digest(db) == before and not list((tmp_path / "backups").glob("*.db"))


def test_the_kiosk_reads_no_switch_that_fakes_the_free_disk(kiosk_cli, tmp_path):
    """The simulated full disk is the tests' own wrapper: the command itself measures the disk."""
    db = make_db(tmp_path / "k.db")
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup", env={"KIOSK_FAKE_FREE_BYTES": "0"}))
    assert r.code == 0, r.err
    assert len(list((tmp_path / "backups").glob("*.db"))) == 1


def test_backup_out_file_never_overwrites(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    out = tmp_path / "copy.db"
    assert kiosk_cli("--db", str(db), "--maintenance", "backup", "--out", str(out)).code == 0
    assert db_state(out)[2] == ["ok"] and out.stat().st_mode & 0o777 == 0o600
    before = digest(out)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup", "--out", str(out)))
    assert r.code == 1 and "already exists" in one_line(r.err) and digest(out) == before
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup", "--out", str(tmp_path / "no" / "x.db")))
    assert r.code == 1 and "does not exist" in one_line(r.err)
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "missing.db"), "--maintenance", "backup"))
    assert r.code == 1 and "no database at" in one_line(r.err)


def test_restore_round_trip_keeps_a_safety_copy(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    assert kiosk_cli("--db", str(db), "--maintenance", "backup").code == 0
    (saved,) = backups.list_backups(db)
    add_vehicle(db, "AFTER1")
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(saved), "--keep", "1"))
    assert r.code == 0, r.err
    assert "AFTER1" not in plates(db) and plates(db) == plates(saved)
    assert db_state(db)[2] == ["ok"] and db_state(db)[0] == LATEST
    assert saved.exists()  # rotation (--keep 1) never deletes the backup being restored
    safety = [p for p in backups.list_backups(db) if "pre-restore" in p.name]
    assert len(safety) == 1 and "AFTER1" in plates(safety[0])
    assert not (tmp_path / ".k.db.restoring").exists()
    row = sqlite3.connect(db).execute("SELECT command, outcome, to_version FROM maintenance_runs ORDER BY id DESC").fetchone()
    assert row == ("restore", "ok", LATEST)


def test_restore_an_older_version_says_to_migrate(kiosk_cli, tmp_path):
    old = make_db(tmp_path / "old.db", to="1.2.0")
    db = make_db(tmp_path / "k.db")
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(old)))
    assert r.code == 0 and "run 'kiosk --maintenance migrate'" in r.out
    assert db_state(db)[0] == "1.2.0"


@pytest.mark.parametrize("kind", ["truncated", "not_sqlite", "empty", "foreign_sqlite", "missing", "newer_version", "corrupt_page"])
def test_bad_backup_files_are_one_line_errors_and_change_nothing(kiosk_cli, tmp_path, kind):
    db = make_db(tmp_path / "k.db")
    good = backups.take_backup(db, LATEST).path
    bad = tmp_path / f"{kind}.db"
    if kind == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "not_sqlite":
        bad.write_text("this is a shopping list, not a database\n")
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "foreign_sqlite":
        conn = sqlite3.connect(bad)
        conn.execute("CREATE TABLE things (id INTEGER)")
        conn.commit()
        conn.close()
    elif kind == "newer_version":
        bad.write_bytes(good.read_bytes())
        conn = sqlite3.connect(bad)
        conn.execute("INSERT INTO migratehistory (name, migrated_at, version) VALUES ('950_v95_0_0__future', '2030-01-01', '95.0.0')")
        conn.commit()
        conn.close()
    elif kind == "corrupt_page":
        data = bytearray(good.read_bytes())
        data[4096 * 3 : 4096 * 3 + 2000] = b"\x00" * 2000
        bad.write_bytes(bytes(data))
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(bad)))
    assert r.code == 1, r.out + r.err
    line = one_line(r.err)
    expected = {
        "truncated": "is truncated",
        "not_sqlite": "is not a SQLite database file",
        "empty": "is not a SQLite database file",
        "foreign_sqlite": "not a kiosk database",
        "missing": "no backup file at",
        "newer_version": "95.0.0, which this kiosk does not know",
        "corrupt_page": "choose another (older) backup",
    }[kind]
    assert expected in line
    assert digest(db) == before
    assert [p for p in backups.list_backups(db)] == [good]  # not even a safety copy was made


def test_restore_refused_while_a_kiosk_is_live(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    good = backups.take_backup(db, LATEST).path
    add_vehicle(db, "LIVE1")
    before = digest(db)
    kiosk = start_kiosk(db, "Booth West", tmp_path)
    try:
        r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(good)))
    finally:
        kill(kiosk)
    assert r.code == 3 and "Booth West" in one_line(r.err)
    assert digest(db) == before and "LIVE1" in plates(db)


def test_emergency_restore_over_a_wrecked_database_file(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    good = backups.take_backup(db, LATEST).path
    db.write_bytes(b"\x00garbage after a disk failure" * 100)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(good)))
    assert r.code == 0, r.err
    assert db_state(db)[2] == ["ok"] and plates(db) == plates(good)
    (kept,) = (tmp_path / "backups").glob("*damaged-pre-restore.db")
    assert kept.read_bytes().startswith(b"\x00garbage")


def test_restore_with_full_disk_is_refused(tmp_path, capsys, free_disk):
    db = make_db(tmp_path / "k.db")
    good = backups.take_backup(db, LATEST).path
    before = digest(db)
    free_disk(100)
    code, _out, err = run_main(["--db", str(db), "--maintenance", "restore", str(good)], capsys)
    assert code == 3 and "not enough disk space" in one_line(err)
    assert digest(db) == before


def test_migrate_backup_taken_before_a_rollback(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    r = kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", BELOW_MAINT)
    assert r.code == 0, r.err
    (saved,) = backups.list_backups(db)
    assert f"-v{LATEST}.db" in saved.name and db_state(saved)[0] == LATEST
    # maintenance_runs went with 1.6.0: the rollback's own record is in the file beside the database.
    log = (tmp_path / "k.db.maintenance.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["command"] == "rollback" and json.loads(log[-1])["to_version"] == BELOW_MAINT
