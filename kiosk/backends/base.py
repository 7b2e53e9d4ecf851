"""The interface every database backend offers, with the behaviour of a plain database.

A subclass overrides what its database does differently; what it does not
override is what any peewee database supports: one transaction per write, no
row locks, a range for a prefix, batches written through the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

import peewee as pw

from ..errors import ErrorCode, KioskError

T = TypeVar("T")


class Busy(Exception):
    """The write lock could not be had before the deadline; nothing was changed."""


class ConnectionLost(Exception):
    """The server went away during a write, which may or may not have been saved."""


class Unsupported(KioskError):
    """The database kind has no way to do what the kiosk asked: the kiosk's targets are SQLite
    files and PostgreSQL URLs; any other peewee database gets plain transactions only."""

    exit_code = 2
    code = ErrorCode.BAD_TARGET

    def __init__(self, kind: str, what: str):
        super().__init__(f"a {kind} database cannot {what}: the kiosk runs on SQLite or PostgreSQL")


class LockBusy(KioskError):
    """Another maintenance run holds the database's maintenance lock."""

    exit_code = 3
    code = ErrorCode.LOCKED


class MaintenanceHoldsDatabase(KioskError):
    """An expiry run was refused: a migrate, rollback or restore holds the database."""

    exit_code = 3
    code = ErrorCode.MAINTENANCE_RUNNING


class ExpiryRunning(KioskError):
    """A migrate, rollback or restore was refused: an expiry/archive run is under way."""

    exit_code = 3
    code = ErrorCode.EXPIRY_RUNNING


class MaintenanceRunning(KioskError):
    """A kiosk tried to start while maintenance holds the database."""

    code = ErrorCode.MAINTENANCE_RUNNING


@dataclass(frozen=True)
class LiveKiosk:
    booth: str
    pid: int | None
    host: str
    since: str

    def describe(self) -> str:
        pid = f" pid {self.pid}" if self.pid else ""
        return f"booth '{self.booth}' ({self.host}{pid}, since {self.since} UTC)"


UNKNOWN_KIOSK = LiveKiosk("unknown", None, "unknown host", "?")


def expiry_refusal(holder: str) -> str:
    return (f"maintenance is changing the database ({holder}): expiry was not started and nothing was changed; "
            "it runs again once maintenance has finished")


def expiry_running_refusal(holders: str) -> str:
    return (f"an expiry/archive run is under way ({holders}): wait for it to finish (Ctrl-C stops the "
            "expire command) and try again")


