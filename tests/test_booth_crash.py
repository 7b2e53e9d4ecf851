"""Expiry and archiving killed mid-way (SIGKILL, real subprocesses) lose and duplicate nothing.

On either backend: the child opens the test's target (the SQLite file or the PostgreSQL URL)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from dbcheck import assert_consistent, q

from kiosk.booth import Booth
from kiosk.clock import FixedClock
from kiosk.db import connect
from kiosk.models import AuditLog, AuditLogArchive, Payment, Stay, Vehicle
from staff_support import as_manager

N_VEHICLES, N_AUDIT, BATCH = 3000, 5000, 200
FUTURE = "2030-01-01 00:00:00"

# The child runs the real worker. With KILL_AT=k it SIGKILLs itself inside batch k's
# transaction, after the rows were changed and before the commit; with KILL_AT=0 it
# prints each finished batch so the parent can kill it at an arbitrary point.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from kiosk.booth import HEADLESS, Booth
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    path, kind, kill_at, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    db = connect(resolve_target(path))
    marker = 'INSERT INTO "audit_logs"'
    seen = {"n": 0}
    original = db.execute_sql
    def execute_sql(sql, *args, **kwargs):
        if kill_at and sql.startswith(marker):
            seen["n"] += 1
            if seen["n"] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return original(sql, *args, **kwargs)
    db.execute_sql = execute_sql
    def progress(done, total):
        print("batch", done, flush=True)
    booth = Booth(db, FixedClock("%s"), actor=HEADLESS)
    getattr(booth, kind)(batch_size=batch, progress=progress)
    print("finished", flush=True)
""" % FUTURE)


@pytest.fixture
def loaded(database, target):
    """A few thousand closed stays with payments, and old audit rows, inserted in bulk."""
    with database.atomic():
        database.execute_sql(q(database,
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
            "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, payment_status) "
            "SELECT 'CR' || i, 'Jane', '+447400123456', '2020-01-01 10:00:00', 'car', 'paid' FROM c"), (N_VEHICLES,))
        database.execute_sql(
            "INSERT INTO stays (vehicle_id, vehicle_type, entry_timestamp, exit_timestamp, status) "
            "SELECT id, 'car', entry_timestamp, '2020-01-01 12:00:00', 'paid' FROM vehicles")
        database.execute_sql(
            "INSERT INTO payments (vehicle_id, stay_id, amount, amount_cents, payment_status, payment_method, transaction_id, created_at) "
            "SELECT vehicle_id, id, 5.00, 500, 'paid', 'card', 'tx' || id, '2020-01-01 12:00:00' FROM stays")
        database.execute_sql(q(database,
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
            "INSERT INTO audit_logs (action, entity, entity_id, timestamp, details) "
            "SELECT 'old', 'test', i, '2020-01-01 00:00:00', '{}' FROM c"), (N_AUDIT,))
    database.close()
    return target.raw


def run_child(db_path, kind, kill_at):
    proc = subprocess.run([sys.executable, "-c", CHILD, str(db_path), kind, str(kill_at), str(BATCH)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return proc


def kill_after_batches(db_path, kind, batches):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db_path), kind, "0", str(BATCH)],
                            stdout=subprocess.PIPE, text=True)
    for _ in range(batches):
        assert proc.stdout.readline().startswith("batch")
    os.kill(proc.pid, signal.SIGKILL)  # somewhere in the following batches
    proc.wait(timeout=30)
    proc.stdout.close()


def reopen(db_path):
    from kiosk.db import resolve_target

    db = connect(resolve_target(str(db_path)))
    assert_consistent(db)
    return db


def check_archive(db):
    live = {r.id for r in AuditLog.select(AuditLog.id).where(AuditLog.action == "old")}
    archived = {r.id for r in AuditLogArchive.select(AuditLogArchive.id).where(AuditLogArchive.action == "old")}
    assert not live & archived
    assert len(live) + len(archived) == N_AUDIT
    return len(archived)


def check_expiry(db):
    purged = Vehicle.select().where(Vehicle.purged_at.is_null(False))
    assert all(v.number_plate == f"~{v.id}" and v.contact_name == "" and v.phone_number == "" for v in purged)
    loaded = Vehicle.id <= N_VEHICLES  # not the cars a booth registered meanwhile
    intact = Vehicle.select().where(Vehicle.purged_at.is_null() & loaded)
    assert all(v.number_plate.startswith("CR") and v.contact_name == "Jane" for v in intact)
    assert Vehicle.select().where(loaded).count() == N_VEHICLES
    assert Payment.select().count() == N_VEHICLES
    assert db.execute_sql("SELECT SUM(amount_cents) FROM payments").fetchone()[0] == 500 * N_VEHICLES
    return purged.count()


@pytest.mark.slow
def test_archive_killed_inside_a_batch_then_finished(loaded):
    run_child(loaded, "archive", kill_at=4)  # dies inside the 4th batch's transaction
    db = reopen(loaded)
    assert check_archive(db) == 3 * BATCH
    assert AuditLog.select().where(AuditLog.action == "archive").count() == 3
    report = as_manager(Booth(db, FixedClock(FUTURE))).archive(batch_size=BATCH)
    assert report.status == "done"
    assert check_archive(db) == N_AUDIT


