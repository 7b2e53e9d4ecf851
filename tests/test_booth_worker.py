"""The expiry/archive worker on SQLite: booths announce themselves (<db>.intent), the worker hands the
write lock over to a waiting booth, and its connection settings (no fsync, own checkpoints) stay its own."""

import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from dbcheck import assert_consistent

from kiosk.backends import intent
from kiosk.booth import Booth, tx
from kiosk.clock import FixedClock
from kiosk.models import AuditLog, Stay, Vehicle
from staff_support import as_manager

pytestmark = pytest.mark.sqlite_only  # flock beside the file and PRAGMAs: PostgreSQL has row locks instead

PHONE = "07400 123456"
FUTURE = "2030-01-01 00:00:00"
N_OLD = 300
BOOTH_SETTINGS = {"synchronous": 2, "wal_autocheckpoint": 1000, "temp_store": 0}


def settings(db):
    return {name: db.execute_sql(f"PRAGMA {name}").fetchone()[0] for name in BOOTH_SETTINGS}


def until(condition, limit_s=30.0):
    """Wait for something another process or thread does (a hang fails the test; no time is asserted)."""
    give_up = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < give_up, "the other side never got there"
        time.sleep(0.002)


@pytest.fixture
def old_closed(database):
    """N_OLD closed stays from 2020, due for expiry at FUTURE; the default spots stay free."""
    with database.atomic():
        database.execute_sql(
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
            "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, payment_status) "
            "SELECT 'OLD' || i, 'Jane', '+447400123456', '2020-01-01 10:00:00', 'car', 'paid' FROM c", (N_OLD,))
        database.execute_sql(
            "INSERT INTO stays (vehicle_id, vehicle_type, entry_timestamp, exit_timestamp, status) "
            "SELECT id, 'car', entry_timestamp, '2020-01-01 12:00:00', 'paid' FROM vehicles")
    return database


def test_a_booth_announces_itself_for_its_whole_transaction_and_the_worker_does_not(database, db_path):
    probe = intent.Probe(database)
    seen = {}
    tx.write(database, lambda: seen.setdefault("booth", probe.booth_waiting()))
    tx.write(database, lambda: seen.setdefault("worker", probe.booth_waiting()), worker=True)
    assert seen == {"booth": True, "worker": False}
    assert not probe.booth_waiting()  # let go with the commit
    probe.close()
    assert (intent.intent_path(db_path).stat().st_mode & 0o777) == 0o600  # like <db>.presence


def test_a_worker_that_has_to_wait_for_the_lock_announces_itself_until_it_has_it(database, db_path):
    import sqlite3

    other = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    probe, result = intent.Probe(database), {}

    def worker():
        with database.connection_context():
            result["announced_inside"] = tx.write(database, probe.booth_waiting, worker=True)

    t = threading.Thread(target=worker)
    t.start()
    until(probe.booth_waiting)  # waiting: another worker would hand over to it
    other.execute("COMMIT")
    t.join(30)
    other.close()
    assert result == {"announced_inside": False} and not probe.booth_waiting()
    probe.close()


def test_a_booth_still_writes_when_the_intent_file_cannot_be_opened(database, clock, monkeypatch):
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".intent"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(intent.os, "open", refuse)
    reg = as_manager(Booth(database, clock)).register("AB12CDE", "Jane", PHONE, "car")
    assert Stay.get_by_id(reg.stay_id).status == "open"
    assert not intent.Probe(database).booth_waiting()


def test_the_worker_settings_stay_on_its_own_connection(old_closed, database):
    booth = as_manager(Booth(database, FixedClock(FUTURE)))
    before = settings(database)
    during = {}

    def progress(done, total):
        during["worker"] = settings(database)  # this thread: the worker's connection

        def other_thread():
            with database.connection_context():  # a booth thread: its own connection
                during["booth"] = settings(database)

        t = threading.Thread(target=other_thread)
        t.start()
        t.join(30)

    report = booth.expire(batch_size=100, progress=progress)
    assert report.rows == N_OLD and before == BOOTH_SETTINGS
    assert during["worker"] == {"synchronous": 1, "wal_autocheckpoint": 0, "temp_store": 0}
    assert during["booth"] == BOOTH_SETTINGS
    assert settings(database) == BOOTH_SETTINGS  # put back: the run's record was written with a full sync


@pytest.mark.parametrize("how", ["failed", "stopped"])
def test_the_worker_settings_are_put_back_when_a_run_fails_or_stops(old_closed, database, how):
    booth = as_manager(Booth(database, FixedClock(FUTURE)))

    def progress(done, total):
        raise RuntimeError("the progress bar broke")

    if how == "failed":
        with pytest.raises(RuntimeError):
            booth.expire(batch_size=100, progress=progress)
    else:
        assert booth.expire(batch_size=100, should_stop=lambda: bool(Vehicle.select().where(
            Vehicle.purged_at.is_null(False)).count())).status == "stopped"
    assert settings(database) == BOOTH_SETTINGS
    assert booth.last_runs()[0].status == how


