"""1.5.0 - Booth rules: stays, exact money on payments, rate grace/cap, config, lifecycle runs.

Depends on 1.0.0-1.4.0. What it adds, and why:
- `stays`: one row per visit (vehicles.number_plate stays UNIQUE, as the plan
  says, so a returning plate reuses its vehicles row and keeps its history here).
  Existing vehicles are backfilled as one stay each.
- payments: `stay_id`, exact `amount_cents` (DECIMAL is a float on SQLite), the
  applied rate and fee breakdown, cash tendered/change, `refund_of`.
- parking_rates: `grace_minutes`, `daily_cap_cents`, one rate per vehicle type
  (duplicates are reduced to the newest row before the unique index).
- system_config: archive age, booth name, phone region, currency, batch sizes.
- vehicles.purged_at: set when expiry removes a closed stay's personal data.
- lifecycle_runs: what each expiry/archive run did.
- A fresh database gets a default layout and rates (only when none exist).
The rollback rebuilds payments (SQLite cannot drop a REFERENCES column) and
keeps every row the 1.4.0 schema can hold.
"""

from kiosk.schema.steps import apply

VERSION = "1.5.0"

# PostgreSQL, as in 1.0.0-1.4.0: identity keys, TIMESTAMP holding UTC whatever the
# session's time zone, truncated to whole seconds like SQLite's CURRENT_TIMESTAMP.
PG_NOW = "date_trunc('second', CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"

_PAYMENT_COLUMNS = [
    ("stay_id", "INTEGER REFERENCES stays(id)", "INTEGER CONSTRAINT fk_payments_stay REFERENCES stays(id)"),
    ("amount_cents", "INTEGER", "INTEGER"),
    ("refund_of", "INTEGER REFERENCES payments(id)", "INTEGER CONSTRAINT fk_payments_refund_of REFERENCES payments(id)"),
    ("tendered_cents", "INTEGER", "INTEGER"),
    ("change_cents", "INTEGER", "INTEGER"),
    ("rate_cents", "INTEGER", "INTEGER"),
    ("minimum_hours", "INTEGER", "INTEGER"),
    ("minutes", "INTEGER", "INTEGER"),
    ("hours_started", "INTEGER", "INTEGER"),
    ("hours_charged", "INTEGER", "INTEGER"),
    ("grace_minutes", "INTEGER", "INTEGER"),
    ("daily_cap_cents", "INTEGER", "INTEGER"),
    ("booth_name", "TEXT", "TEXT"),
]

_CONFIG_COLUMNS = [
    ("archive_days", "INTEGER NOT NULL DEFAULT 90"),
    ("booth_name", "TEXT NOT NULL DEFAULT 'Booth'"),
    ("phone_region", "TEXT NOT NULL DEFAULT 'GB'"),
    ("currency_symbol", "TEXT NOT NULL DEFAULT '£'"),
    ("expiry_batch_size", "INTEGER NOT NULL DEFAULT 500"),
    ("archive_batch_size", "INTEGER NOT NULL DEFAULT 1000"),
]

_STAYS = """CREATE TABLE stays (
    id {pk},
    vehicle_id INTEGER NOT NULL {fk_vehicle}REFERENCES vehicles(id),
    spot_number TEXT,
    vehicle_type TEXT,
    entry_timestamp {ts} NOT NULL DEFAULT {now},
    exit_timestamp {ts},
    status TEXT NOT NULL DEFAULT 'open' {ck}CHECK (status IN ('open', 'paid', 'departed')),
    closed_reason TEXT,
    created_at {ts} NOT NULL DEFAULT {now},
    updated_at {ts} NOT NULL DEFAULT {now}
)"""

_LIFECYCLE_RUNS = """CREATE TABLE lifecycle_runs (
    id {pk},
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at {ts} NOT NULL,
    finished_at {ts} NOT NULL,
    cutoff {ts},
    rows_done INTEGER NOT NULL DEFAULT 0,
    batches INTEGER NOT NULL DEFAULT 0,
    batch_size INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    longest_tx_ms INTEGER NOT NULL,
    booth_name TEXT,
    message TEXT
)"""

