"""A shift's close killed with SIGKILL (a real subprocess) at each point of its transaction, and
booths closing at once (real subprocesses): the shift is open with no Z report and no count, or
closed with its Z report; Z numbers per booth stay 1..n with no gap and no repeat."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from dbcheck import assert_consistent
from staff_support import as_manager, staff_row

from kiosk.booth import Booth
from kiosk.models import Shift, ZReport

PHONE = "07400 123456"

# The child closes the booth's open shift; at STAGE it says so and waits to be killed.
CHILD = textwrap.dedent("""
    import sys, time
    from kiosk.booth import Actor, Booth, Origin, Role, shift_close
    from kiosk.db import connect, resolve_target
    raw, stage, counted, staff_id = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    def hold(name):
        if name == stage:
            print(name, flush=True)
            time.sleep(120)
    sums, write_z = shift_close.shift_sums, shift_close.write_z
    def hooked_sums(*a, **k):
        out = sums(*a, **k)
        hold("summed")  # in the transaction, the shift row locked, nothing written yet
        return out
    def hooked_write(*a, **k):
        hold("shift_closed")  # the shift row updated to closed, no Z yet
        out = write_z(*a, **k)
        hold("z_written")  # the Z row written, not committed
        return out
    shift_close.shift_sums, shift_close.write_z = hooked_sums, hooked_write
    booth = Booth(connect(resolve_target(raw)), actor=Actor(staff_id, Role.MANAGER, Origin.TERMINAL, "Closer"))
    result = booth.close_shift(counted, card_batch="0.00")
    hold("committed")
    print("done", result.needs_signoff, flush=True)
""")


def _kill_at(raw: str, stage: str, counted: str, staff_id: int) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, raw, stage, counted, str(staff_id)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line == stage, (line, proc.stderr.read() if proc.poll() is not None else "")
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("stage", ["summed", "shift_closed", "z_written", "committed"])
def test_a_close_killed_at_any_point_leaves_the_shift_open_or_closed_with_its_z(database, target, clock, stage,
                                                                                pin_hasher):
    booth = as_manager(Booth(database, clock, pin_hasher=pin_hasher))
    booth.open_shift("20.00")
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2)
    paid = booth.pay(reg.stay_id, "cash", "20")
    booth.cash_drop("5.00", "safe_drop")
    expected = 20 + paid.amount - 5
    database.close()
    _kill_at(target.raw, stage, str(expected), booth.actor.staff_id)
    assert_consistent(database)
    shift = Shift.get()
    if stage == "committed":
        assert (shift.status, shift.counted_cash_cents) == ("closed", int(expected * 100))
        z = ZReport.get()
        assert (z.shift_id, z.number, z.expected_cash_cents) == (shift.id, 1, int(expected * 100))
        return
    assert (shift.status, shift.counted_cash_cents, shift.closed_at) == ("open", None, None)
    assert ZReport.select().count() == 0
    later = as_manager(Booth(database, clock, pin_hasher=pin_hasher))  # the next run closes it
    assert later.current_shift().left_open
    assert later.close_shift(str(expected), card_batch="0").report.number == 1


@pytest.mark.parametrize("stage", ["summed", "committed"])
def test_a_count_over_the_threshold_killed_is_kept_whole_or_not_at_all(database, target, clock, stage, pin_hasher):
    booth = as_manager(Booth(database, clock, pin_hasher=pin_hasher))
    booth.open_shift("20.00")
    database.close()
    _kill_at(target.raw, stage, "1.00", booth.actor.staff_id)
    assert_consistent(database)
    shift = Shift.get()
    assert shift.status == "open" and ZReport.select().count() == 0
    assert shift.counted_cash_cents == (100 if stage == "committed" else None)


# Booths closing at once: each process opens its booth's shift and closes it, again and again. Two
# processes share booth North, so each may find the other's shift (left open, for it) and close
# that one: the same shift closed by two processes at once.
RACER = textwrap.dedent("""
    import json, os, sys, time
    from kiosk.booth import Actor, Booth, BoothError, Origin, Role
    from kiosk.db import connect, resolve_target
    raw, booth_name, staff_id, rounds, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    actor = Actor(staff_id, Role.MANAGER, Origin.TERMINAL, "Racer")
    booth = Booth(connect(resolve_target(raw)), booth_name=booth_name, actor=actor)
    booth.current_shift()
    open(go + "." + str(os.getpid()), "w").close()
    while not os.path.exists(go):
        time.sleep(0.001)
    numbers, refused = [], 0
    for _ in range(rounds):
        for step in (lambda: booth.open_shift("0"), lambda: numbers.append(booth.close_shift("0", card_batch="0").report.number)):
            try:
                step()
            except BoothError as exc:
                if exc.code not in ("refused", "conflict", "busy"):
                    print(json.dumps({"error": str(exc), "code": exc.code}), flush=True)
                    sys.exit(1)
                refused += 1
    print(json.dumps({"booth": booth_name, "numbers": numbers, "refused": refused}), flush=True)
""")


def test_booths_closing_at_once_number_their_z_reports_with_no_gap_and_no_repeat(database, target, tmp_path):
    staff_id = staff_row("Racer", "manager")
    database.close()
    go = str(tmp_path / "go")
    booths = ["North", "North", "South", "East"]
    procs = [subprocess.Popen([sys.executable, "-c", RACER, target.raw, name, str(staff_id), "12", go],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in booths]
    try:
        deadline = time.monotonic() + 120
        while len(list(Path(tmp_path).glob("go.*"))) < len(procs) and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), [p.stderr.read() for p in procs if p.poll() is not None]
            time.sleep(0.01)
        Path(go).touch()
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    results = []
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, (out, err)
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert_consistent(database)
    for name in set(booths):
        got = sorted(n for r in results if r["booth"] == name for n in r["numbers"])
        stored = [z.number for z in ZReport.select().where(ZReport.booth_name == name).order_by(ZReport.number)]
        assert stored == list(range(1, len(stored) + 1))  # no gap
        assert got == stored and not [n for n, c in Counter(got).items() if c > 1]  # each handed out once
        closed = Shift.select().where((Shift.booth_name == name) & (Shift.status == "closed")).count()
        assert closed == len(stored)
    assert len([z for z in ZReport.select() if z.booth_name == "South"]) == 12
