"""1.3.0 - Rate configuration: parking_rates. Independent of 1.1.0 and 1.2.0."""

from kiosk.schema.steps import apply

VERSION = "1.3.0"

UP = {
    "sqlite": [
        """CREATE TABLE parking_rates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vehicle_type TEXT NOT NULL,
    rate_per_hour DECIMAL(10,2) NOT NULL,
    minimum_hours INTEGER DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
)""",
    ],
}

DOWN = {
    "sqlite": ["DROP TABLE parking_rates"],
}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
