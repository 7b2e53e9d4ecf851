"""The parallel integrity check (kiosk.maintenance.sites.sqlite_check) finds what SQLite's own whole-file
PRAGMA integrity_check finds, on damage made by hand; the check `since` a verbatim copy checks what
changed and nothing it needs less; the verbatim copy (kiosk.maintenance.sites.sqlite_copy) is the file's bytes."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.maintenance.sites import sqlite_check, sqlite_copy

pytestmark = pytest.mark.sqlite_only

PAGE = 4096


def build(path: Path, *, wal: bool = False) -> Path:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA page_size={PAGE}")
    con.execute("PRAGMA journal_mode=" + ("wal" if wal else "delete"))
    con.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    con.execute("CREATE INDEX big_label ON big(label)")
    con.execute("CREATE TABLE small (id INTEGER PRIMARY KEY, note TEXT)")
    con.execute("CREATE TABLE gone (id INTEGER PRIMARY KEY, blob TEXT)")
    con.execute("BEGIN")
    con.executemany("INSERT INTO big (label) VALUES (?)", [(f"label-{i:06d}-" + "x" * 40,) for i in range(3000)])
    con.executemany("INSERT INTO small (note) VALUES (?)", [(f"note {i}",) for i in range(10)])
    con.executemany("INSERT INTO gone (blob) VALUES (?)", [("y" * 500,) for _ in range(200)])
    con.execute("COMMIT")
    con.execute("DROP TABLE gone")  # its pages go to the freelist
    con.close()
    return path


def sqlite_says(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()


def root(path: Path, name: str) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (name,)).fetchone()[0]
    finally:
        con.close()


def poke(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def page_of(path: Path, pageno: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek((pageno - 1) * PAGE)
        return fh.read(PAGE)


def damage(path: Path, kind: str) -> None:
    if kind == "index entry changed":  # a label in an index leaf no longer matches its row
        for p in range(2, path.stat().st_size // PAGE + 1):
            page = page_of(path, p)
            if page[0] == 0x0A and b"label-000500-" in page:  # an index leaf page
                at = page.index(b"label-000500-")
                poke(path, (p - 1) * PAGE + at, b"label-000501-")
                return
        raise AssertionError("no index leaf holds label 500")
    if kind == "freelist count wrong":
        with open(path, "rb") as fh:
            count = int.from_bytes(fh.read(40)[36:40], "big")
        poke(path, 36, (count + 1).to_bytes(4, "big"))
    elif kind == "pages never used":  # the freelist forgotten: its pages belong to nothing
        poke(path, 32, b"\0" * 8)
    elif kind == "freelist holds a table page":
        with open(path, "rb") as fh:
            trunk = int.from_bytes(fh.read(36)[32:36], "big")
        leaves = int.from_bytes(page_of(path, trunk)[4:8], "big")
        assert leaves > 0
        poke(path, (trunk - 1) * PAGE + 8, root(path, "small").to_bytes(4, "big"))
    elif kind == "two tables share a page":  # big's right-most child is now small's root page
        r = root(path, "big")
        assert page_of(path, r)[0] == 0x05, "big's root must be an interior page"
        poke(path, (r - 1) * PAGE + 8, root(path, "small").to_bytes(4, "big"))
    else:
        raise AssertionError(kind)


KINDS = ["index entry changed", "freelist count wrong", "pages never used", "freelist holds a table page",
         "two tables share a page"]


def test_a_sound_file_passes_both_checks_and_every_table_is_checked(tmp_path):
    db = build(tmp_path / "a.db")
    report = sqlite_check.check(db)
    assert sqlite_says(db) == ["ok"] and report.ok, report.problems
    assert set(report.tables_checked) == {"big", "small", "sqlite_schema"}
    assert report.pages == db.stat().st_size // PAGE


@pytest.mark.parametrize("kind", KINDS)
def test_damage_sqlite_finds_is_found(tmp_path, kind):
    db = build(tmp_path / "a.db")
    damage(db, kind)
    assert sqlite_says(db) != ["ok"]  # the damage is real
    report = sqlite_check.check(db)
    assert not report.ok
    assert report.problems and all(isinstance(p, str) and p for p in report.problems)


def test_the_accounting_names_the_page_two_trees_share(tmp_path):
    db = build(tmp_path / "a.db")
    damage(db, "two tables share a page")
    con = sqlite_check.connect(db)
    try:
        found = sqlite_check.account(con, db).problems
    finally:
        con.close()
    assert f"2nd reference to page {root(db, 'small')}" in " ".join(found)


def test_a_file_whose_wal_holds_pages_gets_sqlites_own_whole_check(tmp_path):
    db = build(tmp_path / "a.db", wal=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("INSERT INTO small (note) VALUES ('in the wal only')")
    assert (tmp_path / "a.db-wal").stat().st_size > 0
    report = sqlite_check.check(db)
    con.close()
    assert report.ok and report.tables_checked == ["(whole file)"]


# ------------------------------------------------------------------------------ since a verbatim copy
def copy_of(db: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    backup = tmp_path / "backup.db"
    shutil.copyfile(db, backup)
    con = sqlite_check.connect(backup)
    try:
        return backup, sqlite_check.definitions(con)
    finally:
        con.close()


def test_since_a_copy_only_tables_whose_pages_or_definition_changed_are_checked(tmp_path):
    db = build(tmp_path / "a.db")
    backup, before = copy_of(db, tmp_path)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("INSERT INTO small (note) VALUES ('new')")
    con.close()
    report = sqlite_check.check(db, since=backup, since_definitions=before)
    assert report.ok and report.tables_checked == ["small", "sqlite_schema"] and report.pages_changed >= 1

    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE fresh (id INTEGER PRIMARY KEY)")
    con.close()
    report = sqlite_check.check(db, since=backup, since_definitions=before)
    assert set(report.tables_checked) == {"small", "fresh", "sqlite_schema"}


def test_since_a_copy_damage_to_a_table_the_change_did_not_touch_is_still_found(tmp_path):
    # Its damaged page differs from the copy's: the table counts as changed and gets its full check.
    db = build(tmp_path / "a.db")
    backup, before = copy_of(db, tmp_path)
    damage(db, "index entry changed")
    report = sqlite_check.check(db, since=backup, since_definitions=before)
    assert not report.ok and "big" in report.tables_checked


@pytest.mark.parametrize("kind", ["pages never used", "freelist holds a table page", "two tables share a page"])
def test_since_a_copy_the_whole_files_accounting_still_runs(tmp_path, kind):
    db = build(tmp_path / "a.db")
    backup, before = copy_of(db, tmp_path)
    damage(db, kind)
    assert not sqlite_check.check(db, since=backup, since_definitions=before).ok


# ------------------------------------------------------------------------------ the verbatim copy
def test_the_checked_copy_is_the_files_bytes_as_a_standalone_file_with_its_counts(tmp_path):
    db = build(tmp_path / "a.db", wal=True)
    keep = sqlite3.connect(db, isolation_level=None)  # a live connection with unwritten WAL frames
    keep.execute("PRAGMA wal_autocheckpoint=0")
    keep.execute("INSERT INTO small (note) VALUES ('only in the wal')")
    seen = []
    pending = sqlite_copy.checked_copy(db, tmp_path / ".copy.partial", lambda done, total: seen.append((done, total)))
    try:
        assert pending.report.ok and pending.counts == {"big": 3000, "small": 11}
        assert pending.pin is not None and pending.still_current()
        a, b = db.read_bytes(), pending.tmp.read_bytes()
        assert len(a) == len(b) and a[:18] + a[20:] == b[:18] + b[20:]  # the WAL's row is in the file now
        assert (a[18], a[19], b[18], b[19]) == (2, 2, 1, 1)
        assert seen[-1][0] == seen[-1][1] == len(a)
        assert (pending.tmp.stat().st_mode & 0o777) == 0o600
    finally:
        pending.close()
    copy = sqlite3.connect(pending.tmp)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT COUNT(*) FROM small").fetchone()[0] == 11
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    keep.close()


def test_a_write_after_the_copy_makes_it_stale_and_a_damaged_file_is_reported(tmp_path):
    db = build(tmp_path / "a.db", wal=True)
    pending = sqlite_copy.checked_copy(db, tmp_path / ".copy.partial")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("INSERT INTO small (note) VALUES ('late')")  # reaches the WAL only: the file is pinned
    assert not pending.still_current()
    con.close()
    pending.close()
    assert not pending.still_current()  # unpinned, nothing says the file is as copied
    pending.discard()
    assert not pending.tmp.exists()

    bad = build(tmp_path / "b.db")
    damage(bad, "index entry changed")
    pending = sqlite_copy.checked_copy(bad, tmp_path / ".bad.partial")
    assert not pending.report.ok
    pending.discard()
    assert not pending.tmp.exists()


def test_no_copy_while_a_reader_keeps_the_wal_from_being_emptied(tmp_path):
    db = build(tmp_path / "a.db", wal=True)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO small (note) VALUES ('x')")
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM small").fetchone()
    writer.execute("INSERT INTO small (note) VALUES ('y')")  # past the reader's snapshot: not checkpointable
    with pytest.raises(sqlite_copy.Unusable):
        sqlite_copy.checked_copy(db, tmp_path / ".copy.partial")
    assert not (tmp_path / ".copy.partial").exists()
    reader.close()
    writer.close()
