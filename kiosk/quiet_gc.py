"""The terminal's imports without garbage collection (kiosk.cli.build_terminal, the one place that
uses it): what they allocate (Textual, the screens, the booth's modules) lives as long as the
process, yet the collector ran some 70 times over it while the terminal started (~12 ms of a
~250 ms import on the benchmark machine). Afterwards those objects are frozen (out of the
collector's sight for good), so the first collection after the pause does not walk them all either."""

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
