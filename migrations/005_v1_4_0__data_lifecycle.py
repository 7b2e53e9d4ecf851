"""1.4.0 - Data lifecycle: audit_logs_archive and the plan's composite index.

audit_logs_archive has audit_logs' columns in the same order, so the plan's
`INSERT INTO audit_logs_archive SELECT * FROM audit_logs ...` works verbatim.
Its id is a plain INTEGER PRIMARY KEY: ids are copied, never generated.
Depends on 1.0.0 (audit_logs) and 1.2.0 (vehicles.payment_status in the index).
Rolling back moves archived rows back into audit_logs, so no audit row is lost.
"""

from kiosk.schema.steps import apply

VERSION = "1.4.0"

# PostgreSQL: TIMESTAMP (no time zone) holding UTC, like SQLite's CURRENT_TIMESTAMP text.
# The default converts explicitly, so a psql session in another time zone still writes
# UTC, and truncates to whole seconds as SQLite's CURRENT_TIMESTAMP does.
PG_NOW = "date_trunc('second', CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"

UP = {
    "sqlite": [
        """CREATE TABLE audit_logs_archive (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    details TEXT
)""",
        "CREATE INDEX idx_audit_logs_archive_timestamp ON audit_logs_archive(timestamp)",
        "CREATE INDEX idx_vehicles_status_timestamp ON vehicles(payment_status, entry_timestamp)",
    ],
    "postgresql": [
        f"""CREATE TABLE audit_logs_archive (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    timestamp TIMESTAMP NOT NULL DEFAULT {PG_NOW},
    details TEXT
)""",
        "CREATE INDEX idx_audit_logs_archive_timestamp ON audit_logs_archive(timestamp)",
        "CREATE INDEX idx_vehicles_status_timestamp ON vehicles(payment_status, entry_timestamp)",
    ],
}

DOWN = {
    "sqlite": [
        "DROP INDEX idx_vehicles_status_timestamp",
        "INSERT INTO audit_logs SELECT * FROM audit_logs_archive",
        "DROP TABLE audit_logs_archive",
    ],
    "postgresql": [
        "DROP INDEX idx_vehicles_status_timestamp",
        "INSERT INTO audit_logs SELECT * FROM audit_logs_archive",
        "DROP TABLE audit_logs_archive",
    ],
}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
