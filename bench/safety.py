"""The safety steps of a maintenance run on the large database vs `cp` of the file (the unsafe floor).

The steps are the functions `kiosk --maintenance migrate/rollback` runs (kiosk.maintenance):
pre-flight (lock, live-kiosk check, history + integrity + schema drift, disk space), the
verified backup (online backup API, integrity_check and row counts of the copy, chmod,
rotation) and the post-validation (integrity, schema drift, foreign keys, row counts,
the plan's orphan query, ANALYZE). Importing this module fails on a build without them.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from kiosk.maintenance import preflight, validate  # noqa: F401  (ImportError: not in this build)

from .common import WORK, Copy, log


def measure(site: Path) -> dict:
    from kiosk.db import connect, resolve_target
    from kiosk.schema.files import load_migrations

    files = load_migrations()
    out: dict = {}
    with Copy(site, "safety") as path:
        floor = WORK / "safety-cp.db"
        t0 = time.perf_counter()
        subprocess.run(["cp", str(path), str(floor)], check=True)
        out["cp_s"] = time.perf_counter() - t0
        floor.unlink()
        target = resolve_target(str(path))
        database = connect(target)
        pre = preflight.Preflight(set())
        steps = {}
        try:
            t0 = time.perf_counter()
            with preflight.hold(target, database, pre):
                st = preflight.check_history(target, database, files, pre)
                preflight.check_disk(target, pre)
                pre.refuse_if_failed()
                steps["pre-flight"] = time.perf_counter() - t0
                t1 = time.perf_counter()
                preflight.take_backup(target, files[-1].version_text, pre, keep=10, clock=None, progress=None)
                steps["verified backup"] = time.perf_counter() - t1
                t2 = time.perf_counter()
                rows = validate.row_counts(database)
                result = validate.validate(database, files, st.schema_version, rows_before=rows)
                steps["post-validation"] = time.perf_counter() - t2
                out["validation_ok"] = result.ok
        finally:
            database.close()
            shutil.rmtree(path.parent / "backups", ignore_errors=True)
    total = sum(steps.values())
    out.update({"steps_s": steps, "total_s": total, "ratio": total / out["cp_s"],
                "subject": f"{total:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()) + ")",
                "baseline": f"cp {out['cp_s']:.1f} s"})
    log(f"  safety steps {total:.1f} s vs cp {out['cp_s']:.1f} s")
    return out
