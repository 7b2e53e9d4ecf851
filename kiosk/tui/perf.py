"""Keeping key presses inside one frame on a busy booth."""

from __future__ import annotations

import gc

from textual.app import App


def freeze_gc_after_mount(app: App) -> None:
    """Move everything alive after the first frame out of the collector's sight.

    Full collections over the startup objects paused 27-32 ms (textual-notes.md),
    pushing key latency past a frame; frozen objects are never scanned again.
    `unfreeze_gc` gives them back (on exit, or in a test process).
    """
    app.call_after_refresh(gc.freeze)


def unfreeze_gc() -> None:
    gc.unfreeze()
