"""The `kiosk` command with the backup's checked copy stopping half-way (it creates KILL_MARKER and
waits to be killed): for the test of a run killed mid-copy. Test-only."""

from __future__ import annotations

import os
import time

from kiosk.__main__ import main
from kiosk.maintenance.sites import sqlite_copy


def _half_then_wait(source, tmp, progress, stop):
    with open(source, "rb") as src, open(tmp, "r+b") as dst:
        dst.write(src.read(source.stat().st_size // 2))
        dst.flush()
        os.fsync(dst.fileno())
    open(os.environ["KILL_MARKER"], "w").close()
    time.sleep(600)


if __name__ == "__main__":
    sqlite_copy._copy_and_compare = _half_then_wait
    main()
