"""1.2.0 - Payment integration: payments (referencing vehicles), vehicles.payment_status.

Depends on 1.0.0 (vehicles is the parent of payments).
"""

from kiosk.schema.steps import apply

VERSION = "1.2.0"

UP = {
    "sqlite": [
        """CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vehicle_id INTEGER NOT NULL,
    amount DECIMAL(10,2) NOT NULL,
    payment_status TEXT NOT NULL,
    payment_method TEXT,
    transaction_id TEXT UNIQUE,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (vehicle_id) REFERENCES vehicles(id)
)""",
        "ALTER TABLE vehicles ADD COLUMN payment_status TEXT",
    ],
}

DOWN = {
    "sqlite": [
        "DROP TABLE payments",
        "ALTER TABLE vehicles DROP COLUMN payment_status",
    ],
}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
