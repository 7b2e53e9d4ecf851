"""One booth process of the many-booths figure (bench/booths.py starts N of them).

    python -m bench.booth_child '<json config>'

For each side named in the config, in order: connect (and, for the kiosk, sign in and open the
booth's shift), print {"ready": side}, wait for the parent's start line on stdin
({"start", "measure", "end"}: CLOCK_MONOTONIC seconds, shared by every process on the machine),
then run the window's cycle — register a new car, look it up by plate with its fee, take its
payment — as fast as it can until "end"; print the side's result as one JSON line, and close
when the parent says so (any line on stdin).

Cycles are counted, and operations timed, when they finish between "measure" and "end" (the
first seconds warm the connection, the plans and the caches). Every exception a booth sees is
counted by type (a BoothError by its code); the bare side runs a conflict the server reported
again, the kiosk retries inside its own write loop, so anything that reaches here is an error an
attendant would see.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections import Counter

from .generate import plate_of
from .pg_sides import BareBooth, KioskBooth, retryable

# Plates of a residue neither the generator (7i+3) nor the SQLite per-car figure (7i+5) uses.
PLATES_PER_SLOT = 100_000


def plate(slot: int, i: int) -> str:
    return plate_of((slot * PLATES_PER_SLOT + i) * 7 + 6)


def _error_name(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__}:{getattr(code, 'value', code)}" if code is not None else type(exc).__name__


def _open(cfg: dict, side: str, slot: int):
    """The side's booth, connected and warm: one cycle run before the window (imports, first-use
    rendering of statements, the server's plans), on a plate of its own."""
    if side == "kiosk":
        # One Argon2 sign-in (64 MiB) at a time per core, not 64 at once.
        with open(f"{cfg['lock']}.{cfg['index'] % 2}", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            booth = KioskBooth(cfg["url"], cfg["booth"] + "k", cfg["manager"], cfg["pin"])
    else:
        booth = BareBooth(cfg["url"], cfg["booth"] + "b", cfg["staff_id"])
    car = plate(slot, PLATES_PER_SLOT - 1)
    booth.pay(booth.register(car))
    return booth


def run_window(booth, slot: int, measure: float, end: float, bare: bool) -> dict:
    lat: dict[str, list[float]] = {"register": [], "lookup": [], "payment": []}
    errors: Counter[str] = Counter()
    retried: Counter[str] = Counter()
    cycles = i = 0
    clock, perf = time.monotonic, time.perf_counter

    def op(fn, *args):
        while True:
            try:
                return fn(*args)
            except Exception as exc:
                if bare and retryable(exc):
                    retried[_error_name(exc)] += 1
                    continue
                raise

    while True:
        t = clock()
        if t >= end:
            break
        car = plate(slot, i)
        i += 1
        try:
            t0 = perf()
            sid = op(booth.register, car)
            t1 = perf()
            op(booth.lookup, car)
            t2 = perf()
            op(booth.pay, sid)
            t3 = perf()
        except Exception as exc:  # noqa: BLE001 - every error a booth sees is counted, by type
            if clock() >= measure:
                errors[_error_name(exc)] += 1
            continue
        done = clock()
        if measure <= done <= end:
            cycles += 1
            lat["register"].append(t1 - t0)
            lat["lookup"].append(t2 - t1)
            lat["payment"].append(t3 - t2)
    return {"cycles": cycles, "latency_s": lat, "errors": dict(errors), "retried": dict(retried),
            "attempted": i, "pid": os.getpid()}


def main(argv=None) -> int:
    cfg = json.loads((argv or sys.argv[1:])[0])
    for side, slot in zip(cfg["sides"], cfg["slots"]):
        booth = _open(cfg, side, slot)
        try:
            print(json.dumps({"ready": side, "pid": os.getpid()}), flush=True)
            line = sys.stdin.readline()
            if not line:
                return 1
            go = json.loads(line)
            while time.monotonic() < go["start"]:  # every booth starts at once
                time.sleep(0.0005)
            result = run_window(booth, slot, go["measure"], go["end"], bare=side == "baseline")
            print(json.dumps({"side": side, **result}), flush=True)
            # Connected until the parent has read the CPU time of every process, the server's too
            # (a backend ending while it reads would take its CPU time with it).
            sys.stdin.readline()
        finally:
            booth.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
