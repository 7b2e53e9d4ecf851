"""Which kiosks are running on a database, so maintenance never runs under them.

Every running kiosk holds a *shared* presence lock for as long as it runs and
leaves its name (booth, pid, host, since) where maintenance can read it;
maintenance probes with a non-blocking *exclusive* lock: it gets it only when no
kiosk holds the shared one. While maintenance holds the exclusive lock
(`exclusive()`), a kiosk that starts is refused.

How is the backend's (kiosk.backends): a flock on `<db>.presence` and info
files in `<db>.presence.d/` beside a SQLite file; a session-level advisory lock
and the session's application_name on PostgreSQL. The kernel (or the server)
drops a dead process's lock, so a crashed kiosk never blocks maintenance.
"""

from __future__ import annotations

import os
import socket
from typing import ContextManager

import peewee as pw

from ..backends import LiveKiosk, MaintenanceRunning, backend_for
from ..clock import SystemClock, to_sqlite_text
from ..db import Target


def announce(target: Target, database: pw.Database | None, booth_name: str) -> ContextManager[LiveKiosk]:
    """Make this kiosk visible to maintenance for as long as the block runs."""
    me = LiveKiosk(booth=booth_name, pid=os.getpid(), host=socket.gethostname(), since=to_sqlite_text(SystemClock().now()))
    return backend_for(target).announce(target, database, me)


def live_kiosks(target: Target, database: pw.Database | None = None) -> list[LiveKiosk]:
    """The kiosks running on this database now (empty when none)."""
    return backend_for(target).live_kiosks(target, database)


def exclusive(target: Target, database: pw.Database | None = None) -> ContextManager[list[LiveKiosk]]:
    """Hold the database against kiosks for the block; yields the live ones if any.

    When the list is not empty the lock is *not* held and the caller must refuse.
    """
    return backend_for(target).exclusive(target, database)


__all__ = ["LiveKiosk", "MaintenanceRunning", "announce", "exclusive", "live_kiosks"]
