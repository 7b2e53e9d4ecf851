"""Schema work on the large database: migrate its 1.0.0 form to the latest and roll it back to 1.0.0,
through the kiosk's runner vs the same DDL in the sqlite3 shell (one transaction per version, as the
runner does). The 1.0.0 form holds what 1.0.0 has: 50,000 vehicles and 5 million audit rows."""

from __future__ import annotations

import time
from pathlib import Path

from .common import Copy, log, sqlite_shell

FIRST = (1, 0, 0)


def _files():
    from kiosk.schema.files import load_migrations

    return load_migrations()


def _script(steps: list[list[str]]) -> str:
    return "".join("BEGIN;\n" + "".join(s.rstrip().rstrip(";") + ";\n" for s in stmts) + "COMMIT;\n" for stmts in steps)


def measure(site: Path) -> dict:
    files = _files()
    newer = [f for f in files if f.version > FIRST]
    down = [f.down["sqlite"] for f in reversed(newer)]
    up = [f.up["sqlite"] for f in newer]
    out = {"from": "1.0.0", "to": files[-1].version_text, "statements": sum(map(len, down + up))}
    with Copy(site, "schema-baseline") as path:
        migrate_s = sqlite_shell(path, _script(up))[0]
        out["baseline"] = {"migrate_s": migrate_s, "rollback_s": sqlite_shell(path, _script(down))[0]}
    with Copy(site, "schema-kiosk") as path:
        from kiosk.db import connect, resolve_target
        from kiosk.schema import runner

        target = resolve_target(str(path))
        database = connect(target)
        t0 = time.perf_counter()
        runner.migrate(target, database, None, files=files)
        t1 = time.perf_counter()
        runner.rollback(target, database, FIRST, files=files)
        t2 = time.perf_counter()
        database.close()
        out["kiosk"] = {"migrate_s": t1 - t0, "rollback_s": t2 - t1}
    for side in ("baseline", "kiosk"):
        out[side]["total_s"] = out[side]["rollback_s"] + out[side]["migrate_s"]
    log(f"  schema: shell {out['baseline']['total_s']:.1f} s, kiosk {out['kiosk']['total_s']:.1f} s")
    return out
