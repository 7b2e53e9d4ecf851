"""Sign-ins from two booths at once (real processes; PostgreSQL's row locks, SQLite's write lock):
every wrong PIN is counted exactly once, the name locks at the fifth, and right PINs all get in."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest
from staff_support import TEST_PIN, staff_row

from conftest import FIXTURE_CLOCK
from kiosk.models import AuditLog, Staff

CHILD = textwrap.dedent("""
    import json, os, sys, time
    from argon2 import PasswordHasher
    from kiosk.booth import Booth, BoothError, PinHasher
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    url, name, pin, tries, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    hasher = PinHasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    booth = Booth(connect(resolve_target(url)), FixedClock(%r), pin_hasher=hasher)
    booth.sign_in_names()  # connected and warm before saying so
    open(go + "." + str(os.getpid()), "w").close()
    while not os.path.exists(go):
        time.sleep(0.0005)
    out = []
    for _ in range(tries):
        try:
            if tries == 0:
                break
            out.append(["ok", booth.sign_in(name, pin).staff_id])
        except BoothError as exc:
            out.append([str(exc.code), exc.seconds])
    if tries == 0:  # a fresh site: both booths create "the first manager" at once
        try:
            out.append(["ok", booth.create_first_manager(name, pin).staff_id])
        except BoothError as exc:
            out.append([str(exc.code), None])
    print(json.dumps(out), flush=True)
""" % FIXTURE_CLOCK)


def _race(target, tmp_path, runs: list[tuple[str, str, int]]) -> list[list]:
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, target.raw, name, pin, str(n), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name, pin, n in runs]
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("go.*"))) < len(procs):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.stderr.read() for p in procs]
            time.sleep(0.01)
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


@pytest.mark.slow
def test_wrong_pins_from_two_booths_are_each_counted_once_and_lock_the_name_at_the_fifth(booth, database, target, tmp_path):
    sid = staff_row("Ann", "attendant")
    results = _race(target, tmp_path, [("Ann", "0000", 6), ("ann", "9999", 6)])
    codes = [code for res in results for code, _ in res]
    assert codes.count("wrong_pin") == 4  # tries 1-4, whichever booth made them
    assert codes.count("locked_out") == 8  # the fifth try locks; every later one is refused unchecked
    assert {s for res in results for code, s in res if code == "locked_out"} == {30}
    failed = AuditLog.select().where((AuditLog.action == "sign_in_failed") & (AuditLog.staff_id == sid)).count()
    locked = AuditLog.select().where((AuditLog.action == "sign_in_locked") & (AuditLog.staff_id == sid)).count()
    assert (failed, locked) == (5, 1)
    row = Staff.get_by_id(sid)
    assert (row.failed_attempts, row.lockouts) == (0, 1) and row.locked_until is not None


@pytest.mark.slow
def test_right_pins_from_two_booths_all_sign_in(booth, database, target, tmp_path):
    ann, bob = staff_row("Ann", "attendant"), staff_row("Bob", "supervisor")
    results = _race(target, tmp_path, [("Ann", TEST_PIN, 5), ("Ann", TEST_PIN, 5), ("Bob", TEST_PIN, 5)])
    assert results == [[["ok", ann]] * 5, [["ok", ann]] * 5, [["ok", bob]] * 5]
    assert AuditLog.select().where(AuditLog.action == "sign_in").count() == 15
    assert Staff.get_by_id(ann).failed_attempts == 0


@pytest.mark.slow
def test_two_booths_creating_the_first_manager_at_once_make_one(database, target, tmp_path, make_booth):
    make_booth(database, actor=None)  # the models on this test's database
    results = _race(target, tmp_path, [("Mia", "24681357", 0), ("Max", "13572468", 0)])
    codes = sorted(res[0][0] for res in results)
    assert codes == ["ok", "refused"]
    assert [r.display_name for r in Staff.select()] in (["Mia"], ["Max"])
