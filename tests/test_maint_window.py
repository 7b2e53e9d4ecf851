"""The maintenance window through the real CLI: the backup is the very file the pre-flight checked
(one integrity check serves both), validation checks what the migration changed, and a run
killed while it copies leaves the database as it was and no backup that is not one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_maint_support import (FILES, LATEST, db_state, digest, kill, maintenance_runs, make_db, no_traceback, one_line,
                                wait_for)

pytestmark = pytest.mark.sqlite_only

BEFORE = FILES[-2].version_text
HERE = Path(__file__).resolve().parent


def damage_an_index(db: Path, needle: bytes, other: bytes) -> None:
    """Change one key in an index leaf page: the row and its index entry no longer match."""
    data = bytearray(db.read_bytes())
    for start in range(4096, len(data), 4096):
        page = data[start:start + 4096]
        if page[0] == 0x0A and needle in page:
            at = start + page.index(needle)
            data[at:at + len(other)] = other
            db.write_bytes(bytes(data))
            return
    raise AssertionError(f"no index leaf page holds {needle!r}")


def test_the_backup_is_the_checked_file_and_validation_names_what_it_checked(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to=BEFORE, vehicles=400)
    before = db.read_bytes()
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate"))
    assert r.code == 0, r.out + r.err
    assert db_state(db)[0] == LATEST
    (backup,) = (tmp_path / "backups").glob("k-*.db")
    copy = backup.read_bytes()
    assert len(copy) == len(before) and copy[:18] + copy[20:] == before[:18] + before[20:]
    assert copy[18:20] == b"\x01\x01" and db_state(backup)[2] == ["ok"]
    assert not list((tmp_path / "backups").glob(".*partial*"))
    (scope,) = [f for f in json.loads(maintenance_runs(db)[-1]["findings"]) if f["code"] == "integrity_scope"]
    assert "pages changed since the verified backup" in scope["message"]
    assert "migratehistory" in scope["message"] and "vehicles" not in scope["message"].split("(pages")[0]
    assert "integrity_scope" in r.out


def test_a_damaged_index_refuses_the_run_before_any_backup_is_kept(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to=BEFORE, vehicles=400)
    damage_an_index(db, b"PL200", b"PL201")
    before = digest(db)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate"))
    assert r.code == 3, r.out + r.err
    assert "PRAGMA integrity_check" in one_line(r.err) and "nothing was changed" in one_line(r.err)
    assert digest(db) == before
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())


def test_damage_after_the_backup_in_a_table_the_migration_did_not_touch_fails_validation(kiosk_cli, tmp_path):
    # The damaged page differs from the backup's copy, so its table is checked in full after all.
    db = make_db(tmp_path / "k.db", to=BEFORE, vehicles=400)
    folder = tmp_path / "migrations"
    folder.mkdir()
    for f in FILES:
        (folder / f.path.name).write_text(f.path.read_text())
    (folder / "900_v99_0_0__damage.py").write_text(DAMAGE.format(db=str(db)))
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", env={"KIOSK_MIGRATIONS_DIR": str(folder)}))
    assert r.code == 1, r.out + r.err
    assert "validation after migrate" in one_line(r.err) and "PRAGMA integrity_check" in one_line(r.err)
    (backup,) = (tmp_path / "backups").glob("k-*.db")
    assert db_state(backup)[2] == ["ok"] and str(backup) in one_line(r.err)


# A test-only version that damages an index page of vehicles behind SQLite's back (as a bad disk
# write would), in a table none of its SQL touches.
DAMAGE = '''
"""99.0.0 - damages an index page of vehicles (test only)."""
VERSION = "99.0.0"


def _damage(database):
    path = {db!r}
    if database.database != path:  # the schema comparison runs this file on an in-memory database too
        return
    with open(path, "r+b") as fh:
        data = fh.read()
        for start in range(4096, len(data), 4096):
            page = data[start:start + 4096]
            if page[0] == 0x0A and b"PL300" in page:
                fh.seek(start + page.index(b"PL300"))
                fh.write(b"PL301")
                return
    raise AssertionError("no index page")


def migrate(migrator, database, fake=False):
    migrator.sql("CREATE TABLE scratch_note (id INTEGER PRIMARY KEY)")
    migrator.run(_damage, database)


def rollback(migrator, database, fake=False):
    migrator.sql("DROP TABLE scratch_note")
'''


def test_a_run_killed_while_it_copies_leaves_the_database_and_no_backup(tmp_path):
    db = make_db(tmp_path / "k.db", to=BEFORE, vehicles=2000)
    before = digest(db)
    marker = tmp_path / "copying"
    env = {**os.environ, "KILL_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, str(HERE / "kiosk_slow_copy.py"), "--db", str(db), "--maintenance", "migrate"],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(marker, proc, limit=120)
    finally:
        kill(proc)
    assert proc.returncode == -9
    assert list((tmp_path / "backups").glob(".*partial*"))  # half a copy, under a name no one takes for a backup
    version, _rows, integrity = db_state(db)
    assert version == BEFORE and integrity == ["ok"] and digest(db) == before
    proc = subprocess.run([sys.executable, "-m", "kiosk", "--db", str(db), "--maintenance", "migrate"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert db_state(db)[0] == LATEST
    assert not list((tmp_path / "backups").glob(".*partial*")) and len(list((tmp_path / "backups").glob("k-*.db"))) == 1
