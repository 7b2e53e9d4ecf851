"""tx.write on PostgreSQL against the server's own errors: conflicts re-run the whole transaction,
a real deadlock, lock waits bounded by the deadline, a lost connection. Never a raw database error."""

from __future__ import annotations

import threading
import time

import peewee as pw
import psycopg
import pytest

from kiosk.backends import postgresql
from kiosk.booth import Booth, BoothError, tx
from kiosk.booth import entry as booth_entry
from kiosk.models import AuditLog, ParkingSpot, Stay, Vehicle
from staff_support import as_manager

pytestmark = pytest.mark.postgres_only

PHONE = "07400 123456"


def _raise_sqlstate(db, state):
    """Have the server itself raise an error with this SQLSTATE (as a conflict would)."""
    db.execute_sql(f"DO $$ BEGIN RAISE EXCEPTION 'simulated conflict' USING ERRCODE = '{state}'; END $$")


@pytest.mark.parametrize("state", ["40001", "40P01", "55P03", "23505"])
def test_a_conflict_reported_by_the_server_reruns_the_whole_transaction(database, clock, monkeypatch, state):
    """Serialization failure, deadlock, lock timeout, a concurrent unique insert: the first
    attempt (spot taken, rows written) is undone and the registration runs again."""
    booth = as_manager(Booth(database, clock))
    real_assign = booth_entry.assign
    calls = []

    def assign_then_conflict(*args):
        spot = real_assign(*args)
        calls.append(spot)
        if len(calls) == 1:
            _raise_sqlstate(database, state)
        return spot

    monkeypatch.setattr(booth_entry, "assign", assign_then_conflict)
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    assert calls == ["A01", "A01"]  # the first attempt's spot was given back with its rollback
    assert reg.spot == "A01"
    assert Stay.select().count() == 1 and Vehicle.select().count() == 1
    assert AuditLog.select().where(AuditLog.action == "entry").count() == 1
    assert ParkingSpot.select().where(ParkingSpot.is_occupied == True).count() == 1  # noqa: E712


def test_a_unique_violation_that_is_no_race_is_not_retried_forever(database, clock):
    attempts = []

    def always():
        attempts.append(1)
        _raise_sqlstate(database, "23505")

    with pytest.raises(pw.IntegrityError):
        tx.write(database, always)
    assert len(attempts) == postgresql.UNIQUE_RETRIES


def test_conflicts_past_the_deadline_give_a_booth_error(database, clock, monkeypatch):
    booth = as_manager(Booth(database, clock))
    monkeypatch.setattr(tx, "DEADLINE_S", 0.2)
    monkeypatch.setattr(booth_entry, "assign", lambda *a: _raise_sqlstate(database, "40001"))
    with pytest.raises(BoothError) as err:
        booth.register("AB12CDE", "Jane", PHONE, "car")
    assert "busy" in str(err.value) and "nothing was changed" in str(err.value)
    assert Stay.select().count() == 0 and Vehicle.select().count() == 0


def _other(target):
    conn = psycopg.connect(target.raw, autocommit=False)
    conn.execute("SET application_name = 'kiosk:other-booth:1'")
    return conn


