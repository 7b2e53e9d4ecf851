"""Keeping start-up short and key presses inside one frame on a busy booth.

Python's garbage collector, left alone, ran ~90 collections while the booth terminal
started (one full collection of ~28 ms), and later paused 27-32 ms for each full collection
over the objects of a running app (textual-notes.md), pushing key latency past a frame.
Almost everything allocated while the first screen is built lives as long as the app does,
so collecting it is wasted work: the collector is off until the first usable frame, and
what is alive then is frozen (moved out of the collector's sight for good) before it is
switched back on.
"""

from __future__ import annotations

import gc


class StartupGC:
    """`begin()` when the app starts loading, `end()` once its first usable frame is drawn,
    `release()` when it stops (also when it stops before `end`). Each step runs at most once."""

    def __init__(self) -> None:
        self._state = "idle"  # idle -> paused -> frozen -> released
        self._was_enabled = True

    def begin(self) -> None:
        if self._state == "idle":
            self._was_enabled = gc.isenabled()
            gc.disable()
            self._state = "paused"

    def end(self) -> None:
        if self._state == "paused":
            gc.freeze()
            if self._was_enabled:
                gc.enable()
            self._state = "frozen"

    def release(self) -> None:
        """Give the frozen objects back to the collector (the app is gone; in tests, the process lives on)."""
        if self._state == "paused" and self._was_enabled:
            gc.enable()
        if self._state == "frozen":
            gc.unfreeze()
        self._state = "released"

    @property
    def state(self) -> str:
        return self._state
