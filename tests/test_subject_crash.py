"""An erasure killed (SIGKILL, a real subprocess) inside its transaction changes nothing; killed
after the commit, before the receipt files, it leaves only files, which the retry deletes. A booth
registering the plate during an erasure waits for it and makes a new row."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from dbcheck import assert_consistent, is_pg
from kiosk.booth import holds
from kiosk.models import Stay, Vehicle
from subject_support import NAME, NOTE, PLATE, build, log, traces

CHILD = textwrap.dedent("""
    import os, pathlib, signal, sys
    from kiosk.booth import HEADLESS, Booth
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    target, receipts, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    db = connect(resolve_target(target))
    if mode == "tx":  # inside the transaction: the rows are changed, the audit row is next, then the commit
        original = db.execute_sql
        def execute_sql(sql, *args, **kwargs):
            if sql.startswith('INSERT INTO "audit_logs"'):
                os.kill(os.getpid(), signal.SIGKILL)
            return original(sql, *args, **kwargs)
        db.execute_sql = execute_sql
    elif mode == "files":  # committed; killed at the first receipt file
        def unlink(self, *args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        pathlib.Path.unlink = unlink
    booth = Booth(db, FixedClock("2026-11-26 12:00:00"), receipts_dir=pathlib.Path(receipts), actor=HEADLESS)
    report = booth.erase_subject("ERA-K", plate=sys.argv[4])
    print("erased", len(report.vehicles), len(report.receipts), flush=True)
""")


def child(target, receipts, mode):
    return subprocess.run([sys.executable, "-c", CHILD, target.raw, str(receipts), mode, PLATE],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def world(booth, clock, tmp_path):
    booth.receipts_dir = tmp_path / "receipts"
    made = build(booth, clock)
    log("ERA-K", "erasure")
    return made


def test_killed_inside_the_transaction_changes_nothing(world, target, database, tmp_path):
    before = traces(database)
    proc = child(target, tmp_path / "receipts", "tx")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert traces(database) == before and Vehicle.get_by_id(world.vehicle_id).contact_name == NAME
    assert [s.note for s in Stay.select().where(Stay.note.is_null(False))] == [NOTE]
    assert all(p.exists() for p in world.receipts)
    assert_consistent(database)
    done = child(target, tmp_path / "receipts", "none")
    assert done.returncode == 0 and done.stdout.split() == ["erased", "1", "3"], done.stderr
    assert traces(database) == [] and not any(p.exists() for p in world.receipts)


def test_killed_between_the_commit_and_the_files_the_retry_deletes_them(world, target, database, tmp_path):
    proc = child(target, tmp_path / "receipts", "files")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert traces(database) == []  # committed whole
    assert all(p.exists() for p in world.receipts)  # the files outlive it, until the retry
    again = child(target, tmp_path / "receipts", "none")
    assert again.returncode == 0 and again.stdout.split() == ["erased", "0", "3"], again.stderr
    assert not any(p.exists() for p in world.receipts)
    assert_consistent(database)


def _waiting_on_a_lock(url: str) -> bool:
    """PostgreSQL: another session of this database waits for a lock (polled from a third one, bounded)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as watch:
        for _ in range(6000):
            if watch.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND wait_event_type = 'Lock'").fetchone()[0]:
                return True
            time.sleep(0.005)
    return False


def test_a_booth_registering_the_plate_during_an_erasure_gets_a_new_row(booth, world, database, target, monkeypatch):
    """The erasure holds the person's rows (PostgreSQL: locked; SQLite: the write lock) from its
    checks to its commit: a booth registering the plate meanwhile waits, then finds no such plate
    (it is '~<id>' now) and makes a new vehicle row; the erased one gets no new visit or data."""
    paused, go = threading.Event(), threading.Event()
    real = holds.held_vehicle_ids

    def slow(ctx, ids):
        paused.set()
        assert go.wait(60)
        return real(ctx, ids)

    monkeypatch.setattr(holds, "held_vehicle_ids", slow)
    log("ERA-C", "erasure")
    out: dict = {}
    eraser = threading.Thread(target=lambda: out.update(erased=booth.erase_subject("ERA-C", plate=PLATE)))
    eraser.start()
    assert paused.wait(60)
    booth_at_window = threading.Thread(target=lambda: out.update(reg=booth.register(PLATE, NAME, "07400 123457", "car")))
    booth_at_window.start()
    if is_pg(database):
        assert _waiting_on_a_lock(target.raw)  # the registration waits for the erasure's row lock
    go.set()
    eraser.join(60)
    booth_at_window.join(60)
    assert out["erased"].vehicles == (world.vehicle_id,)
    assert out["reg"].vehicle_id != world.vehicle_id
    old = Vehicle.get_by_id(world.vehicle_id)
    assert (old.number_plate, old.contact_name) == (f"~{world.vehicle_id}", "")
    assert Stay.select().where(Stay.vehicle == world.vehicle_id).count() == 4
    assert Vehicle.get_by_id(out["reg"].vehicle_id).number_plate == PLATE
    assert_consistent(database)
