"""The maintenance window on PostgreSQL: the whole `kiosk --maintenance migrate` vs `pg_dump` + `pg_restore`.

On the site loaded into the bench's server (bench/pg_site.py), rolled back one version first (not
timed). The kiosk's run: pre-flight, the verified dump (pg_dump of one snapshot, read back with
pg_restore and its rows counted), the schema work in one transaction, post-validation. The
baseline is what an operator would do by hand to have a copy: `pg_dump -Fc` of the same database,
then `pg_restore` of that dump into a new empty database (the copy is usable only once restored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .common import WORK, log

HERE = Path(__file__).resolve().parent


def _run(args: list[str], env: dict | None = None, timeout: float = 3600) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=HERE.parent,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-800:]}")
    return time.perf_counter() - t0


def measure(server, database: str) -> dict:
    """`server`: a bench.pg_site.Server; `database`: the loaded site's database on it."""
    from kiosk.maintenance.sites.pg_dump import tool
    from kiosk.schema.files import load_migrations

    files = load_migrations()
    before, latest = files[-2].version_text, files[-1].version_text
    url = server.url(database)
    folder = WORK / "window-pg"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {"KIOSK_BACKUP_DIR": str(folder / "backups")}
    kiosk = [sys.executable, "-m", "kiosk", "--db", url, "--maintenance"]
    out: dict = {"from": before, "to": latest}
    try:
        _run(kiosk + ["rollback", "--to", before, "--allow-data-loss"], env)
        shutil.rmtree(folder / "backups", ignore_errors=True)
        dump = folder / "site.dump"
        out["pg_dump_s"] = _run([tool("pg_dump"), "-Fc", "-f", str(dump), url])
        copy = server.create(f"{database}_restored")
        out["pg_restore_s"] = _run([tool("pg_restore"), "--no-owner", "-d", copy, str(dump)])
        out["dump_bytes"] = dump.stat().st_size
        with server.admin() as con:
            con.execute(f'DROP DATABASE "{database}_restored"')
        dump.unlink()
        out["total_s"] = _run(kiosk + ["migrate"], env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out["baseline_s"] = out["pg_dump_s"] + out["pg_restore_s"]
    out["ratio"] = out["total_s"] / out["baseline_s"]
    out["subject"] = f"{out['total_s']:.1f} s"
    out["baseline"] = (f"pg_dump {out['pg_dump_s']:.1f} s + pg_restore {out['pg_restore_s']:.1f} s "
                       f"({out['dump_bytes'] / 1e6:,.0f} MB dump)")
    log(f"  maintenance window on PostgreSQL: migrate {out['total_s']:.1f} s vs dump + restore {out['baseline_s']:.1f} s")
    return out