# Legacy vehicles become one stay each: paid ones closed, the newest unpaid one
# per spot open, any older unpaid one on the same spot closed as superseded.
_BACKFILL_STAYS = """INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, exit_timestamp, status, closed_reason, created_at, updated_at)
SELECT v.id, v.parking_spot, v.vehicle_type, v.entry_timestamp,
       (SELECT MAX(p.created_at) FROM payments p WHERE p.vehicle_id = v.id),
       CASE WHEN v.payment_status = 'paid' THEN 'paid'
            WHEN v.parking_spot IS NOT NULL AND EXISTS (
                SELECT 1 FROM vehicles w WHERE w.parking_spot = v.parking_spot AND w.id > v.id
                AND COALESCE(w.payment_status, '') <> 'paid') THEN 'departed'
            ELSE 'open' END,
       CASE WHEN v.payment_status = 'paid' THEN NULL
            WHEN v.parking_spot IS NOT NULL AND EXISTS (
                SELECT 1 FROM vehicles w WHERE w.parking_spot = v.parking_spot AND w.id > v.id
                AND COALESCE(w.payment_status, '') <> 'paid') THEN 'superseded at schema 1.5.0'
            ELSE NULL END,
       v.created_at, v.updated_at
FROM vehicles v ORDER BY v.id"""

_BACKFILL_PAYMENTS = """UPDATE payments SET
    stay_id = (SELECT MAX(s.id) FROM stays s WHERE s.vehicle_id = payments.vehicle_id),
    amount_cents = CAST(ROUND(amount * 100) AS INTEGER)"""

_DEDUPE_RATES = "DELETE FROM parking_rates WHERE id NOT IN (SELECT MAX(id) FROM parking_rates GROUP BY vehicle_type)"

_SEED_RATES = {
    "sqlite": """INSERT INTO parking_rates (vehicle_type, rate_per_hour, minimum_hours, grace_minutes)
SELECT d.t, d.r, 1, 0 FROM (SELECT 1 AS k, 'car' AS t, '2.50' AS r UNION ALL SELECT 2, 'van', '4.00'
UNION ALL SELECT 3, 'motorcycle', '1.20') AS d
WHERE NOT EXISTS (SELECT 1 FROM parking_rates) ORDER BY d.k""",
    "postgresql": """INSERT INTO parking_rates (vehicle_type, rate_per_hour, minimum_hours, grace_minutes)
SELECT d.t, d.r, 1, 0 FROM (VALUES (1, 'car', 2.50), (2, 'van', 4.00), (3, 'motorcycle', 1.20)) AS d(k, t, r)
WHERE NOT EXISTS (SELECT 1 FROM parking_rates) ORDER BY d.k""",
}

_SEED_SPOTS = {
    # SQLite materialises an INSERT ... SELECT that reads its own table first, so
    # NOT EXISTS sees the table as it was before the statement (as PostgreSQL does).
    "sqlite": """INSERT INTO parking_spots (spot_number, vehicle_type, is_occupied)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
SELECT z.prefix || printf('%02d', n.i), z.kind, 0
FROM (SELECT 1 AS k, 'A' AS prefix, 'car' AS kind, 30 AS cnt UNION ALL SELECT 2, 'B', 'van', 4
      UNION ALL SELECT 3, 'M', 'motorcycle', 6) AS z JOIN n ON n.i <= z.cnt
WHERE NOT EXISTS (SELECT 1 FROM parking_spots) ORDER BY z.k, n.i""",
    "postgresql": """INSERT INTO parking_spots (spot_number, vehicle_type, is_occupied)
SELECT z.prefix || lpad(n.i::text, 2, '0'), z.kind, FALSE
FROM (VALUES (1, 'A', 'car', 30), (2, 'B', 'van', 4), (3, 'M', 'motorcycle', 6)) AS z(k, prefix, kind, cnt)
JOIN generate_series(1, 30) AS n(i) ON n.i <= z.cnt
WHERE NOT EXISTS (SELECT 1 FROM parking_spots) ORDER BY z.k, n.i""",
}

_PAYMENTS_V140 = """CREATE TABLE payments_v140 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vehicle_id INTEGER NOT NULL,
    amount DECIMAL(10,2) NOT NULL,
    payment_status TEXT NOT NULL,
    payment_method TEXT,
    transaction_id TEXT UNIQUE,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (vehicle_id) REFERENCES vehicles(id)
)"""

