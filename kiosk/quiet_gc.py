"""Imports without garbage collection: what they allocate (modules, classes, tables) lives as
long as the process, yet the collector ran dozens of times over it while the kiosk started
(~40 ms). Afterwards those objects are frozen (out of the collector's sight for good), so the
first collection after the pause does not walk them all either."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
