"""1.0.0 - Initial schema: vehicles, system_config (with its default row), audit_logs.

The SQL is the migration plan's, verbatim.
"""

from kiosk.schema.steps import apply

VERSION = "1.0.0"

UP = {
    "sqlite": [
        """CREATE TABLE vehicles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number_plate TEXT UNIQUE NOT NULL,
    contact_name TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    entry_timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
)""",
        "CREATE INDEX idx_vehicles_number_plate ON vehicles(number_plate)",
        "CREATE INDEX idx_vehicles_entry_timestamp ON vehicles(entry_timestamp)",
        """CREATE TABLE system_config (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retention_hours INTEGER NOT NULL DEFAULT 24,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
)""",
        "INSERT INTO system_config (retention_hours) VALUES (24)",
        """CREATE TABLE audit_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    details TEXT
)""",
        "CREATE INDEX idx_audit_logs_timestamp ON audit_logs(timestamp)",
        "CREATE INDEX idx_audit_logs_entity ON audit_logs(entity, entity_id)",
    ],
}

DOWN = {
    "sqlite": [
        "DROP TABLE audit_logs",
        "DROP TABLE system_config",
        "DROP TABLE vehicles",
    ],
}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
