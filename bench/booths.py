"""Many booths on one PostgreSQL server: the kiosk against bare psycopg, on the same server and data.

    python -m bench.booths --scale 0.1 [--ns 1,4,16,64] [--warmup 2] [--duration 10] [--json-out F]
    python -m bench.run --only booths --scales 0.1       # the same, as a step of `make bench`

One throw-away PostgreSQL server (bench/pg_site.py) per run, loaded with the generated site at the
scale measured, then:

- per car: one booth registering, looking up (+ fee) and paying, each operation on the kiosk and on
  bare psycopg in turn (oltp.run_sides, as the SQLite table does);
- at each N: N booth processes (bench/booth_child.py, each its own connection; the kiosk's with its
  own booth name, sign-in and shift) doing the window's cycle as fast as they can after a common
  start, for `warmup` + `duration` seconds, first one side then the other (the order alternates
  with N), each on new plates; while they run, bench/pg_monitor.py samples the server and the CPU.

Every figure is a ratio against the bare side measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import log, pct
from . import window_pg
from .pg_site import MANAGER, PIN, Server, load_site, table_bytes

HERE = Path(__file__).resolve().parent
NS = (1, 4, 16, 64)
OPS = ("register", "lookup", "payment")
# Plate slots: the per-car figure's two sides, then one per (N, side, process).
PER_CAR_SLOTS = (0, 1)
GROWTH = 1.15  # throughput "still grows" from one N to the next while it rises by at least this factor
START_LEAD_S = 0.3


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None}
    return {"n": len(values), "p50_ms": round(statistics.median(values) * 1000, 3), "p99_ms": round(pct(values, 99) * 1000, 3)}


# --------------------------------------------------------------------------- one booth, per car
class _Pick:
    """One side of the interleaved per-car run: each item carries both sides' cars/stays; this side takes its own."""

    def __init__(self, booth, index: int):
        self.booth, self.i = booth, index

    def register(self, *cars):
        return self.booth.register(cars[self.i])

    def lookup(self, plate):
        return self.booth.lookup(plate)

    def pay(self, stays):
        return self.booth.pay(stays[self.i])


