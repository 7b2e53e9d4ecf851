"""Databases as sites built them by hand, with no kiosk history (no tests here).

SQLite: the migration plan's own SQL, executed verbatim from the committed copy (tests/data).
PostgreSQL: the kiosk's own PostgreSQL DDL of each version (the migration files' UP SQL), run
directly, so no history table is made. Both take the versions in the order given (a DBA who
applied 1.2.0 before 1.1.0 has vehicles' columns in another order) and an `edit` of each text.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from schema_tools import PLAN_VERSIONS, plan_blocks

from kiosk.schema.files import load_migrations

FILES = load_migrations()
LATEST = FILES[-1].version_text
BY_VERSION = {f.version_text: f for f in FILES}


def upto(version: str) -> list[str]:
    return PLAN_VERSIONS[: PLAN_VERSIONS.index(version) + 1]


def build(target, version: str | None = None, *, order: list[str] | None = None, edit=lambda text: text) -> None:
    versions = order or upto(version or PLAN_VERSIONS[-1])
    if target.is_sqlite:
        blocks = plan_blocks()
        with closing(sqlite3.connect(target.path)) as conn:
            for v in versions:
                for block in blocks[v]:
                    conn.executescript(edit(block))
            conn.commit()
    else:
        execute(target, *[edit(sql) for v in versions for sql in BY_VERSION[v].up["postgresql"]])


def execute(target, *statements: str) -> None:
    if target.is_sqlite:
        with closing(sqlite3.connect(target.path)) as conn:
            for sql in statements:
                conn.executescript(sql)
            conn.commit()
    else:
        import psycopg

        with psycopg.connect(target.raw, autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)


def rows(target, query: str) -> list[tuple]:
    if target.is_sqlite:
        with closing(sqlite3.connect(target.path)) as conn:
            return conn.execute(query).fetchall()
    import psycopg

    with psycopg.connect(target.raw) as conn:
        return conn.execute(query).fetchall()


def state(target) -> str:
    """Something that changes whenever the database does: the file's bytes, or on PostgreSQL every
    table's rows and the whole catalog the kiosk compares."""
    if target.is_sqlite:  # not the bytes: a kiosk opening the file puts it in WAL mode (the header changes)
        with closing(sqlite3.connect(target.path)) as conn:
            schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
            data = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for _k, t, _s in schema if _k == "table"}
        return repr((schema, data))
    from kiosk.db import connect
    from kiosk.maintenance import schema_catalog

    db = connect(target, readonly=True)
    try:
        tables = sorted(db.get_tables())
        data = {t: db.execute_sql(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
        return repr((sorted(schema_catalog.describe(db).items()), data))
    finally:
        db.close()


# Realistic rows of each plan version: a car on site (pending), one that paid (twice, once a
# DECIMAL amount that is not a whole number of cents), a van on site, spots and rates.
SEED = {
    "1.0.0": [
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp) VALUES "
        "('AB12CDE', 'Jane Doe', '+447700900123', '2026-11-24 08:00:00'), "
        "('XY34ZZZ', 'Jim Roe', '+447700900124', '2026-11-24 07:00:00')",
        "INSERT INTO audit_logs (action, entity, entity_id, details) VALUES ('entry', 'vehicle', '1', '{}')",
    ],
    "1.1.0": [
        "UPDATE vehicles SET vehicle_type = 'car', parking_spot = 'A01' WHERE number_plate = 'AB12CDE'",
        "UPDATE vehicles SET vehicle_type = 'car', parking_spot = 'A02' WHERE number_plate = 'XY34ZZZ'",
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, parking_spot) "
        "VALUES ('VN55VAN', 'Ann Poe', '+447700900125', '2026-11-24 09:30:00', 'van', 'B01')",
        "INSERT INTO parking_spots (spot_number, vehicle_type, is_occupied) VALUES "
        "('A01', 'car', TRUE), ('A02', 'car', TRUE), ('A03', 'car', FALSE), ('B01', 'van', TRUE), ('B02', 'van', FALSE)",
    ],
    "1.2.0": [
        "UPDATE vehicles SET payment_status = 'pending' WHERE number_plate IN ('AB12CDE', 'VN55VAN')",
        "UPDATE vehicles SET payment_status = 'paid' WHERE number_plate = 'XY34ZZZ'",
        "UPDATE parking_spots SET is_occupied = FALSE WHERE spot_number = 'A02'",
        "INSERT INTO payments (vehicle_id, amount, payment_status, payment_method, transaction_id, created_at) VALUES "
        "(2, 12.345, 'paid', 'cash', 'T-1', '2026-11-24 10:00:00'), (2, 0.3, 'paid', 'card', 'T-2', '2026-11-24 10:05:00')",
    ],
    "1.3.0": [
        "INSERT INTO parking_rates (vehicle_type, rate_per_hour, minimum_hours) VALUES ('car', 2.50, 1), ('van', 4.00, 2)",
    ],
}


def seed(target, version: str) -> None:
    execute(target, *[sql for v in upto(version) for sql in SEED[v]])


def plan_site(target, version: str, **kw) -> str:
    """A site at `version` with its rows; returns the --db argument."""
    build(target, version, **kw)
    seed(target, version)
    return target.raw


def no_traceback(result):
    assert "Traceback" not in result.out + result.err, result.out + result.err
    return result


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


PG_TRIGGER = [
    "CREATE FUNCTION wipe_payments() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM vehicles; RETURN NULL; END $$",
    "CREATE TRIGGER wipe AFTER INSERT ON audit_logs FOR EACH STATEMENT EXECUTE FUNCTION wipe_payments()",
]
SQLITE_TRIGGER = ["CREATE TRIGGER wipe AFTER INSERT ON audit_logs BEGIN DELETE FROM vehicles; END"]
