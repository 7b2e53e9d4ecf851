"""Several booths (real processes, one connection each) registering into one database until it is full.

The SQLite lock-handling tests are SQLite's; PostgreSQL's are in test_pg_concurrency.py."""

import json
import subprocess
import sys
import textwrap
import time

import peewee
import pytest
from dbcheck import assert_consistent

from kiosk.booth import Booth, BoothError
from kiosk.backends import sqlite as sqlite_backend
from kiosk.booth import tx
from kiosk.models import AuditLog, ParkingSpot, Stay
from staff_support import as_manager

PROCS, EXTRA = 4, "C001-C270"  # 30 default car spots + 270 = 300

CHILD = textwrap.dedent("""
    import json, os, sys, time
    from kiosk.booth import HEADLESS, Booth, BoothError
    from kiosk.db import connect, resolve_target
    path, name, go = sys.argv[1], sys.argv[2], sys.argv[3]
    booth = Booth(connect(resolve_target(path)), booth_name=name, actor=HEADLESS)
    booth.free_counts()  # connected and warm before saying so
    open(go + "." + name, "w").close()
    while not os.path.exists(go):  # start together: a registration takes ~1 ms, a process start ~300
        time.sleep(0.0005)
    done, i = [], 0
    while True:
        try:
            reg = booth.register(f"{name}{i:03d}", "Jane Doe", "07400 123456", "car")
        except BoothError as exc:
            if "full" in str(exc):
                break
            print(json.dumps({"error": str(exc)}), flush=True)
            sys.exit(1)
        done.append([reg.plate, reg.spot, reg.stay_id])
        i += 1
    print(json.dumps({"done": done}), flush=True)
""")


@pytest.mark.slow
def test_no_double_booking_no_lost_registration(database, target, tmp_path):
    booth = as_manager(Booth(database))
    booth.add_spots(EXTRA, "car")
    capacity = booth.free_counts()["car"][0]
    database.close()
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, target.raw, f"P{k}X", str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(PROCS)]
    ready = [tmp_path / f"go.P{k}X" for k in range(PROCS)]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready):  # every booth imported and connected
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.poll() for p in procs]
        time.sleep(0.01)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
        assert "locked" not in err and "Traceback" not in err and "psycopg" not in err
        results.append(json.loads(out)["done"])
    regs = [r for rs in results for r in rs]
    assert len(regs) == capacity  # every spot given, none twice
    assert len({spot for _, spot, _ in regs}) == capacity
    assert sum(1 for rs in results if rs) >= 2  # the booths really competed
    database.connect(reuse_if_open=True)
    open_stays = {(s.vehicle.number_plate, s.spot_number, s.id) for s in Stay.select().where(Stay.status == "open")}
    assert open_stays == {tuple(r) for r in regs}  # no registration lost or invented
    free_cars = ParkingSpot.select().where((ParkingSpot.vehicle_type == "car") & (ParkingSpot.is_occupied == False))  # noqa: E712
    assert free_cars.count() == 0
    assert AuditLog.select().where(AuditLog.action == "entry").count() == capacity
    assert_consistent(database)


@pytest.mark.sqlite_only  # SQLite's "database is locked"; PostgreSQL's conflicts: test_pg_concurrency.py
def test_a_locked_database_is_retried_not_reported(database, clock, monkeypatch):
    booth = as_manager(Booth(database, clock))
    real_atomic = database.atomic
    failures = {"left": 3}

    def flaky_atomic(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise peewee.OperationalError("database is locked")
        return real_atomic(*args, **kwargs)

    monkeypatch.setattr(database, "atomic", flaky_atomic)
    monkeypatch.setattr(sqlite_backend.time, "sleep", lambda s: None)
    reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
    assert reg.spot == "A01" and failures["left"] == 0
    assert Stay.select().count() == 1


@pytest.mark.sqlite_only  # SQLite's "database is locked"; PostgreSQL's lock timeout: test_pg_concurrency.py
def test_a_database_locked_for_good_gives_a_booth_error(database, clock, monkeypatch):
    booth = as_manager(Booth(database, clock))
    monkeypatch.setattr(tx, "DEADLINE_S", 0.05)
    monkeypatch.setattr(database, "atomic", lambda *a, **k: (_ for _ in ()).throw(peewee.OperationalError("database is locked")))
    with pytest.raises(BoothError) as err:
        booth.register("AB12CDE", "Jane", "07400 123456", "car")
    assert "busy" in str(err.value) and "nothing was changed" in str(err.value)
    assert Stay.select().count() == 0


@pytest.mark.sqlite_only  # BEGIN IMMEDIATE and busy_timeout are SQLite's; PostgreSQL's: test_pg_concurrency.py
def test_a_write_waits_for_another_connections_lock_then_succeeds(database, db_path, clock):
    """A real second connection holds the write lock; the booth waits (busy_timeout 0 + own polling) and wins."""
    import sqlite3
    import threading

    booth = as_manager(Booth(database, clock))
    other = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release():
        released.wait()
        other.execute("COMMIT")

    t = threading.Thread(target=release)
    t.start()
    real_sleep = sqlite_backend.time.sleep
    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 3:
            released.set()  # let the other writer finish once the booth has been refused a few times
        real_sleep(seconds)

    sqlite_backend.time.sleep = sleep
    try:
        reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
    finally:
        sqlite_backend.time.sleep = real_sleep
        released.set()
        t.join()
        other.close()
    assert reg.spot == "A01" and len(polls) >= 3
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000  # restored
