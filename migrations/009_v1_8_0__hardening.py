"""1.8.0 - Hardening: the site's time zone, the backup window, and notes that expire.

- system_config.time_zone: the IANA zone times are shown in (screens, receipts,
  reports). '' means the booth machine's own zone. Times are still stored in UTC.
- system_config.backup_window_days: a backup may hold personal data for at most
  retention + this many days; older backups are removed by rotation and flagged.
- stays.note: the free text an attendant types with a refund or a closed overstay.
  It is personal data (it may name a person), so it lives with the stay and expiry
  removes it with the vehicle's details; the audit trail keeps only a reason code.
Rollback drops the three columns; no row is removed.
"""

from kiosk.schema.steps import apply

VERSION = "1.8.0"
DELETES_ROWS = False

_COLUMNS = [
    ("system_config", "time_zone", "TEXT NOT NULL DEFAULT ''"),
    ("system_config", "backup_window_days", "INTEGER NOT NULL DEFAULT 7"),
    ("stays", "note", "TEXT"),
]

_ADD = [f"ALTER TABLE {table} ADD COLUMN {name} {decl}" for table, name, decl in _COLUMNS]
_DROP = [f"ALTER TABLE {table} DROP COLUMN {name}" for table, name, _decl in reversed(_COLUMNS)]

UP = {"sqlite": list(_ADD), "postgresql": list(_ADD)}
DOWN = {"sqlite": list(_DROP), "postgresql": list(_DROP)}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
