"""The maintenance window: the whole `kiosk --maintenance migrate` on the site vs `cp` of the same file.

The car park is closed from the command's start to its end: pre-flight (lock, live kiosks, history,
the file's integrity with the backup's copy made meanwhile, schema drift, disk, data-loss forecast),
the verified backup, the schema work, post-validation and the run record. The site is first rolled
back one version (not timed), so the run applies the newest version, as an upgrade does. The
baseline is `cp` of the same file in the same run: the unsafe floor (no check, no fsync).
Phases are read from the command's own output lines as they appear.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .common import WORK, Copy, log, settle

HERE = Path(__file__).resolve().parent


def _kiosk(*args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=HERE.parent, timeout=timeout)


def _timed_migrate(path: Path) -> dict:
    """Run migrate, stamping the lines that end each phase; returns the phase boundaries in seconds."""
    marks: dict[str, float] = {}
    lines = []
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--db", str(path), "--maintenance", "migrate"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            cwd=HERE.parent)
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.perf_counter() - t0
        lines.append(line.rstrip())
        for key, start in (("checked", "pre-flight history"), ("backup", "pre-flight backup"), ("applying", "applying "),
                           ("validated", "validation")):
            if line.startswith(start) and key not in marks:
                marks[key] = now
    err = proc.stderr.read() if proc.stderr else ""
    code = proc.wait()
    marks["end"] = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"migrate failed ({code}): {err.strip()[-800:]}")
    scope = next((ln.split("integrity_scope", 1)[1].strip() for ln in lines if "integrity_scope" in ln), "")
    return {"marks": marks, "scope": scope}


def measure(site: Path) -> dict:
    from kiosk.schema.files import load_migrations

    files = load_migrations()
    before, latest = files[-2].version_text, files[-1].version_text
    out: dict = {"from": before, "to": latest}
    with Copy(site, "window") as path:
        setup = _kiosk("--db", str(path), "--maintenance", "rollback", "--to", before, "--allow-data-loss")
        if setup.returncode != 0:
            raise RuntimeError(f"rollback to {before} failed: {setup.stderr.strip()[-800:]}")
        shutil.rmtree(path.parent / "backups", ignore_errors=True)
        out["bytes"] = path.stat().st_size
        settle(path.parent)
        floor = WORK / "window-cp.db"
        t0 = time.perf_counter()
        subprocess.run(["cp", str(path), str(floor)], check=True)
        out["cp_s"] = time.perf_counter() - t0
        # The same copy made durable, as the backup must be before the schema changes: cp's own
        # figure is a copy into the page cache (at full size 3-17 s, depending on how much of it
        # the kernel must write back meanwhile).
        fd = os.open(floor, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        out["cp_fsync_s"] = time.perf_counter() - t0
        floor.unlink()
        settle(path.parent)
        try:
            run = _timed_migrate(path)
        finally:
            shutil.rmtree(path.parent / "backups", ignore_errors=True)
    m = run["marks"]
    out["total_s"] = m["end"]
    out["phases_s"] = {
        "pre-flight + checked copy": m.get("checked", 0.0),
        "backup kept": m.get("backup", 0.0) - m.get("checked", 0.0),
        "schema work + validation": m.get("validated", m["end"]) - m.get("applying", m.get("backup", 0.0)),
        "run record": m["end"] - m.get("validated", m["end"]),
    }
    out["scope"] = run["scope"]
    out["ratio"] = out["total_s"] / out["cp_s"]
    out["subject"] = (f"{out['total_s']:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in out["phases_s"].items()) + ")")
    out["ratio_durable"] = out["total_s"] / out["cp_fsync_s"]
    out["baseline"] = (f"cp {out['cp_s']:.1f} s ({out['bytes'] / 1e9:.2f} GB); cp + fsync {out['cp_fsync_s']:.1f} s "
                       f"({out['ratio_durable']:.2f}×)")
    log(f"  maintenance window: migrate {before} → {latest} {out['total_s']:.1f} s vs cp {out['cp_s']:.1f} s "
        f"({out['ratio']:.2f}×)")
    return out
