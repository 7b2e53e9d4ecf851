"""Booths sharing one PostgreSQL database: real processes registering and paying at once until the
car park is full, then settling every stay at once; threads racing for one spot or one plate;
expiry beside a booth. Never a double booking, a lost registration, or a raw database error.
The transaction layer against the server's own errors: test_pg_tx.py."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import time
import threading
from pathlib import Path
from collections import Counter, defaultdict

import pytest
from dbcheck import assert_consistent

from kiosk.booth import Booth, BoothError
from kiosk.models import AuditLog, ParkingSpot, Payment, Stay, Vehicle
from staff_support import as_manager

pytestmark = pytest.mark.postgres_only

PROCS, EXTRA = 4, "C001-C270"  # 30 default car spots + 270 = 300
PHONE = "07400 123456"

# Phase 1: register until the car park is full, every third car paying (cash or card) and
# leaving at once, so its spot goes back to the others. Phase 2 (after the parent's signal):
# every booth tries to settle every open stay (the list the parent read) at once; even booths reuse one transaction id
# per stay (a retried request), odd booths make their own.
CHILD = textwrap.dedent("""
    import json, os, random, sys, time
    sys.path.insert(0, sys.argv[6])
    from staff_support import manager_actor, on_shift
    from kiosk.booth import Booth, BoothError
    from kiosk.db import connect, resolve_target
    url, name, k, go, go2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    # Each booth process its own shift (the parent created the manager account).
    booth = on_shift(Booth(connect(resolve_target(url), role=name), booth_name=name).signed_in(manager_actor()))
    def wait(path):
        while not os.path.exists(path):
            time.sleep(0.0005)
    booth.free_counts()  # connected and warm before saying so
    open(go + "." + name, "w").close()
    wait(go)  # start together: a registration takes ~1 ms, a process start ~300
    regs, paid, i = [], [], 0
    while True:
        try:
            reg = booth.register(f"{name}{i:03d}", "Jane Doe", "07400 123456", "car")
        except BoothError as exc:
            if "full" in str(exc):
                break
            print(json.dumps({"error": str(exc)}), flush=True)
            sys.exit(1)
        regs.append([reg.plate, reg.spot, reg.stay_id])
        if i % 3 == 2:
            cash = i % 2 == 1
            r = booth.pay(reg.stay_id, "cash" if cash else "card", "20.00" if cash else None)
            paid.append([reg.stay_id, r.payment_id, str(r.amount)])
        i += 1
    print(json.dumps({"regs": regs, "paid": paid}), flush=True)
    wait(go2)
    # The open stays as the parent read them once: a booth reading its own list later would miss
    # the ones the others had paid meanwhile, and never try them.
    with open(go2) as f:
        stays = json.load(f)
    random.Random(k).shuffle(stays)
    outcomes = []
    for sid in stays:
        txn = f"settle-{sid}" if k % 2 == 0 else None
        try:
            r = booth.pay(sid, "card", transaction_id=txn)
            outcomes.append([sid, "repeat" if r.repeated else "paid", r.payment_id])
        except BoothError as exc:
            outcomes.append([sid, "refused", str(exc)])
    print(json.dumps({"settle": outcomes}), flush=True)
