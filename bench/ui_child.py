"""One UI measurement in a fresh process (so start-up, imports and memory are the real ones).

    python -m bench.ui_child start   DB T_PARENT   # kiosk TUI: process start -> first usable screen
    python -m bench.ui_child minimal T_PARENT      # minimal Textual app (header, label, footer)
    python -m bench.ui_child map     DB            # spot map on the database: open and key latency
Prints one JSON object. T_PARENT is the parent's time.time() just before it started this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time


def _rss_mb() -> float:
    """Peak resident memory of this process image. Not ru_maxrss: Linux carries that across
    fork+exec, so a child of a big parent would report the parent's peak."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Frames:
    """Replaces App._display: renders each update to terminal bytes (as a real terminal would) and stamps it."""

    def __init__(self, app):
        self.app, self.times = app, []

    def __call__(self, screen, renderable) -> None:
        from textual._compositor import CompositorUpdate

        if renderable is None:
            return
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.app.console)
        else:
            self.app.console.render(renderable)
        self.times.append((time.time(), self.app.screen))


async def _until(app, frames, ready, pilot, timeout=60.0):
    end = time.time() + timeout
    while time.time() < end:
        for stamp, _screen in frames.times:
            if stamp >= ready.get("t", float("inf")):
                return stamp
        if "t" not in ready and ready["check"]():
            ready["t"] = time.time()
        await pilot.pause(0.002)
    raise TimeoutError("no usable screen within 60 s")


def _kiosk_app(db: str, mode: str = "entry"):
    """The app exactly as `kiosk` (cli.run_terminal) builds it; returns (app, announce context)."""
    from kiosk.db import connect, resolve_target
    from kiosk.startup import prepare_database

    target = resolve_target(db)
    database = connect(target)
    version = prepare_database(target, database)
    from kiosk.tui.app import build_app

    try:  # the Booth-backed services of issue 6, as run_terminal uses them
        from kiosk.booth import Booth
        from kiosk.maintenance.presence import announce
        from kiosk.tui.services import booth_services, receipts_dir_for
    except ImportError:  # an older build: the TUI shell's read-only services
        return build_app(target=target, database=database, schema_version=version, mode=mode), contextlib.nullcontext()
    services = booth_services(Booth(database), receipts_dir=receipts_dir_for(target))
    app = build_app(target=target, database=database, schema_version=version, services=services, mode=mode)
    return app, announce(target, database, services.booth_name or "bench")


def start(db: str, t_parent: float) -> dict:
    app, presence = _kiosk_app(db)
    presence.__enter__()
    frames = Frames(app)
    app._display = frames
    result = {}

    async def main():
        async with app.run_test(size=(160, 48)) as pilot:
            # usable: the first screen is up, the spot feed has been read (free/total in the header)
            ready = {"check": lambda: getattr(app, "spots_version", 1) >= 1 and app.screen.is_mounted}
            result["first_usable"] = await _until(app, frames, ready, pilot)
            result["rss_first_screen_mb"] = _rss_mb()
            await pilot.press("f2")  # the spot map too: the heaviest screen
            await pilot.pause(0.5)
            result["rss_with_map_mb"] = _rss_mb()

    asyncio.run(main())
    result["startup_s"] = result["first_usable"] - t_parent
    return result


def minimal(t_parent: float) -> dict:
    from textual.app import App
    from textual.widgets import Footer, Header, Label

    class Minimal(App):
        def compose(self):
            yield Header()
            yield Label("ready")
            yield Footer()

    app = Minimal()
    frames = Frames(app)
    app._display = frames
    result = {}

    async def main():
        async with app.run_test(size=(160, 48)) as pilot:
            ready = {"check": lambda: app.screen.is_mounted}
            result["first_usable"] = await _until(app, frames, ready, pilot)
            result["rss_first_screen_mb"] = _rss_mb()

    asyncio.run(main())
    result["startup_s"] = result["first_usable"] - t_parent
    return result


def spot_map(db: str) -> dict:
    import sqlite3

    from .spot_map_bench import run

    app, presence = _kiosk_app(db, mode="map")
    presence.__enter__()
    with sqlite3.connect(db) as con:
        spots = con.execute("SELECT COUNT(*) FROM parking_spots").fetchone()[0]
    results = asyncio.run(run(spots, 160, 48, 200, app=app))
    return {"spots": spots, "results_s": results, "rss_mb": _rss_mb()}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "start":
        out = start(sys.argv[2], float(sys.argv[3]))
    elif mode == "minimal":
        out = minimal(float(sys.argv[2]))
    elif mode == "map":
        out = spot_map(sys.argv[2])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out))
