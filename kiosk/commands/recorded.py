"""What the recorded commands (backup, check) share: a database that must exist, and the run record."""

from __future__ import annotations

import time

from ..errors import KioskError
from ..maintenance import Refused
from ..maintenance.runs import RunRecord, record


def need_database(target) -> None:
    if not target.exists():
        raise KioskError(f"no database at {target.describe()}: check --db (or KIOSK_DB), or restore a backup")


def run_recorded(target, database, run: RunRecord, started: float, body):
    """Run `body()`, then store the run with its outcome, also when it fails.

    A run that did not complete changed nothing: it is recorded beside the
    database, not in it.
    """
    completed = False
    try:
        result = body()
        completed = True
        return result
    except BaseException as exc:
        run.outcome = "refused" if isinstance(exc, Refused) else "failed"
        run.error = str(exc) if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.duration_ms = round((time.perf_counter() - started) * 1000)
        record(target, database, run, in_database=completed)
