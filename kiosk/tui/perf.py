"""Keeping start-up short and key presses inside one frame on a busy booth.

Python's garbage collector, left alone, ran ~90 collections (~18 ms) while the booth terminal
built its first screen, and afterwards a full collection every few hundred key presses on the
spot map, each pausing the terminal 3-25 ms, which is a frame lost (27-32 ms over an unfrozen
heap). So:

* start-up: no collections until the first usable frame. Nearly everything allocated by then
  lives as long as the app, so it is frozen (out of the collector's sight for good) instead;
* afterwards the young generations are collected as usual (well under a millisecond), but a
  full collection runs only while nobody is typing: `collect_when_idle()` is called every few
  seconds and collects once no input came for a while.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

NEVER = 2**31 - 1  # a gen-2 threshold the collector never reaches
QUIET_S = 2.0  # no input for this long: a pause of a few ms goes unnoticed
FULL_EVERY_S = 30.0  # at most one idle full collection this often


class BoothGC:
    """The app's collector policy. `begin()` when the app starts loading, `end()` once its first
    usable frame is drawn, `release()` when it stops (also before `end`). Each runs at most once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._state = "idle"  # idle -> paused -> running -> released
        self._was_enabled = True
        self._thresholds = gc.get_threshold()
        self._last_input = clock()
        self._last_full = clock()
        self.full_collections = 0  # run by collect_when_idle; for tests and the log

    @property
    def state(self) -> str:
        return self._state

    def begin(self) -> None:
        if self._state == "idle":
            self._was_enabled = gc.isenabled()
            gc.disable()
            self._state = "paused"

    def end(self) -> None:
        if self._state == "paused":
            gc.freeze()
            self._thresholds = gc.get_threshold()
            gc.set_threshold(self._thresholds[0], self._thresholds[1], NEVER)
            if self._was_enabled:
                gc.enable()
            self._last_full = self._clock()
            self._state = "running"

    def release(self) -> None:
        """Back to Python's defaults; frozen objects are given back (in tests the process lives on)."""
        if self._state == "paused" and self._was_enabled:
            gc.enable()
        if self._state == "running":
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()
        self._state = "released"

    def saw_input(self) -> None:
        self._last_input = self._clock()

    def collect_when_idle(self) -> bool:
        """A full collection if nobody typed for QUIET_S and the last one is FULL_EVERY_S old."""
        now = self._clock()
        if self._state != "running" or now - self._last_input < QUIET_S or now - self._last_full < FULL_EVERY_S:
            return False
        gc.collect()
        self._last_full = self._clock()
        self.full_collections += 1
        return True
