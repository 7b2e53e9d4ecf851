"""1.1.0 - Enhanced vehicle tracking: vehicle type and spot on vehicles, parking_spots.

Depends on 1.0.0 (vehicles). The rollback is the plan's "Quick Rollback".
"""

from kiosk.schema.steps import apply

VERSION = "1.1.0"

UP = {
    "sqlite": [
        "ALTER TABLE vehicles ADD COLUMN vehicle_type TEXT",
        "ALTER TABLE vehicles ADD COLUMN parking_spot TEXT",
        """CREATE TABLE parking_spots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spot_number TEXT UNIQUE NOT NULL,
    vehicle_type TEXT,
    is_occupied BOOLEAN DEFAULT FALSE,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
)""",
    ],
}

DOWN = {
    "sqlite": [
        "ALTER TABLE vehicles DROP COLUMN vehicle_type",
        "ALTER TABLE vehicles DROP COLUMN parking_spot",
        "DROP TABLE parking_spots",
    ],
}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
