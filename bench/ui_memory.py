"""Where the terminal's peak memory goes: resident memory after each stage of a kiosk start, in one process.

    python -m bench.ui_child memory DB           # stages, SQLite's own heap, resident memory by mapping
    python -m bench.ui_child memory DB --trace   # the same under tracemalloc, plus the largest Python allocations

The stages follow `kiosk.cli.build_terminal` and the app's start: the interpreter (with this module's own
imports, as the minimal app has them), Textual, then each library and kiosk layer the terminal imports (imported
here one by one, in the order the start imports them, so each one's cost is its own), the database opened and
checked with the first spot read (`build_terminal`, every import already done), the first usable screen, the
spot map open, and the background the app starts once the first read is on screen (the maintenance alerts
check, the phone rules, the large type). Figures are VmRSS after the stage (and VmHWM, the peak so far); the
parent turns them into ratios against the minimal app measured in the same run. Under --trace every figure is
inflated by tracemalloc's own bookkeeping: use that run for the allocations, not the totals.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import os
import sys
import time

# Each kiosk import stage: (label, modules). Third-party libraries first, so a kiosk layer's figure is its own.
IMPORTS = (
    ("peewee + sqlite3", ("sqlite3", "peewee")),
    ("click + kiosk CLI, db, backends", ("click", "kiosk.__main__", "kiosk.cli", "kiosk.db")),
    ("kiosk.startup (schema runner, migration files)", ("kiosk.startup", "kiosk.schema.files")),
    ("argon2 + kiosk.booth (models, rules, facade)", ("argon2", "kiosk.booth")),
    ("kiosk.tui (app, services, presence)", ("kiosk.tui.app", "kiosk.tui.services", "kiosk.maintenance.presence")),
)
BACKGROUND_GROUPS = ("alerts", "warm-up")


def _status() -> dict:
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


class Stages:
    def __init__(self):
        self.rows: list[dict] = []

    def mark(self, stage: str) -> None:
        import tracemalloc

        s = _status()
        row = {"stage": stage, "rss_mb": s["VmRSS"], "hwm_mb": s["VmHWM"], "anon_mb": s["RssAnon"], "file_mb": s["RssFile"]}
        if tracemalloc.is_tracing():  # live Python objects now, and their peak so far
            now, peak = tracemalloc.get_traced_memory()
            row.update(python_mb=round(now / 2**20, 1), python_peak_mb=round(peak / 2**20, 1))
        self.rows.append(row)


def _sqlite_heap() -> dict:
    """SQLite's own allocations (page caches of every connection, schemas, statements): sqlite3_memory_used
    and its high-water mark, read from the libsqlite3 this process loaded (None if it is linked in statically)."""
    path = next((line.split()[-1] for line in open("/proc/self/maps") if "libsqlite3" in line), None)
    if path is None:
        return {"used_mb": None, "peak_mb": None}
    lib = ctypes.CDLL(path)
    lib.sqlite3_memory_used.restype = lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    return {"used_mb": round(lib.sqlite3_memory_used() / 2**20, 2),
            "peak_mb": round(lib.sqlite3_memory_highwater(0) / 2**20, 2)}


def _mappings(db: str) -> dict:
    """Resident memory by what is mapped: the database file (memory-mapped pages count in RSS), its -shm
    (the WAL index), shared libraries, Python's and SQLite's heap (anonymous memory), everything else."""
    db = os.path.realpath(db)
    groups = {"database file (mmap)": 0, "database -shm (WAL index)": 0, "shared libraries": 0,
              "heap (anonymous)": 0, "other files": 0}
    name = ""
    for line in open("/proc/self/smaps"):
        head = line.split()
        if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            name = head[5] if len(head) > 5 else ""
        elif head[0] == "Rss:":
            kb = int(head[1])
            if name == db:
                groups["database file (mmap)"] += kb
            elif name == db + "-shm":
                groups["database -shm (WAL index)"] += kb
            elif ".so" in name:
                groups["shared libraries"] += kb
            elif not name or name.startswith("["):
                groups["heap (anonymous)"] += kb
            else:
                groups["other files"] += kb
    return {k: round(v / 1024, 1) for k, v in groups.items()}


def _pragmas(database) -> dict:
    """The terminal connection's page cache and mmap settings (SQLite only; {} elsewhere)."""
    try:
        return {p: database.execute_sql(f"PRAGMA {p}").fetchone()[0] for p in ("cache_size", "mmap_size", "page_size")}
    except Exception:  # noqa: BLE001 - PostgreSQL has no such PRAGMAs: nothing to report
        return {}


