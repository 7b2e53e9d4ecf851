"""An exception killed (SIGKILL, a real subprocess) after its rows were written and before its
commit leaves the database as it was before the call: no half a void, a half-collected debt or a
lost ticket's car without its payment. On either backend."""

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dbcheck import assert_consistent

from kiosk.db import connect, resolve_target
from kiosk.models import AuditLog, Debt, ParkingSpot, Payment, Stay, Vehicle

TESTS = Path(__file__).resolve().parent
# The child sets the scene in its own terminal run (its shift), then arms the kill: the next audit
# row, the last statement of each exception's transaction, is never written.
CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[3])
    from staff_support import FAST_HASHER, manager_actor
    from kiosk.booth import Booth
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    db = connect(resolve_target(sys.argv[1]))
    clock = FixedClock("2026-11-24 12:00:00")
    booth = Booth(db, clock, pin_hasher=FAST_HASHER)
    booth = booth.signed_in(manager_actor())
    booth.open_shift("0.00")
    armed = {"on": False}
    original = db.execute_sql
    def execute_sql(sql, *args, **kwargs):
        if armed["on"] and sql.startswith('INSERT INTO "audit_logs"'):
            os.kill(os.getpid(), signal.SIGKILL)
        return original(sql, *args, **kwargs)
    db.execute_sql = execute_sql
    scenario = sys.argv[2]
    if scenario == "void":
        reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
        clock.advance(hours=1)
        paid = booth.pay(reg.stay_id, "card")
        armed["on"] = True
        booth.void_payment(paid.payment_id, "keyed_in_error")
    elif scenario == "collect":
        reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
        clock.advance(hours=1)
        booth.close_departed(reg.stay_id, "left_without_paying")
        back = booth.register("AB12CDE", "Jane", "07400 123456", "car")
        clock.advance(hours=1)
        armed["on"] = True
        booth.pay(back.stay_id, "card", collect_debts=True)
    elif scenario == "lost_ticket":
        armed["on"] = True
        booth.pay_lost_ticket("XY99ZZZ", "car", "cash", "no_ticket", tendered="100")
    elif scenario == "override":
        reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
        clock.advance(hours=3)
        armed["on"] = True
        booth.override_fee(reg.stay_id, "1.00", "card", "goodwill")
    print("not killed", flush=True)
""")


def run_child(target, scenario):
    proc = subprocess.run([sys.executable, "-c", CHILD, target.raw, scenario, str(TESTS)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    db = connect(resolve_target(target.raw))
    assert_consistent(db)
    return db


def audits(action):
    return AuditLog.select().where(AuditLog.action == action).count()


@pytest.fixture
def migrated(database, target):
    database.close()
    return target


def test_a_void_killed_before_its_commit_leaves_the_payment_standing(migrated):
    db = run_child(migrated, "void")
    try:
        (paid,) = Payment.select()
        assert (paid.payment_status, paid.amount_cents) == ("paid", 250)
        assert Stay.get_by_id(paid.stay_id).status == "paid"
        assert not ParkingSpot.get(ParkingSpot.spot_number == Stay.get_by_id(paid.stay_id).spot_number).is_occupied
        assert audits("void") == 0 and audits("payment") == 1
    finally:
        db.close()


def test_a_payment_collecting_a_debt_killed_before_its_commit_collects_nothing(migrated):
    db = run_child(migrated, "collect")
    try:
        assert Payment.select().count() == 0
        (debt,) = Debt.select()
        assert (debt.amount_cents, debt.settled_by, debt.settled_at) == (250, None, None)
        open_stay = Stay.get(Stay.status == "open")
        assert ParkingSpot.get(ParkingSpot.spot_number == open_stay.spot_number).is_occupied
    finally:
        db.close()


def test_a_lost_ticket_killed_before_its_commit_records_no_car(migrated):
    db = run_child(migrated, "lost_ticket")
    try:
        assert (Payment.select().count(), Stay.select().count(), Vehicle.select().count()) == (0, 0, 0)
        assert audits("lost_ticket") == 0
    finally:
        db.close()


def test_an_override_killed_before_its_commit_leaves_the_car_on_site(migrated):
    db = run_child(migrated, "override")
    try:
        assert Payment.select().count() == 0 and Stay.get(Stay.vehicle_type == "car").status == "open"
        assert audits("fee_override") == 0
    finally:
        db.close()