def _wait_until_waiting_on_lock(watch, pid, timeout=30.0):
    """Poll (from a third session) until backend `pid` waits for a lock."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        row = watch.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.005)
    return False


def test_a_real_deadlock_is_retried(database, target):
    """Two sessions lock two spots in opposite order; the server aborts the booth's side
    (its deadlock check runs first), tx.write runs it again, and it succeeds."""
    database.execute_sql("SET deadlock_timeout = '20ms'")  # the booth's session detects the cycle first
    other, watch = _other(target), psycopg.connect(target.raw, autocommit=True)
    other.execute("SET deadlock_timeout = '60s'")
    other_pid = other.info.backend_pid
    attempts = []
    ready = threading.Event()

    def other_side():
        other.execute("UPDATE parking_spots SET updated_at = '2026-01-01 00:00:00' WHERE spot_number = 'A02'")
        ready.set()
        other.execute("UPDATE parking_spots SET updated_at = '2026-01-01 00:00:00' WHERE spot_number = 'A01'")
        other.commit()

    def booth_side():
        attempts.append(1)
        ParkingSpot.update(is_occupied=True).where(ParkingSpot.spot_number == "A01").execute()
        if len(attempts) == 1:
            thread.start()
            assert ready.wait(30) and _wait_until_waiting_on_lock(watch, other_pid)
        ParkingSpot.update(is_occupied=True).where(ParkingSpot.spot_number == "A02").execute()
        return "done"

    thread = threading.Thread(target=other_side)
    try:
        assert tx.write(database, booth_side) == "done"
    finally:
        thread.join(30)
        other.close()
        watch.close()
    assert len(attempts) == 2
    occupied = {s.spot_number for s in ParkingSpot.select().where(ParkingSpot.is_occupied == True)}  # noqa: E712
    assert occupied == {"A01", "A02"}


def test_a_write_waits_for_another_sessions_lock_then_succeeds(database, target, clock):
    booth = as_manager(Booth(database, clock))
    pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    other, watch = _other(target), psycopg.connect(target.raw, autocommit=True)
    other.execute("LOCK TABLE stays IN SHARE ROW EXCLUSIVE MODE")  # reads go on, inserts wait
    seen = {}

    def release():
        seen["waited"] = _wait_until_waiting_on_lock(watch, pid)
        other.commit()

    thread = threading.Thread(target=release)
    thread.start()
    try:
        reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    finally:
        thread.join(30)
        other.close()
        watch.close()
    assert seen["waited"] and reg.spot == "A01"
    assert Stay.select().count() == 1


def test_a_lock_held_for_good_gives_a_booth_error_and_changes_nothing(database, target, clock, monkeypatch):
    booth = as_manager(Booth(database, clock))
    monkeypatch.setattr(tx, "DEADLINE_S", 0.3)
    other = _other(target)
    other.execute("LOCK TABLE stays IN SHARE ROW EXCLUSIVE MODE")
    try:
        with pytest.raises(BoothError) as err:
            booth.register("AB12CDE", "Jane", PHONE, "car")
    finally:
        other.rollback()
        other.close()
    assert "busy" in str(err.value) and "nothing was changed" in str(err.value)
    assert Stay.select().count() == 0 and Vehicle.select().count() == 0
    assert not ParkingSpot.select().where(ParkingSpot.is_occupied == True).exists()  # noqa: E712
    assert booth.register("AB12CDE", "Jane", PHONE, "car").spot == "A01"  # and the booth works on


@pytest.mark.parametrize("when", ["idle", "in_transaction"])
def test_a_lost_connection_is_a_booth_error_and_the_next_call_reconnects(database, target, clock, monkeypatch, when):
    booth = as_manager(Booth(database, clock))
    booth.register("AB12CDE", "Jane", PHONE, "car")
    admin = psycopg.connect(target.raw, autocommit=True)
    pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]

    def terminate():
        # pg_terminate_backend only signals: wait (bounded) until the session is really gone.
        assert admin.execute("SELECT pg_terminate_backend(%s, 30000)", (pid,)).fetchone()[0]

    if when == "idle":
        terminate()
    else:  # the server goes away in the middle of a registration
        real_assign = booth_entry.assign

        def cut(*args):
            terminate()
            return real_assign(*args)

        monkeypatch.setattr(booth_entry, "assign", cut)
    with pytest.raises(BoothError) as err:
        booth.register("XY34ZZZ", "Jim", PHONE, "car")
    assert "connection to the database server was lost" in str(err.value)
    monkeypatch.undo()
    reg = booth.register("XY34ZZZ", "Jim", PHONE, "car")  # a fresh connection, nothing half-done
    assert reg.spot == "A02"
    assert Stay.select().count() == 2
    admin.close()