""")


def _read_json_line(proc, what):
    line = proc.stdout.readline()
    assert line, f"{what}: child ended early: {proc.stderr.read() if proc.poll() is not None else ''}"
    return json.loads(line)


@pytest.mark.slow
def test_booths_register_and_pay_at_once_until_full_then_settle_everything(database, target, tmp_path):
    booth = as_manager(Booth(database))
    booth.add_spots(EXTRA, "car")
    capacity = booth.free_counts()["car"][0]
    database.close()
    go, go2 = tmp_path / "go", tmp_path / "go2"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, target.raw, f"P{k}X", str(k), str(go), str(go2),
                               str(Path(__file__).parent)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(PROCS)]
    try:
        ready = [tmp_path / f"go.P{k}X" for k in range(PROCS)]
        deadline = time.monotonic() + 120
        while not all(r.exists() for r in ready):  # every booth imported and connected
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.poll() for p in procs]
            time.sleep(0.01)
        go.touch()
        phase1 = [_read_json_line(p, "phase 1") for p in procs]
        assert not [r for r in phase1 if "error" in r], phase1
        regs = [tuple(r) for res in phase1 for r in res["regs"]]
        paid = {r[0]: r for res in phase1 for r in res["paid"]}
        assert sum(1 for res in phase1 if res["regs"]) >= 2  # the booths really competed
        assert len(regs) == capacity + len(paid)  # every spot given; freed spots given again
        assert len({r[2] for r in regs}) == len(regs)  # every registration its own stay

        database.connect(reuse_if_open=True)
        expected_open = {r for r in regs if r[2] not in paid}
        open_rows = {(s.vehicle.number_plate, s.spot_number, s.id) for s in Stay.select().where(Stay.status == "open")}
        assert open_rows == expected_open  # no registration lost or invented
        assert len({spot for _, spot, _ in open_rows}) == capacity  # the car park is full, each spot once
        assert not ParkingSpot.select().where((ParkingSpot.vehicle_type == "car") & (ParkingSpot.is_occupied == False)).exists()  # noqa: E712
        _no_spot_held_twice()
        pays = list(Payment.select())
        assert sorted(p.stay_id for p in pays) == sorted(paid)  # one payment per paying car, none lost
        assert sum(p.amount_cents for p in pays) == sum(round(float(r[2]) * 100) for r in paid.values())
        assert AuditLog.select().where(AuditLog.action == "entry").count() == len(regs)
        assert AuditLog.select().where(AuditLog.action == "payment").count() == len(paid)
        database.close()

        ready = tmp_path / "go2.tmp"
        ready.write_text(json.dumps(sorted(r[2] for r in expected_open)))
        ready.rename(go2)  # whole, or not there yet
        settled = []
        for p in procs:
            settled.append(_read_json_line(p, "phase 2")["settle"])
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            assert "Traceback" not in err and "psycopg" not in err and "locked" not in err, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    by_stay = defaultdict(dict)
    for k, outcomes in enumerate(settled):
        for sid, what, detail in outcomes:
            by_stay[sid][k] = (what, detail)
    assert set(by_stay) == {r[2] for r in expected_open}
    for sid, seen in by_stay.items():
        assert len(seen) == PROCS
        winners = [k for k, (what, _) in seen.items() if what == "paid"]
        assert len(winners) == 1, (sid, seen)  # exactly one charge per stay
        for k, (what, detail) in seen.items():
            if k == winners[0]:
                continue
            if k % 2 == 0 and winners[0] % 2 == 0:  # the same transaction id again: the first one's receipt
                assert what == "repeat", (sid, k, seen)
            else:  # another booth was first: refused, nothing charged
                assert what == "refused" and ("already closed" in detail or "just closed" in detail), (sid, k, seen)
    database.connect(reuse_if_open=True)
    assert Stay.select().where(Stay.status == "open").count() == 0
    per_stay = Counter(p.stay_id for p in Payment.select())
    assert set(per_stay.values()) == {1} and len(per_stay) == len(regs)  # nobody charged twice
    assert not ParkingSpot.select().where(ParkingSpot.is_occupied == True).exists()  # noqa: E712
    _no_spot_held_twice()
    assert_consistent(database)


def _no_spot_held_twice():
    """On every spot, only the latest stay can be open: every earlier one was closed first."""
    by_spot = defaultdict(list)
    for s in Stay.select().order_by(Stay.id):
        by_spot[s.spot_number].append(s)
    for spot, stays in by_spot.items():
        assert all(s.status != "open" and s.exit_timestamp is not None for s in stays[:-1]), spot


def test_two_booths_taking_the_same_named_spot_one_wins(database, target, clock):
    """Threads with their own connections (peewee keeps one per thread) ask for spot A05 at once."""
    as_manager(Booth(database, clock))
    barrier = threading.Barrier(4)
    results = []

    def one(k):
        barrier.wait()
        try:
            results.append(("ok", as_manager(Booth(database, clock, booth_name=f"b{k}")).register(f"TS{k}AAA", "Jane", PHONE, "car", "A05").spot))
        except BoothError as exc:
            results.append(("refused", str(exc)))
        finally:
            database.close()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r[0] for r in results) == ["ok", "refused", "refused", "refused"], results
    assert all("A05 is occupied" in r[1] for r in results if r[0] == "refused")
    assert Stay.select().where(Stay.spot_number == "A05").count() == 1


def test_plates_are_unique_when_two_booths_register_one_car_at_once(database, clock):
    as_manager(Booth(database, clock))
    barrier = threading.Barrier(3)
    results = []

    def one(k):
        barrier.wait()
        try:
            results.append(("ok", as_manager(Booth(database, clock)).register("SAME1AB", "Jane", PHONE, "car").spot))
        except BoothError as exc:
            results.append(("refused", str(exc)))
        finally:
            database.close()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r[0] for r in results) == ["ok", "refused", "refused"], results
    assert all("already parked" in r[1] or "a moment ago" in r[1] for r in results if r[0] == "refused")
    assert Stay.select().count() == 1 and Vehicle.select().count() == 1
    assert ParkingSpot.select().where(ParkingSpot.is_occupied == True).count() == 1  # noqa: E712


def test_expiry_never_purges_a_car_a_booth_is_re_registering(database, target, clock, make_booth):
    """PostgreSQL runs expiry and a booth side by side: a returning car registered while its old
    row is due keeps its personal data (a new row when expiry got there first)."""
    booth = make_booth(database, clock)
    regs = []
    for i in range(40):
        r = booth.register(f"RE{i:02d}AAA", "Jane", PHONE, "car" if i % 2 else "motorcycle")
        booth.pay(r.stay_id, "card")
        regs.append(r)
    clock.advance(hours=25)
    errors = []
    returned = []

    def returning():
        try:
            for i in random.Random(3).sample(range(40), 20):
                returned.append(as_manager(Booth(database, clock)).register(f"RE{i:02d}AAA", "Jane Again", PHONE, "car").plate)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            database.close()

    thread = threading.Thread(target=returning)
    thread.start()
    report = booth.expire(batch_size=3)
    thread.join(60)
    assert not errors and report.status == "done"
    for plate in returned:  # every car on site still has its name, whoever came first
        v = Vehicle.get(Vehicle.number_plate == plate)
        assert v.contact_name == "Jane Again" and v.purged_at is None
        assert Stay.select().where((Stay.vehicle == v.id) & (Stay.status == "open")).count() == 1
    booth.expire()
    purged = list(Vehicle.select().where(Vehicle.purged_at.is_null(False)))
    assert purged and not Stay.select().where(Stay.vehicle.in_([v.id for v in purged]) & (Stay.status == "open")).exists()
    assert len(purged) == 40 - sum(1 for r in regs if Vehicle.get_by_id(r.vehicle_id).number_plate in returned)
    assert_consistent(database)