def _top_allocations(snapshot, limit: int = 12) -> dict:
    """Live Python memory by package (the frame that allocated it) and the largest single lines."""
    import tracemalloc

    by_file = snapshot.statistics("filename")
    packages: dict[str, int] = {}
    for stat in by_file:
        path = stat.traceback[0].filename
        parts = path.split("site-packages/")
        if len(parts) > 1:
            key = parts[1].split("/")[0].removesuffix(".py")
        elif "/kiosk/" in path:
            key = "kiosk." + path.split("/kiosk/")[-1].split("/")[0].removesuffix(".py")
        elif "/bench/" in path:
            key = "bench"
        else:
            key = "stdlib/other"
        packages[key] = packages.get(key, 0) + stat.size
    lines = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)]).statistics("lineno")
    return {"total_mb": round(sum(s.size for s in by_file) / 2**20, 2),
            "by_package_mb": {k: round(v / 2**20, 2) for k, v in sorted(packages.items(), key=lambda kv: -kv[1])[:limit]},
            "top_lines": [{"where": f"{s.traceback[0].filename.split('site-packages/')[-1]}:{s.traceback[0].lineno}",
                           "mb": round(s.size / 2**20, 2), "count": s.count} for s in lines[:limit]]}


def measure(db: str, trace: bool = False) -> dict:
    from .ui_child import FREE_TOTAL, Frames, _until_usable

    if trace:
        import tracemalloc

        tracemalloc.start()
    st = Stages()
    st.mark("interpreter")
    import textual.app  # noqa: F401
    from textual.widgets import Footer, Header, Input, Label  # noqa: F401 - what the minimal app imports

    st.mark("Textual (the minimal app's imports)")
    for label, modules in IMPORTS:
        for module in modules:
            importlib.import_module(module)
        st.mark(label)
    from .ui_child import reset_peak, signed_in_terminal

    def mark(stage: str) -> None:
        if stage == "signed in":
            st.mark("first manager created and signed in (its Argon2id PIN hash)")
            out["argon2_hwm_mb"] = st.rows[-1]["hwm_mb"]
            reset_peak()  # the hash's 64 MiB is gone again: later peaks are the terminal's own
        else:
            st.mark(stage)

    out: dict = {}
    app, presence = signed_in_terminal(db, "map", mark)
    st.mark("app built, first spot read")
    presence.__enter__()
    from kiosk.tui.screens.spot_map import SpotMapScreen

    def usable(text: str) -> bool:
        return isinstance(app.screen, SpotMapScreen) and app.screen.is_mounted and FREE_TOTAL.search(text) is not None

    frames = Frames(app, usable)
    app._display = frames

    async def main():
        async with app.run_test(size=(160, 48)) as pilot:
            await _until_usable(frames, pilot)
            await pilot.pause(0.2)
            st.mark("first usable screen: the spot map")
            # What the app starts once the first read is on screen, as every start does.
            end = time.time() + 30
            while time.time() < end and not (app._background_started and not any(
                    w.group in BACKGROUND_GROUPS and not w.is_finished for w in app.workers)):
                await pilot.pause(0.05)
            st.mark("background (alerts check, phone rules, large type)")
            await pilot.press("down", "down", "pagedown", "end", "home")  # drawn past its first screenful
            await pilot.pause(0.2)
            st.mark("spot map scrolled to the end and back")
            await pilot.press("f1")
            await pilot.pause(0.3)
            st.mark("Entry screen opened too")
            out["sqlite_heap"] = _sqlite_heap()
            out["pragmas"] = _pragmas(app.database)
            out["mappings_mb"] = _mappings(db)
            if trace:
                out["python"] = _top_allocations(tracemalloc.take_snapshot())
                out["python"]["peak_traced_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)

    asyncio.run(main())
    presence.__exit__(None, None, None)
    out["stages"] = st.rows
    # The terminal's own peak: every stage's peak but the sign-in's, whose Argon2id buffer is reported apart.
    signed = next(i for i, r in enumerate(st.rows) if r["stage"].startswith("first manager"))
    out["peak_mb"] = max(r["hwm_mb"] for i, r in enumerate(st.rows) if i != signed)
    out["argon2_mb"] = round(out["argon2_hwm_mb"] - st.rows[signed - 1]["hwm_mb"], 1)
    out["modules"] = len(sys.modules)
    return out
