"""Expiry and schema-changing maintenance never run at the same time.

An expiry/archive run (`kiosk --maintenance expire`, the terminal's background
worker) holds a *shared* lock for its whole run; migrate, rollback and restore
need it *exclusively*. Whichever comes second is refused at once, naming the
first (which command, pid, since when): an expiry run under a rollback wrote
into tables being dropped, and one under a restore into the file being replaced.

How the lock is held is the backend's (kiosk.backends): a flock beside a SQLite
file, a session-level advisory lock on PostgreSQL. The kernel (or the server)
drops a dead process's lock, so a killed run never blocks the other kind.
"""

from __future__ import annotations

from typing import ContextManager

import peewee as pw

from ..backends import ExpiryRunning, MaintenanceHoldsDatabase, backend_for


def expiry_running(database: pw.Database, who: str) -> ContextManager[None]:
    """Hold the shared expiry lock for an expiry/archive run; `who` says what runs it
    ('expire' for the command, 'expiry worker of booth X'). Raises MaintenanceHoldsDatabase."""
    return backend_for(database).expiry_running(database, who)


def no_expiry(target, database: pw.Database | None, command: str) -> ContextManager[None]:
    """Hold the expiry lock exclusively for a migrate/rollback/restore; raises ExpiryRunning naming the runs."""
    return backend_for(target).no_expiry(target, database, command)


__all__ = ["ExpiryRunning", "MaintenanceHoldsDatabase", "expiry_running", "no_expiry"]
