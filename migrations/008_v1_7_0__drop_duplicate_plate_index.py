"""1.7.0 - Drop idx_vehicles_number_plate, a second index identical to the plate's UNIQUE one.

The plan (1.0.0) declares `number_plate TEXT UNIQUE`, which already builds a
unique index on the column (SQLite's sqlite_autoindex_vehicles_1, PostgreSQL's
vehicles_number_plate_key), and then creates idx_vehicles_number_plate on the
same column. Every plate written (a new car, every row expiry purges) kept both
B-trees; the planners use the unique one for every lookup. Measured (bench/,
issue 8): the expiry UPDATE runs 15-25% faster and a purge batch writes about a
quarter fewer WAL pages without it. The plan's SQL is the contract only for
1.0.0-1.3.0 (tests/test_schema_fidelity.py). Rollback recreates the index as the
plan wrote it. No rows change.
"""

from kiosk.schema.steps import apply

VERSION = "1.7.0"
DELETES_ROWS = False

UP = {
    "sqlite": ["DROP INDEX idx_vehicles_number_plate"],
    "postgresql": ["DROP INDEX idx_vehicles_number_plate"],
}

DOWN = {
    "sqlite": ["CREATE INDEX idx_vehicles_number_plate ON vehicles(number_plate)"],
    "postgresql": ["CREATE INDEX idx_vehicles_number_plate ON vehicles(number_plate)"],
}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