class Backend:
    name = "generic"
    # The SQL of kiosk.booth.sql statements gets their row-lock / RETURNING suffix.
    row_locks = False
    # Expiry and archive run as many short statements per batch in a worker session that
    # hands the one write lock to waiting booths (a single-writer database); otherwise
    # one ORM statement per batch, rows locked with SKIP LOCKED.
    single_writer = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # ------------------------------------------------------------------ connections
    def open(self, target, readonly: bool = False, role: str | None = None) -> pw.Database:
        """A new connection to `target` (a kiosk.db.Target), not yet bound to the models."""
        raise Unsupported(self.name, "open a connection")

    # ----------------------------------------------------------------------- writes
    def write(self, db: pw.Database, fn: Callable[[], T], deadline_s: float, worker: bool) -> T:
        """Run fn() in one new write transaction, retried as this database needs.

        Raises Busy when the deadline passes, ConnectionLost when the server went away."""
        with db.atomic():
            return fn()

    def connection_lost(self, db: pw.Database, exc: BaseException) -> bool:
        """True (and the dead connection closed) when `exc` means the server went away."""
        return False

    # ------------------------------------------------------------------- migrations
    def foreign_keys_off(self, db: pw.Database) -> None:
        """Before a migration's transaction: stop enforcing foreign keys where a step that
        rebuilds a parent table needs it (see kiosk.schema.router)."""

    def check_foreign_keys(self, db: pw.Database) -> None:
        """Inside the migration's transaction, before it commits: raise if a row breaks a foreign key
        while enforcement was off."""

    def foreign_keys_on(self, db: pw.Database) -> None:
        """After the migration's transaction: enforce foreign keys again."""

    # ------------------------------------------------------------------------ locks
    def maintenance_lock(self, target, database: pw.Database, wait_seconds: float, on_wait=None):
        """One maintenance run at a time per database (peewee-migrate has none: two runs started
        together would both apply a migration). A context manager; raises LockBusy after
        `wait_seconds`, and calls `on_wait(message)` once when it has to wait. The holder's
        death releases it, so a killed run never blocks the next."""
        raise Unsupported(self.name, "hold the maintenance lock")

    def expiry_running(self, database: pw.Database, who: str):
        """A context manager: the shared expiry lock for an expiry/archive run (see
        kiosk.schema.exclusion). Raises MaintenanceHoldsDatabase."""
        raise Unsupported(self.name, "hold the expiry lock")

    def no_expiry(self, target, database: pw.Database | None, command: str):
        """A context manager: the expiry lock held exclusively for a migrate/rollback/restore.
        Raises ExpiryRunning naming the runs."""
        raise Unsupported(self.name, "hold the expiry lock")

    def announce(self, target, database: pw.Database | None, me: LiveKiosk):
        """A context manager: `me` visible to maintenance while the block runs (see
        kiosk.maintenance.presence). Raises MaintenanceRunning."""
        raise Unsupported(self.name, "see the running kiosks")

    def live_kiosks(self, target, database: pw.Database | None) -> list[LiveKiosk]:
        """The kiosks running on this database now (empty when none)."""
        raise Unsupported(self.name, "see the running kiosks")

    def exclusive(self, target, database: pw.Database | None):
        """A context manager holding the database against kiosks; yields the live ones if any
        (then the lock is not held)."""
        raise Unsupported(self.name, "see the running kiosks")

    def locked(self, query: pw.Select, skip_locked: bool = False) -> pw.Select:
        """`query` with its rows locked until the transaction ends, where the database needs it."""
        return query

    def lock(self, query: pw.Select) -> None:
        """Lock the rows `query` selects until the transaction ends, where the database needs it."""

    # -------------------------------------------------------------------------- SQL
    def prefix_match(self, field: pw.Field, prefix: str):
        """`field` starts with `prefix` (plate characters only: kiosk.booth.plates.ALPHABET).

        A range on the column's index: U+10FFFF sorts after every character in a
        binary collation of UTF-8, Ä and Ž included."""
        return (field >= prefix) & (field < prefix + "\U0010ffff")

    def ordered_concat(self, entry, separator: str, order_by, model: type[pw.Model]):
        """One text: `entry` of every row of `model` in `order_by` order, joined by `separator`.

        Through an ordered subquery, for databases without ORDER BY inside the aggregate
        (SQLite before 3.44)."""
        rows = model.select(entry.alias("entry")).order_by(order_by)
        return rows.select_from(pw.fn.group_concat(rows.c.entry, separator))

    def insert_id(self, db: pw.Database, sql: str, params: tuple) -> int:
        """Run an INSERT of one row (placeholders already in the driver's style); the new row's id."""
        return db.execute_sql(sql, params).lastrowid

    # -------------------------------------------------------------- size and plans
    def table_sizes(self, db: pw.Database) -> tuple[list[dict], list[dict], str]:
        """Rows and bytes per table, bytes per index, and where the bytes come from."""
        return [], [], "n/a"

    def plan(self, db: pw.Database, sql: str, params: tuple) -> list[str]:
        """How the database would run `sql`, one line per step (raises like the query would)."""
        return []

    # ------------------------------------------------------------------------ files
    def full_where(self, db: pw.Database) -> str:
        """Where space must be freed when the database is full."""
        return "the database server's disk"

    def db_file(self, db: pw.Database) -> Path | None:
        """The database's own file on this machine; None for a server or in-memory database."""
        return None
