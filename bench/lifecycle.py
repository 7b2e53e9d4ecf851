"""Expiry and archiving: the kiosk's batched runs vs the plan's SQL run verbatim in the sqlite3 shell,
and a booth registering cars while `kiosk --maintenance expire` runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from .common import Copy, Sample, log, retention_for, set_config, shell_timer_runs, sqlite_shell
from .oltp import Kiosk, capacity, new_cars

# migration-plan.md, "Data Cleanup", verbatim.
PLAN_CLEANUP = """DELETE FROM vehicles 
WHERE entry_timestamp < datetime('now', '-' || (
    SELECT retention_hours FROM system_config LIMIT 1
) || ' hours');"""
PLAN_ARCHIVE = """INSERT INTO audit_logs_archive 
SELECT * FROM audit_logs 
WHERE timestamp < datetime('now', '-90 days');"""
# The plan has no DELETE; the baseline is the plan's INSERT ... SELECT plus a DELETE with the same WHERE.
PLAN_ARCHIVE_DELETE = "DELETE FROM audit_logs WHERE timestamp < datetime('now', '-90 days');"


class TxClock:
    """Times every write transaction of the booth layer (wraps kiosk.booth.tx.write), lock wait included."""

    def __init__(self):
        from kiosk.booth import tx

        self.tx, self.original, self.times = tx, tx.write, []

    def __enter__(self):
        def timed(db, fn, **kw):
            if db.transaction_depth() > 0:
                return self.original(db, fn, **kw)
            t0 = time.perf_counter()
            try:
                return self.original(db, fn, **kw)
            finally:
                self.times.append(time.perf_counter() - t0)

        self.tx.write = timed
        return self

    def __exit__(self, *exc):
        self.tx.write = self.original


def _shell(path: Path, statements: list[str]) -> tuple[float, float, int]:
    """(seconds, longest statement seconds, rows changed) for autocommit statements in the shell."""
    script = ".timer on\n" + "\n".join(f"{s}\nSELECT 'changes=' || changes();" for s in statements) + "\n"
    _wall, out = sqlite_shell(path, script)
    runs = shell_timer_runs(out)[0::2]  # every other timer line is the SELECT changes()
    rows = sum(int(line.split("=")[1]) for line in out.splitlines() if line.startswith("changes="))
    return sum(runs), max(runs), rows


def expiry(site: Path, meta: dict) -> dict:
    retention = retention_for(meta)
    out = {}
    with Copy(site, "expiry-baseline") as path:
        set_config(path, retention_hours=retention)
        seconds, longest, rows = _shell(path, [PLAN_CLEANUP])
        out["baseline"] = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "longest_tx_ms": longest * 1000}
    with Copy(site, "expiry-kiosk") as path:
        set_config(path, retention_hours=retention)
        k = Kiosk(path)
        with TxClock() as clock:
            t0 = time.perf_counter()
            report = k.booth.expire()
            seconds = time.perf_counter() - t0
        k.database.close()
        out["kiosk"] = {"rows": report.rows, "seconds": seconds, "rows_per_s": report.rows / seconds,
                        "longest_tx_ms": max(clock.times) * 1000, "longest_tx_ms_reported": report.longest_tx_ms,
                        "batches": report.batches, "batch_size": report.batch_size,
                        "tx_ms": Sample(clock.times).ms()}
    log(f"  expiry: plan {out['baseline']['rows']:,} rows in {out['baseline']['seconds']:.2f} s, "
        f"kiosk {out['kiosk']['rows']:,} rows in {out['kiosk']['seconds']:.2f} s")
    return out


def archive(site: Path) -> dict:
    out = {}
    with Copy(site, "archive-baseline") as path:
        seconds, longest, _rows = _shell(path, [PLAN_ARCHIVE, PLAN_ARCHIVE_DELETE])
        rows = _rows // 2  # each row counted by the INSERT and by the DELETE
        out["baseline"] = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "longest_tx_ms": longest * 1000}
    with Copy(site, "archive-kiosk") as path:
        set_config(path, archive_days=90)
        k = Kiosk(path)
        with TxClock() as clock:
            t0 = time.perf_counter()
            report = k.booth.archive()
            seconds = time.perf_counter() - t0
        k.database.close()
        out["kiosk"] = {"rows": report.rows, "seconds": seconds, "rows_per_s": report.rows / seconds,
                        "longest_tx_ms": max(clock.times) * 1000, "longest_tx_ms_reported": report.longest_tx_ms,
                        "batches": report.batches, "batch_size": report.batch_size,
                        "tx_ms": Sample(clock.times).ms()}
    log(f"  archive: plan {out['baseline']['rows']:,} rows in {out['baseline']['seconds']:.2f} s, "
        f"kiosk {out['kiosk']['rows']:,} rows in {out['kiosk']['seconds']:.2f} s")
    return out


def _register_paced(k: Kiosk, cars, pause: float, until=None) -> Sample:
    s = Sample()
    for i, car in enumerate(cars):
        if until is not None and until():
            break
        t0 = time.perf_counter()
        k.register(*car)
        s.add(time.perf_counter() - t0)
        time.sleep(pause)
    return s


def register_during_expiry(site: Path, meta: dict, n_alone: int, pause: float = 0.02) -> dict:
    """Register alone vs register while `kiosk --maintenance expire` (expiry, then archiving) runs.

    One copy, one booth connection: n_alone cars alone, then cars while the run goes on, then
    n_alone alone again. The baseline brackets the run, so a minute of slow disk (fsync latency
    on this kind of VM drifts 10x) lands on both sides, and its p99 comes from as many samples."""
    retention = retention_for(meta)
    free = capacity(site)
    n_alone = max(10, min(n_alone, (free - 60) // 3))
    with Copy(site, "during-expiry") as path:
        set_config(path, retention_hours=retention)
        k = Kiosk(path)
        _register_paced(k, new_cars(10, 700_000), pause)  # warm-up
        alone = _register_paced(k, new_cars(n_alone, 700_100), pause)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--db", str(path), "--maintenance", "expire", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(0.3)  # let it start its first batch
        left = free - 20 - 2 * n_alone
        during = _register_paced(k, new_cars(left, 710_000), pause, until=lambda: proc.poll() is not None)
        stdout, stderr = proc.communicate()
        if proc.returncode not in (0, 4):
            raise RuntimeError(f"kiosk --maintenance expire failed ({proc.returncode}): {stderr.strip()[:300]}")
        after = _register_paced(k, new_cars(n_alone, 800_000), pause)
        k.database.close()
    out = {"alone": Sample(alone.values + after.values), "during": during}
    log(f"  register during expiry: {len(out['during'].values)} cars registered while it ran")
    return {"alone": out["alone"], "during": out["during"], "expire_output": stdout[-2000:]}