WORKER = textwrap.dedent("""
    import os, sys, time
    from kiosk.booth import HEADLESS, Booth, pace
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    path, go = sys.argv[1], sys.argv[2]
    pace.TARGET_MS, pace.WAL_FRAMES = 10 ** 9, 10 ** 9  # alone, the first batch would take every row
    db = connect(resolve_target(path))
    original, seen = db.execute_sql, {"n": 0}
    def execute_sql(sql, *args, **kwargs):
        out = original(sql, *args, **kwargs)
        if sql.startswith("UPDATE vehicles"):
            seen["n"] += 1
            if seen["n"] == 1:  # inside the first batch, holding the write lock
                print("holding", flush=True)
                while not os.path.exists(go):
                    time.sleep(0.001)
        return out
    db.execute_sql = execute_sql
    report = Booth(db, FixedClock("%s"), actor=HEADLESS).expire()
    print("report", report.status, report.rows, report.batches, flush=True)
""" % FUTURE)

BOOTH = textwrap.dedent("""
    import sys
    from kiosk.booth import HEADLESS, Booth
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    reg = Booth(connect(resolve_target(sys.argv[1])), FixedClock("%s"), actor=HEADLESS).register("NEW1AAA", "Jane", "07400 123456", "car")
    print("registered", reg.stay_id, flush=True)
""" % FUTURE)