_INDEXES = [
    "CREATE INDEX idx_stays_vehicle ON stays(vehicle_id)",
    "CREATE INDEX idx_stays_entry ON stays(entry_timestamp)",
    "CREATE INDEX idx_stays_status_entry ON stays(status, entry_timestamp)",
    # Backstops for the booth's checks: one open stay per vehicle and per spot.
    "CREATE UNIQUE INDEX idx_stays_open_vehicle ON stays(vehicle_id) WHERE status = 'open'",
    "CREATE UNIQUE INDEX idx_stays_open_spot ON stays(spot_number) WHERE status = 'open'",
    "CREATE INDEX idx_payments_stay ON payments(stay_id)",
    "CREATE INDEX idx_payments_vehicle ON payments(vehicle_id)",
    "CREATE INDEX idx_payments_created ON payments(created_at)",
    "CREATE UNIQUE INDEX idx_payments_refund_of ON payments(refund_of)",
    "CREATE UNIQUE INDEX idx_parking_rates_vehicle_type ON parking_rates(vehicle_type)",
    "CREATE INDEX idx_parking_spots_type_free ON parking_spots(vehicle_type, is_occupied, spot_number)",
    # Expiry scans only rows that still hold personal data.
    "CREATE INDEX idx_vehicles_unpurged_entry ON vehicles(entry_timestamp) WHERE purged_at IS NULL",
    "CREATE INDEX idx_lifecycle_runs_started ON lifecycle_runs(started_at)",
]


def _up(dialect: str) -> list[str]:
    pg = dialect == "postgresql"
    ts = "TIMESTAMP" if pg else "DATETIME"
    pk = "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    now = PG_NOW if pg else "CURRENT_TIMESTAMP"
    false = "FALSE" if pg else "0"
    out = [
        _STAYS.format(pk=pk, ts=ts, now=now, fk_vehicle="CONSTRAINT fk_stays_vehicle " if pg else "",
                      ck="CONSTRAINT ck_stays_status " if pg else ""),
        _LIFECYCLE_RUNS.format(pk=pk, ts=ts, now=now),
        f"ALTER TABLE vehicles ADD COLUMN purged_at {ts}",
    ]
    out += [f"ALTER TABLE payments ADD COLUMN {name} {pg_t if pg else lite}" for name, lite, pg_t in _PAYMENT_COLUMNS]
    out += [
        _DEDUPE_RATES,
        "ALTER TABLE parking_rates ADD COLUMN grace_minutes INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE parking_rates ADD COLUMN daily_cap_cents INTEGER",
        f"UPDATE parking_spots SET is_occupied = {false} WHERE is_occupied IS NULL",
    ]
    out += [f"ALTER TABLE system_config ADD COLUMN {name} {decl}" for name, decl in _CONFIG_COLUMNS]
    out += [
        "INSERT INTO system_config (retention_hours) SELECT 24 WHERE NOT EXISTS (SELECT 1 FROM system_config)",
        _BACKFILL_STAYS,
        _BACKFILL_PAYMENTS,
        _SEED_RATES[dialect],
        _SEED_SPOTS[dialect],
    ]
    return out + _INDEXES


def _down(dialect: str) -> list[str]:
    pg = dialect == "postgresql"
    out = [f"DROP INDEX {stmt.split(' ON ')[0].split()[-1]}" for stmt in reversed(_INDEXES)]
    if pg:
        out += [f"ALTER TABLE payments DROP COLUMN {name}" for name, _l, _p in reversed(_PAYMENT_COLUMNS)]
    else:
        # SQLite cannot drop a column that REFERENCES another table: rebuild payments.
        out += [
            _PAYMENTS_V140,
            "INSERT INTO payments_v140 (id, vehicle_id, amount, payment_status, payment_method, transaction_id, created_at) "
            "SELECT id, vehicle_id, amount, payment_status, payment_method, transaction_id, created_at FROM payments ORDER BY id",
            "DROP TABLE payments",
            "ALTER TABLE payments_v140 RENAME TO payments",
        ]
    out += [f"ALTER TABLE system_config DROP COLUMN {name}" for name, _d in reversed(_CONFIG_COLUMNS)]
    out += [
        "ALTER TABLE parking_rates DROP COLUMN daily_cap_cents",
        "ALTER TABLE parking_rates DROP COLUMN grace_minutes",
        "ALTER TABLE vehicles DROP COLUMN purged_at",
        "DROP TABLE lifecycle_runs",
        "DROP TABLE stays",
    ]
    return out


UP = {"sqlite": _up("sqlite"), "postgresql": _up("postgresql")}
DOWN = {"sqlite": _down("sqlite"), "postgresql": _down("postgresql")}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