def per_car(url: str, n: int, staff_id: int) -> dict:
    """The SQLite table's three per-car figures on PostgreSQL: kiosk vs bare psycopg, interleaved."""
    import psycopg

    from .booth_child import plate
    from .oltp import WARMUP, run_sides
    from .pg_sides import BareBooth, KioskBooth

    with psycopg.connect(url) as con:
        free = con.execute("SELECT count(*) FROM parking_spots WHERE vehicle_type = 'car' AND NOT is_occupied").fetchone()[0]
        on_site = con.execute("SELECT s.id, v.number_plate FROM stays s JOIN vehicles v ON v.id = s.vehicle_id "
                              "WHERE s.status = 'open' ORDER BY s.id").fetchall()
    n = max(1, min(n, (free - 4) // 2 - WARMUP, len(on_site) // 2 - WARMUP))
    k = n + WARMUP
    cars = [tuple(plate(slot, i) for slot in PER_CAR_SLOTS) for i in range(k)]
    lookups = on_site[:k]
    payments = [((on_site[i][0], on_site[k + i][0]),) for i in range(k)]
    bare, kiosk = BareBooth(url, "one-b", staff_id), KioskBooth(url, "one-k", MANAGER, PIN)
    try:
        out = run_sides({"baseline": _Pick(bare, 0), "kiosk": _Pick(kiosk, 1)}, cars, lookups, payments)
    finally:
        bare.close()
        kiosk.close()
    return {side: {op: stats(s.values) for op, s in ops.items()} for side, ops in out.items()}


# --------------------------------------------------------------------------- N booths at once
def _spawn(cfg: dict, err_dir: Path, k: int):
    err = open(err_dir / f"booth{k}.err", "w")
    proc = subprocess.Popen([sys.executable, "-m", "bench.booth_child", json.dumps(cfg)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=err, text=True, cwd=HERE.parent)
    err.close()
    return proc


def _line(proc, k: int, err_dir: Path) -> dict:
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        tail = (err_dir / f"booth{k}.err").read_text()[-1500:]
        raise RuntimeError(f"booth process {k} ended early (exit {proc.returncode}): {tail}")
    return json.loads(line)


def booths_at(postmaster_pid: int | None, url: str, n: int, order: tuple[str, ...], slot0: int, warmup: float, duration: float,
              staff_id: int) -> dict:
    from .pg_monitor import Monitor

    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="kiosk-booths.") as tmp:
        err_dir = Path(tmp)
        procs = []
        try:
            for k in range(n):
                cfg = {"url": url, "booth": f"n{n}p{k}", "sides": list(order),
                       "slots": [slot0 + j * n + k for j in range(len(order))], "manager": MANAGER, "pin": PIN,
                       "staff_id": staff_id, "lock": str(err_dir / "signin"), "index": k}
                procs.append(_spawn(cfg, err_dir, k))
            for side in order:
                t_ready = time.perf_counter()
                for k, p in enumerate(procs):
                    _line(p, k, err_dir)  # connected (signed in, shift open): ready
                ready_s = time.perf_counter() - t_ready
                mon = Monitor(url, postmaster_pid, [p.pid for p in procs])
                start = time.monotonic() + START_LEAD_S
                go = json.dumps({"start": start, "measure": start + warmup, "end": start + warmup + duration})
                for p in procs:
                    p.stdin.write(go + "\n")
                    p.stdin.flush()
                while time.monotonic() < start + warmup:
                    time.sleep(0.01)
                mon.begin()
                mon.run_until(start + warmup + duration)
                server = mon.finish()
                results = [_line(p, k, err_dir) for k, p in enumerate(procs)]
                for p in procs:  # the readings are taken: the booths may close
                    p.stdin.write("close\n")
                    p.stdin.flush()
                out[side] = _side(results, duration, server, ready_s)
                log(f"    N={n} {side}: {out[side]['throughput']:.1f} cycles/s, CPU {server['machine_busy_pct']:.0f}% "
                    f"busy, errors {out[side]['errors'] or 0}")
            for p in procs:
                p.wait(timeout=60)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    return out


def _side(results: list[dict], duration: float, server: dict, ready_s: float) -> dict:
    lat = {op: [v for r in results for v in r["latency_s"][op]] for op in OPS}
    errors: dict[str, int] = {}
    retried: dict[str, int] = {}
    for r in results:
        for key, into in (("errors", errors), ("retried", retried)):
            for name, count in r[key].items():
                into[name] = into.get(name, 0) + count
    cycles = sum(r["cycles"] for r in results)
    # The booths' CPU: read by the monitor from /proc at the window's ends, as the server's is.
    return {"throughput": round(cycles / duration, 2), "cycles": cycles, "ops": {op: stats(v) for op, v in lat.items()},
            "errors": errors, "retried": retried, "booth_cpu_s": server["clients_cpu_s"],
            "server": server, "ready_s": round(ready_s, 1),
            "per_booth_cycles": sorted(r["cycles"] for r in results)}


def cause(n: int, side: dict) -> str:
    """What limited throughput at this N, from what was measured."""
    s = side["server"]
    locks = sum(s["lock_waits_by_table_mean"].values())
    where = ", ".join(f"{t} {v:.2f}" for t, v in s["lock_waits_by_table_mean"].items()) or "none"
    pg = "?" if s["postgres_cpu_s"] is None else f"{s['postgres_cpu_s']:.1f}"
    other = s["machine_busy_cpu_s"] - side["booth_cpu_s"] - (s["postgres_cpu_s"] or 0.0)
    cpu = (f"machine CPU {s['machine_busy_pct']:.0f}% busy ({s['machine_busy_cpu_s']:.1f} of {s['cpu_capacity_s']:.1f} "
           f"CPU-s): booth processes {side['booth_cpu_s']:.1f}, PostgreSQL {pg}, the rest {other:.1f} (kernel, monitor, "
           "other work on the machine)")
    waits = ", ".join(f"{k} {v:.2f}" for k, v in s["waits_mean"].items())
    idle_tx = s["states_mean"].get("idle in transaction", 0.0)
    detail = (f"{cpu}; {s['connections_mean']:.0f} connections; backends on average: idle in transaction (waiting "
              f"for their booth) {idle_tx:.1f}, active by wait event {waits or 'none'}; lock waiters {locks:.2f} "
              f"(by table: {where})")
    if s["machine_busy_pct"] >= 90:
        return "CPU saturated — " + detail
    if locks >= 0.25 * n:
        return "row-lock waits — " + detail
    return "neither CPU nor locks saturated — " + detail


def stops_growing(booths: dict, side: str) -> dict | None:
    """The first N after which throughput rises by less than GROWTH, and what was measured there."""
    ns = sorted(booths, key=int)
    for a, b in zip(ns, ns[1:]):
        ta, tb = booths[a][side]["throughput"], booths[b][side]["throughput"]
        if tb < GROWTH * ta:
            return {"after": int(a), "at": int(b), "from": ta, "to": tb, "cause": cause(int(b), booths[b][side])}
    return None


# --------------------------------------------------------------------------- the run
def measure(scale: float, n: int, ns=NS, warmup: float = 2.0, duration: float = 10.0) -> dict:
    t0 = time.perf_counter()
    with Server() as srv:
        name = "site_s" + f"{scale:g}".replace(".", "_")
        url = srv.create(name)
        t1 = time.perf_counter()
        meta = load_site(url, scale)
        load_s = time.perf_counter() - t1
        import psycopg

        with psycopg.connect(url) as con:
            staff_id = con.execute("SELECT id FROM staff WHERE name_key = %s", (MANAGER.casefold(),)).fetchone()[0]
        log(f"  site loaded in {load_s:.0f} s ({table_bytes(url) / 1e9:.2f} GB); one booth, per car")
        r: dict = {"scale": scale, "server": srv.version(), "load_s": round(load_s, 1), "vacuum_s": meta["vacuum_s"],
                   "db_bytes": table_bytes(url),
                   "counts": meta["counts"], "warmup_s": warmup, "duration_s": duration,
                   "per_car": per_car(url, n, staff_id), "booths": {}}
        slot = len(PER_CAR_SLOTS)
        for i, count in enumerate(ns):
            order = ("kiosk", "baseline") if i % 2 == 0 else ("baseline", "kiosk")
            log(f"  {count} booth processes ({' then '.join(order)})")
            r["booths"][str(count)] = booths_at(srv.postmaster_pid(), url, count, order, slot, warmup, duration,
                                                   staff_id)
            slot += 2 * count
        # The same loaded site, for the maintenance window's PostgreSQL figure (bench/window_pg.py).
        try:
            r["window_pg"] = window_pg.measure(srv, name)
        except RuntimeError as exc:  # reported in the results, not the end of the booths figures
            log(f"  maintenance window on PostgreSQL failed: {exc}")
            r["window_pg"] = {"error": str(exc)[:400]}
    r["stops"] = {side: stops_growing(r["booths"], side) for side in ("kiosk", "baseline")}
    r["seconds"] = round(time.perf_counter() - t0, 1)
    return r


def pg_python() -> str:
    """An interpreter with psycopg: this one, else the PostgreSQL booth's environment (make bench builds it)."""
    with contextlib.suppress(ImportError):
        import psycopg  # noqa: F401

        return sys.executable
    for candidate in (os.environ.get("BENCH_PG_PYTHON"), str(HERE.parent / ".venv-pg" / "bin" / "python")):
        if candidate and Path(candidate).exists():
            return str(Path(candidate).absolute())
    raise RuntimeError("the booths figure needs psycopg: run it through `make bench` (it builds .venv-pg), "
                       "or set BENCH_PG_PYTHON to a Python that has the kiosk's postgres extra")


def step(scale: float, n: int, ns=NS, warmup: float = 2.0, duration: float = 10.0) -> dict:
    """bench/run.py's step: in this process when it has psycopg, else in the PostgreSQL booth's Python."""
    python = pg_python()
    if python == sys.executable:
        return measure(scale, n, ns, warmup, duration)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    proc = subprocess.Popen([python, "-m", "bench.booths", "--scale", f"{scale:g}", "--n", str(n), "--ns",
                             ",".join(map(str, ns)), "--warmup", str(warmup), "--duration", str(duration), "--json-out",
                             str(out)], cwd=HERE.parent)
    old = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        if proc.wait() != 0:
            raise RuntimeError(f"the booths figure failed (exit {proc.returncode}): see the messages above")
        return json.loads(out.read_text())
    finally:
        signal.signal(signal.SIGTERM, old)
        if proc.poll() is None:  # stopped here (Ctrl-C, SIGTERM): it stops its server and its booths
            proc.terminate()
            proc.wait(timeout=180)
        out.unlink(missing_ok=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="site scale (0.1 = 1,000 spots; 1 = 10,000)")
    parser.add_argument("--n", type=int, default=200, help="cars per side for the per-car figure (default 200)")
    parser.add_argument("--ns", default=",".join(map(str, NS)), help="booth process counts (default 1,4,16,64)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the measured window (default 2)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per side and N (default 10)")
    parser.add_argument("--json-out", type=Path, help="write the result here (default: print it)")
    args = parser.parse_args(argv)
    # Ctrl-C stops the run (its server and booths with it) even when started from a script's
    # background job, which starts with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ns = tuple(int(x) for x in args.ns.split(","))
    if not 0 < args.scale <= 2 or any(not 1 <= x <= 150 for x in ns) or args.duration <= 0 or args.warmup < 0:
        parser.error("--scale in (0, 2], --ns each 1-150, --duration > 0, --warmup >= 0")
    try:
        result = measure(args.scale, args.n, ns, args.warmup, args.duration)
    except KeyboardInterrupt:
        log("interrupted: the booths and the PostgreSQL server were stopped")
        return 130
    text = json.dumps(result, indent=2)
    if args.json_out:
        args.json_out.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
