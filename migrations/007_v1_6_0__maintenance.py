"""1.6.0 - Maintenance and monitoring: the maintenance_runs record.

Every `kiosk --maintenance` run that changes or checks the database (migrate,
rollback, restore, backup, check) leaves one row: what ran, from which version
to which, when, how long, the outcome, the error, the rows per table before and
after (JSON), the validation findings (JSON) and the checks the operator skipped.
Independent of every other table, so it applies after 1.5.0 and rolls back on
its own. Live kiosks announce themselves with an OS lock beside the database
(kiosk.maintenance.presence), not with rows here, so no table is needed for that.
"""

from kiosk.schema.steps import apply

VERSION = "1.6.0"
DELETES_ROWS = False

UP = {
    "sqlite": [
        """CREATE TABLE maintenance_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT NOT NULL,
    started_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    duration_ms INTEGER,
    from_version TEXT,
    to_version TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'warnings', 'failed', 'refused')),
    error TEXT,
    skipped_checks TEXT,
    backup_path TEXT,
    rows_before TEXT,
    rows_after TEXT,
    findings TEXT
)""",
        "CREATE INDEX idx_maintenance_runs_started_at ON maintenance_runs(started_at)",
    ],
    "postgresql": [
        """CREATE TABLE maintenance_runs (
    id SERIAL PRIMARY KEY,
    command TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    duration_ms INTEGER,
    from_version TEXT,
    to_version TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'warnings', 'failed', 'refused')),
    error TEXT,
    skipped_checks TEXT,
    backup_path TEXT,
    rows_before TEXT,
    rows_after TEXT,
    findings TEXT
)""",
        "CREATE INDEX idx_maintenance_runs_started_at ON maintenance_runs(started_at)",
    ],
}

DOWN = {
    "sqlite": [
        "DROP INDEX idx_maintenance_runs_started_at",
        "DROP TABLE maintenance_runs",
    ],
    "postgresql": [
        "DROP INDEX idx_maintenance_runs_started_at",
        "DROP TABLE maintenance_runs",
    ],
}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