def run_worker_with(db_path, go, booth_arrives: bool, script: str = WORKER):
    """`script` holds the lock ('holding') until `go` exists; a booth, if it arrives, is waiting by then."""
    worker = subprocess.Popen([sys.executable, "-c", script, str(db_path), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "holding", worker.stderr.read()
        booth = None
        if booth_arrives:
            booth = subprocess.Popen([sys.executable, "-c", BOOTH, str(db_path)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            probe = intent.Probe(connect_for_probe(db_path))
            until(probe.booth_waiting)  # the booth is refused the lock and waits, announced
            probe.close()
        go.touch()
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        if booth is not None:
            b_out, b_err = booth.communicate(timeout=120)
            assert booth.returncode == 0 and b_out.startswith("registered"), b_err
        return out.split()[-4:]  # status rows batches
    finally:
        for p in (worker,):
            if p.poll() is None:
                p.kill()


def connect_for_probe(db_path):
    import peewee

    return peewee.SqliteDatabase(str(db_path))


def test_a_waiting_booth_makes_the_worker_commit_and_let_it_in(old_closed, database, db_path, tmp_path):
    as_manager(Booth(database)).update_config(expiry_batch_size=20)  # the first statement: 20 rows
    database.close()
    status, rows, batches = run_worker_with(db_path, tmp_path / "go", booth_arrives=True)[1:]
    assert (status, rows) == ("done", str(N_OLD)) and int(batches) >= 2
    database.connect(reuse_if_open=True)
    expire_rows = [a.id for a in AuditLog.select().where(AuditLog.action == "expire").order_by(AuditLog.id)]
    entry = AuditLog.get(AuditLog.action == "entry").id
    assert expire_rows[0] < entry < expire_rows[1]  # the booth wrote between the first two batches
    assert Vehicle.select().where(Vehicle.purged_at.is_null(False)).count() == N_OLD
    assert Vehicle.get(Vehicle.number_plate == "NEW1AAA").purged_at is None
    assert_consistent(database)


def test_without_a_booth_the_same_run_is_one_batch(old_closed, database, db_path, tmp_path):
    """The control of the test above: the handover, not the pace, split the batch."""
    as_manager(Booth(database)).update_config(expiry_batch_size=20)
    database.close()
    status, rows, batches = run_worker_with(db_path, tmp_path / "go", booth_arrives=False)[1:]
    assert (status, rows, batches) == ("done", str(N_OLD), "1")


# Each vehicle the purge rewrites calls slow(id), inside the purge statement: a trigger on the
# worker's own connection (TEMP), so the test needs nothing from the worker's SQL text.
SLOW_PURGE = ("CREATE TEMP TRIGGER slow_purge BEFORE UPDATE OF purged_at ON vehicles "
              "BEGIN SELECT slow(OLD.id); END")

# The worker's first purge statement calls slow() for each row; the first call blocks until `go`
# exists, so the worker is *inside* a statement, holding the write lock, when the booth arrives.
INSIDE = textwrap.dedent("""
    import os, sys, time
    from kiosk.booth import HEADLESS, Booth
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    path, go = sys.argv[1], sys.argv[2]
    db = connect(resolve_target(path))
    seen = {"n": 0}
    def slow(_):
        seen["n"] += 1
        if seen["n"] == 1:
            print("holding", flush=True)
            while not os.path.exists(go):
                time.sleep(0.001)
        return 1
    db.connection().create_function("slow", 1, slow)
    db.execute_sql(%r)
    report = Booth(db, FixedClock(%r), actor=HEADLESS).expire()
    print("report", report.status, report.rows, report.batches, flush=True)
""" % (SLOW_PURGE, FUTURE))


@pytest.mark.parametrize("booth_arrives", [True, False])
def test_a_booth_that_starts_waiting_mid_statement_interrupts_the_batch(old_closed, database, db_path, tmp_path,
                                                                       booth_arrives):
    as_manager(Booth(database)).update_config(expiry_batch_size=N_OLD)  # the first statement would take every row
    database.close()
    status_rows_batches = run_worker_with(db_path, tmp_path / "go", booth_arrives, script=INSIDE)[1:]
    assert status_rows_batches[:2] == ["done", str(N_OLD)]
    database.connect(reuse_if_open=True)
    expire_rows = [a.id for a in AuditLog.select().where(AuditLog.action == "expire")]
    assert sum(1 for _ in expire_rows) >= 1
    if booth_arrives:  # the batch under way was rolled back for the booth, and done again after it
        assert AuditLog.get(AuditLog.action == "entry").id < min(expire_rows)
        assert Vehicle.get(Vehicle.number_plate == "NEW1AAA").purged_at is None
    else:
        assert status_rows_batches[2] == "1"
    assert Vehicle.select().where(Vehicle.purged_at.is_null(False)).count() == N_OLD
    assert_consistent(database)


def test_in_one_process_the_worker_thread_hands_over_to_a_booth_thread(old_closed, database):
    """The terminal's case: the background worker and the booth's screens share a process (and the
    peewee database), each thread with its own connection and its own open intent file."""
    as_manager(Booth(database)).update_config(expiry_batch_size=N_OLD)
    holding, go, out = threading.Event(), threading.Event(), {}

    def slow(_):
        if not holding.is_set():
            holding.set()  # inside the worker's first statement, holding the write lock
            go.wait(30)
        return 1

    def worker():
        with database.connection_context():
            database.connection().create_function("slow", 1, slow)
            database.execute_sql(SLOW_PURGE)
            out["report"] = as_manager(Booth(database, FixedClock(FUTURE))).expire()

    def booth():
        with database.connection_context():
            out["reg"] = as_manager(Booth(database, FixedClock(FUTURE))).register("NEW1AAA", "Jane", PHONE, "car")

    database.close()  # this thread's connection: the two threads open their own
    w = threading.Thread(target=worker)
    w.start()
    assert holding.wait(30)
    b = threading.Thread(target=booth)
    b.start()
    probe = intent.Probe(database)
    until(probe.booth_waiting)
    probe.close()
    go.set()
    b.join(60)
    w.join(60)
    assert out["report"].status == "done" and out["report"].rows == N_OLD
    database.connect(reuse_if_open=True)
    entry = AuditLog.get(AuditLog.action == "entry").id
    assert entry < min(a.id for a in AuditLog.select().where(AuditLog.action == "expire"))  # the batch gave way
    assert Stay.get_by_id(out["reg"].stay_id).status == "open"


@pytest.mark.parametrize("stalls", [2, 10])
def test_a_batch_that_overruns_is_done_again_smaller_and_a_slow_disk_still_makes_progress(
        old_closed, database, monkeypatch, stalls):
    """A statement stuck on a slow read (here: a row whose check sleeps, as a stalled disk would) is
    rolled back and redone, so no transaction nears the 100 ms bound; if it keeps stalling, the
    guard gives up after a few tries in a row and lets the batch through."""
    from kiosk.booth import pace, worker_session

    monkeypatch.setattr(worker_session, "OVERRUN_S", 0.02)
    first = Vehicle.select(Vehicle.id).order_by(Vehicle.id).first().id
    calls = {"stalled": 0, "retried": 0}

    def slow(vid):
        if vid == first and calls["stalled"] < stalls:
            calls["stalled"] += 1
            time.sleep(0.05)  # longer than OVERRUN_S: the guard fires on the next progress call
        return 1

    real = pace.Pace.interrupted
    monkeypatch.setattr(pace.Pace, "interrupted", lambda self: calls.__setitem__("retried", calls["retried"] + 1)
                        or real(self))
    database.connection().create_function("slow", 1, slow)
    database.execute_sql(SLOW_PURGE)
    as_manager(Booth(database)).update_config(expiry_batch_size=N_OLD)
    report = as_manager(Booth(database, FixedClock(FUTURE))).expire()
    assert (report.status, report.rows) == ("done", N_OLD)
    assert calls["retried"] == min(stalls, worker_session.OVERRUNS_IN_A_ROW)
    assert Vehicle.select().where(Vehicle.purged_at.is_null()).count() == 0
    counts = [json.loads(a.details)["count"] for a in AuditLog.select().where(AuditLog.action == "expire")]
    assert sum(counts) == N_OLD  # every batch's audit row tells its own rows: none counted twice
    assert_consistent(database)
