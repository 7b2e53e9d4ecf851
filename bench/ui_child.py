"""One UI measurement in a fresh process (so start-up, imports and memory are the real ones).

    python -m bench.ui_child start   DB T_PARENT   # kiosk TUI: process start -> first usable screen
    python -m bench.ui_child minimal T_PARENT      # minimal Textual app (header, label, footer)
    python -m bench.ui_child map     DB            # spot map on the database: open and key latency
    python -m bench.ui_child memory  DB [--trace]  # where the peak memory goes, stage by stage (bench/ui_memory.py)
Prints one JSON object. T_PARENT is the parent's time.time() just before it started this process.
"""

from __future__ import annotations

import asyncio
import json
import re
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
    """Replaces App._display: renders each update to terminal bytes (as a real terminal would) and stamps it.

    `usable(text)` is asked about every frame as it is written, with the text that frame sends to the
    terminal; the first frame it accepts is the usable one (`usable_at`).
    """

    def __init__(self, app, usable=None):
        self.app, self.times, self.usable, self.usable_at, self.usable_cpu = app, [], usable, None, None

    def __call__(self, screen, renderable) -> None:
        from textual._compositor import CompositorUpdate

        if renderable is None:
            return
        if isinstance(renderable, CompositorUpdate):
            text = renderable.render_segments(self.app.console)
        else:
            text = "".join(segment.text for segment in self.app.console.render(renderable))
        now = time.time()
        self.times.append((now, self.app.screen))
        if self.usable_at is None and self.usable is not None and self.usable(text):
            self.usable_at = now
            self.usable_cpu = time.process_time()  # CPU of every thread so far: less noisy than wall time


# The header's "free/total" once the spot feed has been read ("—/— free" before).
FREE_TOTAL = re.compile(r"\d[\d,]*/\d[\d,]* free")


async def _until_usable(frames, pilot, timeout=60.0):
    end = time.time() + timeout
    while frames.usable_at is None:
        if time.time() > end:
            raise TimeoutError("no usable screen within 60 s")
        await pilot.pause(0.002)
    return frames.usable_at


def _kiosk_app(db: str, mode: str = "entry"):
    """The app exactly as `kiosk` builds it (kiosk.cli.build_terminal); returns (app, announce context)."""
    import kiosk.__main__  # noqa: F401 - what the `kiosk` console script imports first (its CLI)
    from kiosk.cli import build_terminal
    from kiosk.db import resolve_target

    return build_terminal(resolve_target(db), mode)


BENCH_MANAGER = ("Bench Manager", "583901")


def reset_peak() -> None:
    """Start VmHWM afresh from the current RSS (Linux: clear_refs 5), e.g. after a PIN hash's transient 64 MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def signed_in_terminal(db: str, mode: str, mark=None):
    """The app as `build_terminal` builds it, with a person signed in, opening on `mode` (a terminal on a
    database shows nothing else until someone signs in; the generated sites have no staff, so the bench
    creates the first manager on its copy, as the first-manager screen does). No Shift screen first:
    the figures are about `mode`. `mark(stage)` is called before and after the sign-in (whose Argon2id hash
    takes 64 MiB for as long as it runs). Returns (app, presence)."""
    import os
    import socket

    import kiosk.__main__  # noqa: F401
    from kiosk.booth import Booth, Secret
    from kiosk.db import connect, resolve_target
    from kiosk.maintenance.presence import announce
    from kiosk.startup import prepare_database
    from kiosk.tui.app import build_app
    from kiosk.tui.services import booth_services, receipts_dir_for

    target = resolve_target(db)
    database = connect(target)
    version = prepare_database(target, database)
    booth = Booth(database)
    mark = mark or (lambda stage: None)
    mark("database opened, schema checked")
    name, pin = BENCH_MANAGER
    actor = booth.create_first_manager(name, Secret(pin)) if booth.needs_first_manager() else booth.sign_in(name, Secret(pin))
    mark("signed in")
    services = booth_services(booth.signed_in(actor), receipts_dir=receipts_dir_for(target))
    booth_name = os.environ.get("KIOSK_BOOTH") or services.booth_name or socket.gethostname()
    app = build_app(target=target, database=database, schema_version=version, services=services, mode=mode,
                    read_spots_first=True, shift_first=False)
    return app, announce(target, database, booth_name)


def start(db: str, t_parent: float) -> dict:
    from textual.widgets import Input

    app, presence = _kiosk_app(db)
    presence.__enter__()

    def usable(text: str) -> bool:
        # The first frame that shows free/total in the header (so the spot feed has been read and is on
        # screen) while the first screen is mounted with its first field focused (it takes typing).
        return (getattr(app, "spots_version", 1) >= 1 and app.screen.is_mounted
                and isinstance(app.focused, Input) and FREE_TOTAL.search(text) is not None)

    frames = Frames(app, usable)
    app._display = frames
    result = {}

    async def main():
        async with app.run_test(size=(160, 48)) as pilot:
            result["first_usable"] = await _until_usable(frames, pilot)
            result["cpu_s"] = frames.usable_cpu
            result["rss_first_screen_mb"] = _rss_mb()

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
    frames = Frames(app, lambda text: app.screen.is_mounted and "ready" in text)
    app._display = frames
    result = {}

    async def main():
        async with app.run_test(size=(160, 48)) as pilot:
            result["first_usable"] = await _until_usable(frames, pilot)
            result["cpu_s"] = frames.usable_cpu
            result["rss_first_screen_mb"] = _rss_mb()

    asyncio.run(main())
    result["startup_s"] = result["first_usable"] - t_parent
    return result


def spot_map(db: str) -> dict:
    import sqlite3

    from .spot_map_bench import run

    app, presence = signed_in_terminal(db, "map", mark=lambda stage: stage == "signed in" and reset_peak())
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
    elif mode == "memory":
        from .ui_memory import measure

        out = measure(sys.argv[2], trace="--trace" in sys.argv[3:])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out))
