"""Any file name the file system allows names exactly that database, in every command.

SQLite URIs end the path at '?' or '#' and percent-decode it: a name built into a
`file:` URI unescaped opened another (empty) file, and a backup of that was
"verified". The real CLI runs in a subprocess on each hostile name.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from kiosk.db import sqlite_uri
from kiosk.maintenance import backup as backups
from test_maint_support import FILES, LATEST, no_traceback

PREVIOUS = FILES[-2].version_text

pytestmark = pytest.mark.sqlite_only

HOSTILE = {
    "space": "my site.db",
    "hash": "site#1.db",
    "question": "what?.db",
    "percent": "100%.db",
    "percent-escape": "site%231.db",  # decoded once, it would read 'site#1.db'
    "newline": "two\nlines.db",
    "non-ascii": "café-Zürich-駐車.db",
}


def plates(path: Path) -> list[str]:
    conn = sqlite3.connect(path)  # a plain path, never a URI: the file itself
    try:
        return sorted(r[0] for r in conn.execute("SELECT number_plate FROM vehicles"))
    finally:
        conn.close()


@pytest.fixture(params=sorted(HOSTILE), ids=sorted(HOSTILE))
def hostile_db(request, tmp_path) -> Path:
    folder = tmp_path / "booth #2 ?%"  # the folder's name is hostile too
    folder.mkdir()
    return folder / HOSTILE[request.param]


def test_every_command_works_on_exactly_that_file(kiosk_cli, hostile_db):
    db, folder = hostile_db, hostile_db.parent

    def kiosk(*args):
        return no_traceback(kiosk_cli("--db", str(db), "--maintenance", *args))

    r = kiosk("migrate")
    assert r.code == 0, r.err
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES ('AB12CDE', 'Jane', '+447400123456')")
    conn.commit()
    conn.close()

    r = kiosk("status", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["schema_version"] == LATEST

    r = kiosk("backup", "--json")
    assert r.code == 0, r.err
    info = json.loads(r.out)
    assert info["rows"]["vehicles"] == 1 and info["rows"]["migratehistory"] >= 9
    backup_file = Path(info["path"])
    assert backup_file.parent == folder / "backups" and backup_file.name.startswith(db.stem + "-")
    assert plates(backup_file) == ["AB12CDE"]
    assert backups.list_backups(db) == [backup_file]

    # Down one version and up again: each change first takes a verified backup of this file (the
    # rollback removes no row or value here: no shift was ever opened, so nothing is exported).
    for args in (("rollback", "--to", PREVIOUS, "--allow-data-loss"), ("migrate",)):
        r = kiosk(*args)
        assert r.code == 0, r.err
    assert f"applying {LATEST}" in r.out and "verified" in r.out
    assert len(backups.list_backups(db)) == 3
    assert all(plates(p) == ["AB12CDE"] for p in backups.list_backups(db))

    r = kiosk("check")
    assert r.code == 0, r.out + r.err
    r = kiosk("stats", "--json")
    assert r.code in (0, 4), r.err
    assert json.loads(r.out)["schema_version"] == LATEST

    # Nothing but the database and its own files: no `site`, no `backups/.site`.
    strays = [p.name for p in folder.iterdir() if p.name != "backups" and not p.name.startswith(db.name)]
    assert strays == []
    # ...and in backups/, only the backups.
    kept = sorted(p.name for p in (folder / "backups").iterdir())
    assert kept == sorted(p.name for p in backups.list_backups(db))
    assert plates(db) == ["AB12CDE"]


@pytest.mark.parametrize("name", sorted(HOSTILE.values()), ids=sorted(HOSTILE))
def test_sqlite_uri_names_exactly_the_file(tmp_path, name):
    path = tmp_path / "a ?#%" / name
    path.parent.mkdir()
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
    try:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
        assert os.path.samefile(conn.execute("PRAGMA database_list").fetchone()[2], path)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("CREATE TABLE u (x)")
    finally:
        conn.close()
    assert sorted(os.listdir(path.parent)) == [name]


def test_a_copy_with_no_rows_where_the_database_has_rows_fails_verification(tmp_path):
    source = tmp_path / "k.db"
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE vehicles (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO vehicles DEFAULT VALUES")
    conn.commit()
    conn.close()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE vehicles (id INTEGER PRIMARY KEY)").connection.close()
    # Counts read from the wrong (empty) file agree with the empty copy: only the database's own rows tell.
    with pytest.raises(backups.BackupFailed, match="no rows in vehicles where the database has 1"):
        backups.verify_copy(empty, {"vehicles": 0}, source={"vehicles": 1})
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).execute("PRAGMA user_version = 1").connection.close()
    with pytest.raises(backups.BackupFailed, match="no rows in vehicles"):
        backups.verify_copy(blank, {}, source={"vehicles": 1})
