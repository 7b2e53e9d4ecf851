"""1.10.0 - Shifts: float, cash movements, blind cash-up, Z reports, debts, reason codes, the printer.

- shifts: one attendant's period at one booth. `session` is the token of the terminal
  run that opened it: a shift found open by another run was left open (terminal closed,
  power cut) and must be closed before new payments. The blind count (counted cash, the
  card terminal's batch total) and what was expected are kept with the closed shift; a
  variance beyond system_config.variance_threshold_cents carries the supervisor who signed
  it off and a variance reason code. One open shift per booth (a partial unique index).
- cash_movements: drops to the safe and payouts, each with a reason code and who made it.
- z_reports: the report written when a shift closes, numbered 1, 2, 3 ... per booth with
  no gap (UNIQUE (booth_name, number); the number is taken in the closing transaction).
  `body` is the whole report as JSON; the totals `check` re-adds are columns.
- Immutable in the database, not only in code: a trigger refuses any UPDATE or DELETE of
  a Z report or a cash movement, any change to a closed shift, and any deleted shift
  (on PostgreSQL also a TRUNCATE).
- debts: a car that left without paying, against its vehicle (which expiry anonymises,
  so the debt outlives the person's details); settled by the payment that collected it.
- reason_codes: the site's own edits to the codes an attendant picks for a refund, a
  departed stay, a void, a fee override or free exit, a payout, a drop, a variance or a
  lost ticket. The kiosk ships a default list (kiosk.booth.reasons); a row here adds a
  code or relabels or retires one (active = false). Codes are never deleted, so old rows
  keep their label. Empty until a manager edits the list.
- payments: shift_id (the shift that took it), exception (lost_ticket | override | void),
  reason (the code), waived_cents (an override's waived amount), debt_cents (debts
  collected within this payment's amount).
- stays: shift_id (the shift that registered it: a Z report's cars in).
- parking_rates.lost_ticket_cents: the flat fee for a lost ticket when the plate is not on
  record (NULL: a day's fee at the rate, capped by the daily cap).
- system_config: variance_threshold_cents (500), denominations (the cash the drawer holds,
  in cents, largest first), printer_kind (none | network | usb | serial | file) and
  printer_target (host:port, vendor:product, device or file path).
Rollback drops the tables, columns and indexes: the shifts, Z reports, debts and reason
codes leave with them (a data-loss run: exported beside the backup).
"""

from kiosk.schema.steps import apply

VERSION = "1.10.0"
DELETES_ROWS = False
# What each direction's steps do (kiosk/schema/step_classes.py checks the SQL reads the same).
STEP_CLASSES = {"up": {"additive"}, "down": {"neutral", "destructive"}}

PG_NOW = "date_trunc('second', CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"

_SHIFTS = """CREATE TABLE shifts (
    id {pk},
    booth_name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' {ck}CHECK (status IN ('open', 'closed')),
    session TEXT NOT NULL,
    opened_by INTEGER NOT NULL,
    opened_at {ts} NOT NULL,
    float_cents INTEGER NOT NULL CHECK (float_cents >= 0),
    float_counts TEXT,
    closed_by INTEGER,
    closed_at {ts},
    counted_cash_cents INTEGER CHECK (counted_cash_cents >= 0),
    counted_counts TEXT,
    card_batch_cents INTEGER,
    expected_cash_cents INTEGER,
    expected_card_cents INTEGER,
    variance_cents INTEGER,
    card_variance_cents INTEGER,
    signed_off_by INTEGER,
    signoff_code TEXT,
    CHECK ((status = 'open' AND closed_at IS NULL) OR (status = 'closed' AND closed_at IS NOT NULL
           AND counted_cash_cents IS NOT NULL AND expected_cash_cents IS NOT NULL))
)"""

_MOVEMENTS = """CREATE TABLE cash_movements (
    id {pk},
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    kind TEXT NOT NULL CHECK (kind IN ('drop', 'payout')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason TEXT NOT NULL,
    staff_id INTEGER,
    approver_id INTEGER,
    created_at {ts} NOT NULL DEFAULT {now}
)"""

_Z = """CREATE TABLE z_reports (
    id {pk},
    booth_name TEXT NOT NULL,
    number INTEGER NOT NULL CHECK (number >= 1),
    shift_id INTEGER NOT NULL UNIQUE REFERENCES shifts(id),
    created_at {ts} NOT NULL DEFAULT {now},
    period_start {ts} NOT NULL,
    period_end {ts} NOT NULL,
    payments_count INTEGER NOT NULL,
    net_cents INTEGER NOT NULL,
    cash_cents INTEGER NOT NULL,
    card_cents INTEGER NOT NULL,
    refunds_cents INTEGER NOT NULL,
    voids_cents INTEGER NOT NULL,
    waived_cents INTEGER NOT NULL,
    drops_cents INTEGER NOT NULL,
    payouts_cents INTEGER NOT NULL,
    float_cents INTEGER NOT NULL,
    expected_cash_cents INTEGER NOT NULL,
    counted_cash_cents INTEGER NOT NULL,
    variance_cents INTEGER NOT NULL,
    expected_card_cents INTEGER NOT NULL,
    card_batch_cents INTEGER NOT NULL,
    cars_in INTEGER NOT NULL,
    cars_out INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (booth_name, number)
)"""