@pytest.mark.slow
def test_expiry_killed_inside_a_batch_then_finished(loaded):
    run_child(loaded, "expire", kill_at=3)
    db = reopen(loaded)
    assert check_expiry(db) == 2 * BATCH
    report = as_manager(Booth(db, FixedClock(FUTURE))).expire(batch_size=BATCH)
    assert (report.status, report.rows) == ("done", N_VEHICLES - 2 * BATCH)
    assert check_expiry(db) == N_VEHICLES


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["archive", "expire"])
def test_killed_at_any_point_after_some_batches(loaded, kind):
    kill_after_batches(loaded, kind, batches=2)
    db = reopen(loaded)
    done = check_archive(db) if kind == "archive" else check_expiry(db)
    assert done >= 2 * BATCH and done % BATCH == 0  # whole batches only
    getattr(as_manager(Booth(db, FixedClock(FUTURE))), kind)(batch_size=BATCH)
    assert (check_archive(db) if kind == "archive" else check_expiry(db)) == (N_AUDIT if kind == "archive" else N_VEHICLES)


# Batches sized by time (as in production), each committed without fsync on the worker's
# connection; small statements so there are many batches. KILL_AFTER=k: SIGKILL inside the
# progress callback after batch k (those batches were committed, no checkpoint since the
# first); KILL_AFTER=0: print each batch so the parent can kill it at an arbitrary point.
AUTO_CHILD = textwrap.dedent("""
    import os, signal, sys
    from kiosk.booth import HEADLESS, Booth, pace
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    path, kind, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pace.TARGET_MS, pace.MAX_ROWS = 0.0, 150  # every batch one statement of at most 150 rows
    pace.WAL_FRAMES = 10 ** 9  # ... and no checkpoint after the first one
    db = connect(resolve_target(path))
    def progress(done, total):
        print("batch", done, flush=True)
        if kill_after and done and progress.n == kill_after - 1:
            os.kill(os.getpid(), signal.SIGKILL)
        progress.n += 1
    progress.n = 0
    booth = Booth(db, FixedClock("%s"), actor=HEADLESS)
    booth.update_config(expiry_batch_size=100, archive_batch_size=100)
    getattr(booth, kind)(progress=progress)
    print("finished", flush=True)
""" % FUTURE)


def audit_total(action):
    import json

    return sum(json.loads(a.details)["count"] for a in AuditLog.select().where(AuditLog.action == action))


def check_whole_batches(db, kind):
    """Every committed batch is there with its audit row, nothing more."""
    if kind == "archive":
        done = check_archive(db)
        assert done == audit_total("archive")
    else:
        done = check_expiry(db)
        assert done == audit_total("expire")
    return done


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["archive", "expire"])
def test_auto_sized_run_killed_after_unsynced_commits_keeps_them(loaded, kind):
    proc = subprocess.run([sys.executable, "-c", AUTO_CHILD, str(loaded), kind, "4"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    reported = [int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("batch")]
    db = reopen(loaded)
    assert check_whole_batches(db, kind) == reported[-1] > 0  # the 4 batches the worker saw committed
    report = getattr(as_manager(Booth(db, FixedClock(FUTURE))), kind)()
    assert report.status == "done"
    assert check_whole_batches(db, kind) == (N_AUDIT if kind == "archive" else N_VEHICLES)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["archive", "expire"])
def test_auto_sized_run_killed_at_any_point(loaded, kind):
    proc = subprocess.Popen([sys.executable, "-c", AUTO_CHILD, str(loaded), kind, "0"], stdout=subprocess.PIPE, text=True)
    for _ in range(3):
        assert proc.stdout.readline().startswith("batch")
    os.kill(proc.pid, signal.SIGKILL)  # somewhere in the following batches, commits or checkpoints
    proc.wait(timeout=30)
    proc.stdout.close()
    db = reopen(loaded)
    assert check_whole_batches(db, kind) > 0
    getattr(as_manager(Booth(db, FixedClock(FUTURE))), kind)()
    assert check_whole_batches(db, kind) == (N_AUDIT if kind == "archive" else N_VEHICLES)


# A booth registering cars in a loop while the worker runs: the worker commits or rolls back
# batches for it; kill -9 the worker somewhere in that, then check nothing is half-done.
BOOTH_LOOP = textwrap.dedent("""
    import sys
    from kiosk.booth import HEADLESS, Booth, BoothError
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    booth = Booth(connect(resolve_target(sys.argv[1])), FixedClock("%s"), actor=HEADLESS)
    for i in range(int(sys.argv[2])):
        booth.register(f"BO{i:03d}TH", "Jane", "07400 123456", "car")
        print("registered", i, flush=True)
""" % FUTURE)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["archive", "expire"])
def test_killed_while_handing_over_to_a_registering_booth(loaded, kind):
    cars = 25  # the default layout has 30 car spots
    booth = subprocess.Popen([sys.executable, "-c", BOOTH_LOOP, str(loaded), str(cars)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    worker = subprocess.Popen([sys.executable, "-c", AUTO_CHILD, str(loaded), kind, "0"], stdout=subprocess.PIPE,
                              text=True)
    for _ in range(3):
        assert worker.stdout.readline().startswith("batch")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    worker.stdout.close()
    out, err = booth.communicate(timeout=120)
    assert booth.returncode == 0, err  # every registration got through, during and after the worker
    db = reopen(loaded)
    assert check_whole_batches(db, kind) > 0
    assert Stay.select().where(Stay.status == "open").count() == cars
    assert Vehicle.select().where(Vehicle.number_plate.startswith("BO") & Vehicle.purged_at.is_null()).count() == cars
    getattr(as_manager(Booth(db, FixedClock(FUTURE))), kind)()
    assert check_whole_batches(db, kind) == (N_AUDIT if kind == "archive" else N_VEHICLES)
