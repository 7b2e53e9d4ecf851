"""How long a backup or a receipt file may hold personal data, and which ones hold it too long.

A backup taken at time T holds personal data the database itself keeps until at most
T + retention. It may live for the retention plus the backup window
(system_config.backup_window_days, docs/operations.md); rotation deletes older ones and
`stats` / the alerts flag any that is still there. A receipt file must go when its stay
expires (kiosk.booth.receipts); `stats` flags one whose vehicle's details are already purged.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

DEFAULT_RETENTION_HOURS = 24
DEFAULT_WINDOW_DAYS = 7
_STAMP = re.compile(r"-(\d{8}T\d{6}Z)-v")


@dataclass(frozen=True)
class Limit:
    retention_hours: int
    window_days: int

    @property
    def max_age(self) -> dt.timedelta:
        return dt.timedelta(hours=self.retention_hours, days=self.window_days)

    def text(self) -> str:
        return f"the retention ({self.retention_hours} h) + the backup window ({self.window_days} days)"


def _limit(row) -> Limit:
    hours = row[0] if row and isinstance(row[0], int) and row[0] > 0 else DEFAULT_RETENTION_HOURS
    window = row[1] if row and len(row) > 1 and isinstance(row[1], int) and row[1] >= 0 else DEFAULT_WINDOW_DAYS
    return Limit(hours, window)


def limit_of(database: pw.Database) -> Limit:
    """The database's retention and backup window (the defaults where its schema has none yet)."""
    for sql in ("SELECT retention_hours, backup_window_days FROM system_config ORDER BY id LIMIT 1",
                "SELECT retention_hours FROM system_config ORDER BY id LIMIT 1"):
        try:
            with database.atomic():  # a failed statement must not spoil the caller's transaction (PostgreSQL)
                return _limit(database.execute_sql(sql).fetchone())
        except pw.DatabaseError:
            continue
    return _limit(None)


def limit_of_sqlite(conn: sqlite3.Connection) -> Limit:
    """The same, read on a plain sqlite3 connection (the backup's own read snapshot)."""
    for sql in ("SELECT retention_hours, backup_window_days FROM system_config ORDER BY id LIMIT 1",
                "SELECT retention_hours FROM system_config ORDER BY id LIMIT 1"):
        try:
            return _limit(conn.execute(sql).fetchone())
        except sqlite3.Error:
            continue
    return _limit(None)


def taken_at(path: Path) -> dt.datetime | None:
    """A backup's time, from its name (UTC), as the kiosk names backups and dumps."""
    m = _STAMP.search(path.name)
    if m is None:
        return None
    return dt.datetime.strptime(m[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)


def outliving(paths: list[Path], now: dt.datetime, limit: Limit) -> list[Path]:
    """The backups older than the retention + the backup window."""
    cutoff = now - limit.max_age
    return [p for p in paths if (t := taken_at(p)) is not None and t < cutoff]
