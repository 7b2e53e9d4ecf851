"""Shared helpers: percentiles, fresh copies of the site, the sqlite3 shell, machine facts."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "data" / "work"  # copies live here, one per run, deleted after use
SQLITE_SHELL = shutil.which("sqlite3")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Sample:
    """Repeated timings of one operation, in seconds."""

    values: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.values.append(seconds)

    @property
    def p50(self) -> float:
        return statistics.median(self.values)

    @property
    def p99(self) -> float:
        return pct(self.values, 99)

    def ms(self) -> dict:
        return {"n": len(self.values), "p50_ms": round(self.p50 * 1000, 3), "p99_ms": round(self.p99 * 1000, 3),
                "max_ms": round(max(self.values) * 1000, 3)}


class Copy:
    """A private copy of the site database for one run of one side (baseline or subject).

    `cp` of the checkpointed file; removed (with -wal/-shm/.lock) on exit.
    """

    def __init__(self, source: Path, label: str):
        WORK.mkdir(parents=True, exist_ok=True)
        self.path = WORK / f"{label}.db"
        self.source = source

    def __enter__(self) -> Path:
        self._clean()
        shutil.copyfile(self.source, self.path)
        # Put the copy on disk now: otherwise the first commit measured pays for writing
        # back gigabytes of dirty pages (seen: a 0.5 s first commit on the 1/10 site).
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.sync()
        settle(self.path.parent)
        return self.path

    def __exit__(self, *exc) -> None:
        self._clean()

    def _clean(self) -> None:
        for suffix in ("", "-wal", "-shm", ".lock", "-journal", ".presence", ".intent"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        for extra in self.path.parent.glob(self.path.stem + "*.bak*"):
            extra.unlink(missing_ok=True)


def settle(folder: Path, quiet_s: float = 0.015, limit_s: float = 60.0) -> float:
    """Wait until an fsync in `folder` is quick three times running; returns the seconds waited.

    Writing a 5 GB copy leaves the disk busy for a while after `sync`; figures are about the
    kiosk, not about that.
    """
    probe, start, quick = folder / ".settle-probe", time.perf_counter(), 0
    try:
        while quick < 3 and time.perf_counter() - start < limit_s:
            t0 = time.perf_counter()
            with open(probe, "wb") as fh:
                fh.write(os.urandom(4096))
                fh.flush()
                os.fsync(fh.fileno())
            quick = quick + 1 if time.perf_counter() - t0 < quiet_s else 0
            if quick < 3:
                time.sleep(0.1)
    finally:
        probe.unlink(missing_ok=True)
    return time.perf_counter() - start


def sqlite_shell(db: Path, script: str, timeout: float = 3600) -> tuple[float, str]:
    """Run a script in the sqlite3 command-line shell; (wall seconds, stdout). Fails loudly on any error."""
    if SQLITE_SHELL is None:
        raise RuntimeError("the sqlite3 shell is not installed: apt-get install sqlite3")
    t0 = time.perf_counter()
    proc = subprocess.run([SQLITE_SHELL, "-bail", str(db)], input=script, text=True, capture_output=True,
                          timeout=timeout)
    took = time.perf_counter() - t0
    if proc.returncode != 0 or proc.stderr.strip():
        raise RuntimeError(f"sqlite3 shell failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return took, proc.stdout


def shell_timer_runs(out: str) -> list[float]:
    """The 'Run Time: real X' lines printed by `.timer on`, in seconds."""
    return [float(m) for m in re.findall(r"Run Time: real ([0-9.]+)", out)]


def bare_connect(path: Path) -> sqlite3.Connection:
    """The sqlite3 module with the kiosk's own pragmas (WAL, FULL sync, FKs on, busy timeout)."""
    from kiosk.db import SQLITE_PRAGMAS

    con = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_PRAGMAS["busy_timeout"] / 1000)
    for name, value in SQLITE_PRAGMAS.items():
        con.execute(f"PRAGMA {name}={value}")
    return con


def set_config(path: Path, **values) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("UPDATE system_config SET " + ", ".join(f"{k} = ?" for k in values), tuple(values.values()))
    con.close()


def retention_for(meta: dict) -> int:
    """Retention hours that put the cutoff 24 h before the data's anchor, however old the cache is.

    The plan's cleanup reads retention_hours from system_config, as the kiosk does, so
    both sides select the same rows on a cache generated days ago.
    """
    return 24 + max(0, int((time.time() - meta["anchor"]) // 3600))


def machine_info() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import peewee
    import textual.__init__ as _t  # noqa: F401
    from importlib.metadata import version

    shell = subprocess.run([SQLITE_SHELL, "--version"], capture_output=True, text=True).stdout.split()[0] if SQLITE_SHELL else None
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram, "os": platform.platform(),
        "python": platform.python_version(), "sqlite_module": sqlite3.sqlite_version, "sqlite_shell": shell,
        "textual": version("textual"), "peewee": peewee.__version__, "when_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def dump(obj) -> str:
    return json.dumps(obj, indent=2, default=str)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
