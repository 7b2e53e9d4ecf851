"""A full disk (SQLite's page limit stands in for it) is said as such, in one line, with what to do:
nothing is half-written, nothing committed is lost, and a maintenance run keeps its record."""

from __future__ import annotations

import sqlite3

import pytest

import kiosk.db
from kiosk.booth import BoothError
from test_maint_support import make_db, one_line, run_main

pytestmark = pytest.mark.sqlite_only


def fill_up(database) -> None:
    """No page may be added to the database file from now on (this connection)."""
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")


def counts(database) -> tuple[int, int, int]:
    return tuple(database.execute_sql(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("vehicles", "stays", "payments"))


def test_register_and_pay_on_a_full_disk_say_disk_full_and_lose_nothing(booth, database, db_path):
    booth.add_spots("B1-B600", "car")
    parked = [booth.register(f"PA{i:03d}ID", "Jane Doe", "07400 123456", "car") for i in range(40)]
    fill_up(database)
    registered = 0
    with pytest.raises(BoothError) as caught:
        for i in range(600):
            booth.register(f"AB{i:03d}CD", "Jane Doe", "07400 123456", "car")
            registered += 1
    assert caught.value.message == (f"disk full: free space on the disk holding {db_path.parent} and try again; "
                                    "nothing was changed")
    assert counts(database)[:2] == (40 + registered, 40 + registered)
    paid = 0
    with pytest.raises(BoothError, match=r"^disk full: free space on the disk holding .* nothing was changed$"):
        for reg in parked:
            booth.pay(reg.stay_id, "card")
            paid += 1
    assert counts(database)[2] == paid
    database.execute_sql("PRAGMA max_page_count = 1073741823")  # space freed: the booth goes on
    booth.register("ZZ999ZZ", "Jane Doe", "07400 123456", "car")
    assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_expiry_on_a_full_disk_says_disk_full(booth, database, clock):
    booth.add_spots("B1-B600", "car")
    for i in range(300):
        reg = booth.register(f"AB{i:03d}CD", "Jane Doe", "07400 123456", "car")
        booth.pay(reg.stay_id, "card")
    clock.advance(hours=48)
    fill_up(database)
    before = database.execute_sql("SELECT COUNT(*) FROM vehicles WHERE purged_at IS NULL").fetchone()[0]
    with pytest.raises(BoothError, match=r"^disk full: free space on the disk holding .* nothing was changed$"):
        booth.expire(batch_size=1)
    after = database.execute_sql("SELECT COUNT(*) FROM vehicles WHERE purged_at IS NULL").fetchone()[0]
    assert 0 < after <= before  # whole batches only: each committed with its audit row, or not at all
    assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_migrate_on_a_full_disk_says_so_and_keeps_the_run_record(tmp_path, monkeypatch, capsys):
    db = make_db(tmp_path / "k.db", to="1.7.0", vehicles=2000)
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]
    monkeypatch.setitem(kiosk.db.SQLITE_PRAGMAS, "max_page_count", pages)
    code, out, err = run_main(["--db", str(db), "--maintenance", "migrate"], capsys)
    assert code == 1
    line = one_line(err)
    assert line.startswith(f"kiosk: error: disk full: free space on the disk holding {tmp_path} and try again")
    assert "cannot rollback" not in line and "database error" not in line
    conn = sqlite3.connect(db)
    (run,) = conn.execute("SELECT command, outcome, error FROM maintenance_runs").fetchall()
    assert run[:2] == ("migrate", "failed") and run[2].startswith("disk full: ")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM vehicles").fetchone()[0] == 2000
