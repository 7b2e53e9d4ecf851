"""Fixed booth data for the Configuration/Activity tests, snapshots and the tmux walkthrough.

Everything goes through Booth (no SQL by hand), with the clock moved to fixed
times: the same calls give the same rows, so snapshots are deterministic.
"""

from __future__ import annotations

import datetime as dt

from staff_support import on_shift

from kiosk.booth import Booth
from kiosk.models import LifecycleRun

PHONE = "07400 123456"
# (days before today, hour, minute, hours parked, method or None = still on site)
VISITS = [
    (4, 8, 10, 3, "cash"), (4, 13, 0, 2, "card"),
    (3, 9, 30, 5, "card"), (3, 11, 0, 1, "cash"), (3, 15, 45, 2, "card"),
    (2, 7, 50, 9, "card"),
    (1, 8, 0, 4, "cash"), (1, 10, 20, 3, "card"), (1, 12, 5, 6, "card"), (1, 17, 0, 1, "cash"),
    (0, 6, 40, 2, "card"), (0, 7, 15, 3, "cash"), (0, 8, 5, None, None), (0, 9, 0, None, None),
    (0, 9, 40, 1, "card"), (0, 10, 30, None, None), (0, 11, 15, None, None),
]


def seed(booth: Booth, clock) -> dict:
    """Registers and pays VISITS relative to the clock's day, in the booth's shift (opened without an
    audit row when none is: tests/staff_support.py); leaves the clock where it was."""
    on_shift(booth)
    now = clock.now()
    midnight = now.replace(hour=0, minute=0, second=0)
    events = []  # (when, order, what): done in time order, so the audit trail reads as it happened
    for i, (days, hour, minute, hours, method) in enumerate(VISITS):
        arrive = midnight - dt.timedelta(days=days) + dt.timedelta(hours=hour, minutes=minute)
        events.append((arrive, 0, i))
        if hours is not None:
            events.append((arrive + dt.timedelta(hours=hours), 1, i))
    stays, paid = {}, 0
    for when, kind, i in sorted(events):
        clock.set(when)
        if kind == 0:
            stays[i] = booth.register(f"SD{i:02d}ABC", "Jane Doe", PHONE, "van" if i % 5 == 4 else "car")
        else:
            method = VISITS[i][4]
            booth.pay(stays.pop(i).stay_id, method, "50" if method == "cash" else None)
            paid += 1
    clock.set(now)
    return {"open": list(stays.values()), "paid": paid}


def fixed_runs(at: dt.datetime) -> None:
    """Two finished lifecycle runs with fixed durations (a live run's ms vary: not for snapshots)."""
    for kind, rows, batches, ms in (("expire", 1500, 3, 412), ("archive", 0, 0, 7)):
        LifecycleRun.insert(kind=kind, status="done", started_at=at, finished_at=at, cutoff=at, rows_done=rows,
                            batches=batches, batch_size=500 if kind == "expire" else 1000, duration_ms=ms,
                            longest_tx_ms=ms // max(batches, 1) if batches else 0, booth_name="Booth").execute()


async def until_ready(pilot, loaded) -> None:
    """Let the app run until `loaded(screen)` holds, the spot feed has been read and no worker is
    left: a snapshot then shows the finished screen, whatever order the workers ended in."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if loaded(app.screen) and app.spots_version >= 1 and all(w.is_finished for w in app.workers):
            await pilot.pause()
            return
    raise AssertionError("the screen did not finish loading")
