"""What differs between the databases the kiosk runs on, chosen once per connection.

`backend_for(db)` (a peewee database, a proxy, or a kiosk.db.Target) gives the one
`Backend` object for that database, the way playhouse.migrate's
`SchemaMigrator.from_database` picks a migrator: call sites ask it instead of
testing which database they are on. Adding a database means one new module here
with a `Backend` subclass, registered in `_BACKENDS`.
"""

from __future__ import annotations

import peewee as pw

from .base import (
    Backend,
    Busy,
    ConnectionLost,
    ExpiryRunning,
    LiveKiosk,
    LockBusy,
    MaintenanceHoldsDatabase,
    MaintenanceRunning,
)
from .postgresql import PostgresqlBackend
from .sqlite import SqliteBackend

SQLITE = SqliteBackend()
POSTGRESQL = PostgresqlBackend()
# Any other peewee database: plain transactions, no row locks, ORM-only batches.
GENERIC = Backend()

# Most specific database class first (a driver's subclass matches its parent).
_BACKENDS: tuple[tuple[type[pw.Database], Backend], ...] = (
    (pw.PostgresqlDatabase, POSTGRESQL),
    (pw.SqliteDatabase, SQLITE),
)
_BY_NAME = {backend.name: backend for _, backend in _BACKENDS}
_BY_TYPE: dict[type, Backend] = {}


def backend_for(thing) -> Backend:
    """The backend of a peewee database (or proxy), or of a target's kind ('sqlite', 'postgresql')."""
    if isinstance(thing, pw.DatabaseProxy):
        thing = thing.obj
    kind = type(thing)
    try:
        return _BY_TYPE[kind]  # one dict lookup on the hot paths
    except KeyError:
        pass
    if isinstance(thing, pw.Database):
        found = next((b for cls, b in _BACKENDS if isinstance(thing, cls)), GENERIC)
        _BY_TYPE[kind] = found
        return found
    name = getattr(thing, "kind", thing)
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise RuntimeError(f"unsupported database {name!r}: the kiosk runs on SQLite or PostgreSQL") from None


__all__ = [
    "GENERIC",
    "POSTGRESQL",
    "SQLITE",
    "Backend",
    "Busy",
    "ConnectionLost",
    "ExpiryRunning",
    "LiveKiosk",
    "LockBusy",
    "MaintenanceHoldsDatabase",
    "MaintenanceRunning",
    "backend_for",
]