_DEBTS = """CREATE TABLE debts (
    id {pk},
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    stay_id INTEGER NOT NULL UNIQUE,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    created_at {ts} NOT NULL DEFAULT {now},
    shift_id INTEGER,
    staff_id INTEGER,
    settled_by INTEGER,
    settled_at {ts},
    CHECK ((settled_by IS NULL) = (settled_at IS NULL))
)"""

_KINDS = ("refund", "departed", "void", "override", "payout", "drop", "variance", "lost_ticket")
_REASONS = """CREATE TABLE reason_codes (
    id {pk},
    kind TEXT NOT NULL CHECK (kind IN ({kinds})),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    note_allowed BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, code)
)"""

_COLUMNS = [
    ("payments", "shift_id", "INTEGER"),
    ("payments", "exception", "TEXT"),
    ("payments", "reason", "TEXT"),
    ("payments", "waived_cents", "INTEGER"),
    ("payments", "debt_cents", "INTEGER"),
    ("stays", "shift_id", "INTEGER"),
    ("parking_rates", "lost_ticket_cents", "INTEGER"),
    ("system_config", "variance_threshold_cents", "INTEGER NOT NULL DEFAULT 500"),
    ("system_config", "denominations", "TEXT NOT NULL DEFAULT '5000,2000,1000,500,200,100,50,20,10,5,2,1'"),
    ("system_config", "printer_kind", "TEXT NOT NULL DEFAULT 'none' {ck}CHECK (printer_kind IN "
                                      "('none', 'network', 'usb', 'serial', 'file'))"),
    ("system_config", "printer_target", "TEXT NOT NULL DEFAULT ''"),
]

_INDEXES = [
    "CREATE UNIQUE INDEX idx_shifts_one_open ON shifts(booth_name) WHERE status = 'open'",
    "CREATE INDEX idx_shifts_booth_opened ON shifts(booth_name, opened_at)",
    "CREATE INDEX idx_cash_movements_shift ON cash_movements(shift_id)",
    "CREATE INDEX idx_payments_shift ON payments(shift_id) WHERE shift_id IS NOT NULL",
    "CREATE INDEX idx_stays_shift ON stays(shift_id) WHERE shift_id IS NOT NULL",
    "CREATE INDEX idx_debts_vehicle ON debts(vehicle_id)",  # also the foreign key check of a deleted vehicle
    "CREATE INDEX idx_z_reports_created ON z_reports(created_at)",
]

_REFUSED = "kept for the accounts: a Z report, a cash movement or a closed shift cannot be changed or deleted"
# (trigger, table, event, only when) - the same rules on both databases.
_GUARDS = [
    ("z_reports_no_update", "z_reports", "UPDATE", None),
    ("z_reports_no_delete", "z_reports", "DELETE", None),
    ("cash_movements_no_update", "cash_movements", "UPDATE", None),
    ("cash_movements_no_delete", "cash_movements", "DELETE", None),
    ("shifts_closed_no_update", "shifts", "UPDATE", "OLD.status = 'closed'"),
    ("shifts_no_delete", "shifts", "DELETE", None),
]
# No '%' in the message: the driver would read it as a parameter.
_PG_FUNCTION = ("CREATE FUNCTION kiosk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{_REFUSED}'; END $$")


def _guards(dialect: str) -> list[str]:
    if dialect == "postgresql":
        out = [_PG_FUNCTION]
        for name, table, event, when in _GUARDS:
            cond = f" WHEN ({when})" if when else ""
            out.append(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{cond} "
                       "EXECUTE FUNCTION kiosk_refuse_change()")
        out += [f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION kiosk_refuse_change()" for table in ("z_reports", "cash_movements", "shifts")]
        return out
    return [f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{f' WHEN {when}' if when else ''} "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSED} ({table})'); END"
            for name, table, event, when in _GUARDS]


def _up(dialect: str) -> list[str]:
    pg = dialect == "postgresql"
    fmt = {"pk": "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT",
           "ts": "TIMESTAMP" if pg else "DATETIME", "now": PG_NOW if pg else "CURRENT_TIMESTAMP"}
    out = [_SHIFTS.format(**fmt, ck="CONSTRAINT ck_shifts_status " if pg else ""),
           _MOVEMENTS.format(**fmt), _Z.format(**fmt), _DEBTS.format(**fmt),
           _REASONS.format(**fmt, kinds=", ".join(f"'{k}'" for k in _KINDS))]
    ck = "CONSTRAINT ck_system_config_printer_kind " if pg else ""
    out += [f"ALTER TABLE {table} ADD COLUMN {name} {decl.format(ck=ck)}" for table, name, decl in _COLUMNS]
    return out + _INDEXES + _guards(dialect)


def _down(dialect: str) -> list[str]:
    out = [f"DROP INDEX {stmt.split(' ON ')[0].split()[-1]}" for stmt in reversed(_INDEXES)]
    out += [f"ALTER TABLE {table} DROP COLUMN {name}" for table, name, _decl in reversed(_COLUMNS)]
    # The triggers go with their tables; PostgreSQL's function after them.
    out += [f"DROP TABLE {table}" for table in ("reason_codes", "debts", "z_reports", "cash_movements", "shifts")]
    return out + (["DROP FUNCTION kiosk_refuse_change()"] if dialect == "postgresql" else [])


UP = {dialect: _up(dialect) for dialect in ("sqlite", "postgresql")}
DOWN = {dialect: _down(dialect) for dialect in ("sqlite", "postgresql")}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
