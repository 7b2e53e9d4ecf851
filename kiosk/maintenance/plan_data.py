"""What schema 1.5.0 will make of the migration plan's rows, said before it runs.

1.5.0 turns the plan's rows into the booth's: every vehicle becomes a stay (payment_status
'paid': closed as paid; anything else: open, on site, except an older unpaid car on a spot a
newer unpaid car holds, closed as departed), every payment's DECIMAL amount becomes exact cents
(`CAST(ROUND(amount * 100) AS INTEGER)`), and rates are cut to one per vehicle type. Its SQL
cannot change (sites have recorded its checksum), so what it would not do faithfully is found
here first, from the same rules:

- refused until resolved (nothing is changed): a payment whose vehicle does not exist (1.5.0 checks foreign keys and would fail),
  a spot marked free that an unpaid car is parked on (the booths would give it to the next car);
- reported with the run: a second rate for a vehicle type (1.5.0 deletes it: the data-loss
  check asks for --allow-data-loss and exports it first), an amount that is not a whole number of cents (a float from DECIMAL,
  e.g. 12.345) and what it becomes, a rate the booth cannot charge by, a car on site with no
  vehicle type (no rate charges it), a payment status 1.5.0 reads as unpaid, an unpaid car
  closed as departed, a stay on a spot the layout lacks, a spot marked occupied with no car on it.

Only ids and spot numbers are named: a plate or name would outlive the retention in the run record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import peewee as pw

from ..schema.files import Version
from .findings import Finding

BOOTH_RULES: Version = (1, 5, 0)  # the version whose data backfill this anticipates
SHOWN = 10  # ids named in one line; the rest are counted


@dataclass
class Report:
    refusals: list[Finding] = field(default_factory=list)  # level "error"
    findings: list[Finding] = field(default_factory=list)

    def refuse(self, code: str, message: str) -> None:
        self.refusals.append(Finding("error", code, message))

    def warn(self, code: str, message: str, level: str = "warning") -> None:
        self.findings.append(Finding(level, code, message))


def crosses_booth_rules(steps) -> bool:
    """Whether a migrate's steps (runner.Step) apply 1.5.0."""
    return any(s.direction == "up" and s.file.version == BOOTH_RULES for s in steps)


def check(database: pw.Database, steps, pre) -> list[Finding]:
    """The pre-flight check `data` (never skippable) of a migrate through 1.5.0; returns what to report."""
    if not crosses_booth_rules(steps) or "vehicles" not in database.get_tables():
        return []  # nothing to convert (a new database gets its tables from 1.0.0 in the same run)
    report = examine(database)
    if report.refusals:
        pre.add("data", False, "; ".join(f.message for f in report.refusals))
    else:
        warned = len([f for f in report.findings if f.level == "warning"])
        pre.add("data", True, f"the rows 1.5.0 converts: {warned} warning(s), listed with the result" if warned
                else "the rows 1.5.0 converts need nothing said")
    return report.findings


def examine(database: pw.Database) -> Report:
    """Refusals and findings about the rows as they are now (a schema below 1.5.0)."""
    report = Report()
    cols = _Columns(database)
    if "vehicle_type" in cols("parking_rates"):
        _rates(database, report)
    if "vehicle_id" in cols("payments"):
        _payments(database, report)
    if "id" in cols("vehicles"):
        _vehicles(database, report, cols)
    return report


class _Columns:
    def __init__(self, database: pw.Database):
        self.database = database
        self.tables = set(database.get_tables())

    def __call__(self, table: str) -> set[str]:
        return {c.name for c in self.database.get_columns(table)} if table in self.tables else set()


def _ids(rows) -> str:
    ids = [str(r) for r in rows]
    return ", ".join(ids[:SHOWN]) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")


def _which(noun: str, rows) -> str:
    """'vehicle 5' or 'vehicles 5, 7': the rows named by id (or spot number)."""
    rows = list(rows)
    return f"{noun}{'s' if len(rows) > 1 else ''} {_ids(rows)}"


def _q(text) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _rates(database: pw.Database, report: Report) -> None:
    dupes = database.execute_sql(
        "SELECT vehicle_type, COUNT(*), MAX(id) FROM parking_rates GROUP BY vehicle_type HAVING COUNT(*) > 1 ORDER BY vehicle_type"
    ).fetchall()
    for vtype, n, keep in dupes:
        others = [r[0] for r in database.execute_sql(
            f"SELECT id FROM parking_rates WHERE vehicle_type = {database.param} AND id <> {database.param} ORDER BY id", (vtype, keep))]
        # Not refused here: the data-loss check refuses it without --allow-data-loss and exports the rows with it.
        report.warn(
            "rates_duplicate", f"parking_rates has {n} rates for {_q(vtype)} (ids {_ids(others)}, {keep}): schema 1.5.0 keeps one rate per "
            f"vehicle type, the newest (id {keep}), and removes the others (exported first)", level="info")
    for rid, vtype, rate in database.execute_sql("SELECT id, vehicle_type, rate_per_hour FROM parking_rates ORDER BY id"):
        exact = _decimal(rate)
        if exact is None or exact != exact.quantize(Decimal("0.01")) or exact < 0:
            report.warn("rate_not_cents", f"rate {rid} for {_q(vtype)} is {_shown(rate)} per hour, not an amount in whole "
                                          "cents: the booths refuse to charge by it until it is set again in Configuration (F4)")


def _payments(database: pw.Database, report: Report) -> None:
    orphans = [r[0] for r in database.execute_sql(
        "SELECT p.id FROM payments p WHERE NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.id = p.vehicle_id) ORDER BY p.id")]
    if orphans:
        report.refuse(
            "payment_orphan", f"{_which('payment', orphans)}: its vehicle does not exist (vehicle_id): schema 1.5.0 checks every "
            "foreign key and would fail; restore those vehicles or remove the payments, then run migrate again")
    # The very expression 1.5.0 stores, so the report says what it will be.
    for pid, amount, cents in database.execute_sql(
            "SELECT id, amount, CAST(ROUND(amount * 100) AS INTEGER) FROM payments ORDER BY id"):
        exact = _decimal(amount)
        if exact is None:
            report.warn("amount_not_a_number", f"payment {pid}: amount {_shown(amount)} is not a number; "
                                               f"schema 1.5.0 stores {cents} cents")
        elif exact * 100 != cents:
            report.warn("amount_not_cents", f"payment {pid}: amount {_shown(amount)} is not a whole number of cents; "
                                            f"schema 1.5.0 stores {cents} cents ({Decimal(cents) / 100:.2f})")


def _decimal(value) -> Decimal | None:
    """The amount as written: a float's shortest repr (12.345, not 12.3449999...), text as is."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return exact if exact.is_finite() else None


def _shown(value) -> str:
    return repr(value) if isinstance(value, float) else _q(value) if isinstance(value, str) else str(value)


# What 1.5.0 lays out on an empty (or, at 1.0.0, missing) parking_spots: A01-A30 car, B01-B04 van, M01-M06 motorcycle.
DEFAULT_LAYOUT = frozenset(f"{prefix}{i:02d}" for prefix, n in (("A", 30), ("B", 4), ("M", 6)) for i in range(1, n + 1))


def _count(database: pw.Database, table: str) -> int:
    return database.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _seeded_layout(database: pw.Database, report: Report, on_site: str) -> None:
    """No spot layout yet: 1.5.0 lays out the default one, all free; 1.9.0 marks the spots of open stays occupied."""
    parked = database.execute_sql(
        f"SELECT v.id, v.parking_spot FROM vehicles v WHERE {on_site} AND v.parking_spot IS NOT NULL ORDER BY v.id").fetchall()
    taken = sorted({spot for _id, spot in parked if spot in DEFAULT_LAYOUT})
    report.warn("spots_seeded", "parking_spots is empty: schema 1.5.0 lays out the default 40 spots (A01-A30 car, B01-B04 van, "
                                f"M01-M06 motorcycle) and 1.9.0 marks the {len(taken)} that unpaid cars are on occupied; "
                                "change the layout in Configuration (F4)", level="info")
    unknown = [vid for vid, spot in parked if spot not in DEFAULT_LAYOUT]
    if unknown:
        report.warn("stay_unknown_spot", f"{_which('vehicle', unknown)}: the stay stays open on a spot that is not in "
                                         "the default layout, which the spot map does not show; add the spot in Configuration (F4)")


def _vehicles(database: pw.Database, report: Report, cols: _Columns) -> None:
    have = cols("vehicles")
    status = "COALESCE({t}.payment_status, '')" if "payment_status" in have else "''"

    def unpaid(t: str) -> str:
        return f"{status.format(t=t)} <> 'paid'"

    if "payment_status" in have:
        odd = database.execute_sql(
            "SELECT id, payment_status FROM vehicles WHERE payment_status IS NOT NULL "
            "AND payment_status NOT IN ('paid', 'pending') ORDER BY id").fetchall()
        if odd:
            values = ", ".join(sorted({_q(r[1]) for r in odd}))
            report.warn("payment_status_unknown",
                        f"{_which('vehicle', [r[0] for r in odd])}: payment_status {values} is neither 'paid' nor 'pending'; "
                        "only 'paid' closes a stay, so schema 1.5.0 makes it an open stay (on site)")
    spot = "parking_spot" in have
    newer = (f"EXISTS (SELECT 1 FROM vehicles w WHERE w.parking_spot = v.parking_spot AND w.id > v.id AND {unpaid('w')})"
             if spot else "1 = 0")
    on_site = f"{unpaid('v')} AND NOT {newer}"
    typed = "v.vehicle_type IS NOT NULL AND v.vehicle_type <> ''" if "vehicle_type" in have else "1 = 0"
    untyped = [r[0] for r in database.execute_sql(f"SELECT v.id FROM vehicles v WHERE {on_site} AND NOT ({typed}) ORDER BY v.id")]
    if untyped:
        report.warn("stay_no_type", f"{_which('vehicle', untyped)}: not paid, and no vehicle type (the plan records it from "
                                    "1.1.0): the stay opens without one, and no rate charges it; set the type first "
                                    f"(UPDATE vehicles SET vehicle_type = 'car' WHERE id IN ({', '.join(map(str, untyped))})) "
                                    "or close the stay as departed at a booth")
    opened = database.execute_sql(f"SELECT COUNT(*) FROM vehicles v WHERE {on_site}").fetchone()[0]
    total = database.execute_sql("SELECT COUNT(*) FROM vehicles").fetchone()[0]
    report.warn("stays", f"schema 1.5.0 makes {total} vehicle(s) into stays: {opened} open (on site), "
                         f"{total - opened} closed", level="info")
    if not spot:
        return
    superseded = [r[0] for r in database.execute_sql(f"SELECT v.id FROM vehicles v WHERE {unpaid('v')} AND {newer} ORDER BY v.id")]
    if superseded:
        report.warn("stay_superseded", f"{_which('vehicle', superseded)}: not paid, and a newer unpaid car holds the same spot; "
                                       "schema 1.5.0 closes the stay as departed ('superseded at schema 1.5.0')")
    if "spot_number" not in cols("parking_spots") or not _count(database, "parking_spots"):
        _seeded_layout(database, report, on_site)
        return
    free = database.execute_sql(
        f"SELECT DISTINCT s.spot_number FROM vehicles v JOIN parking_spots s ON s.spot_number = v.parking_spot "
        f"WHERE {on_site} AND s.is_occupied IS NOT TRUE ORDER BY s.spot_number").fetchall()
    if free:
        spots = ", ".join(_q(r[0]) for r in free)
        report.refuse(
            "spot_marked_free", f"{_which('spot', [_q(r[0]) for r in free])}: marked free (parking_spots.is_occupied) but an unpaid "
            "car is parked there; the booths would give it to the next car: mark it occupied "
            f"(UPDATE parking_spots SET is_occupied = TRUE WHERE spot_number IN ({spots})) or record the cars' payment, "
            "then run migrate again")
    unknown = [r[0] for r in database.execute_sql(
        f"SELECT v.id FROM vehicles v WHERE {on_site} AND v.parking_spot IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM parking_spots s WHERE s.spot_number = v.parking_spot) ORDER BY v.id")]
    if unknown:
        report.warn("stay_unknown_spot", f"{_which('vehicle', unknown)}: the stay stays open on a spot that is not in "
                                         "parking_spots, which the spot map does not show; add the spot in Configuration (F4)")
    idle = [r[0] for r in database.execute_sql(
        f"SELECT s.spot_number FROM parking_spots s WHERE s.is_occupied IS TRUE AND NOT EXISTS "
        f"(SELECT 1 FROM vehicles v WHERE v.parking_spot = s.spot_number AND {on_site}) ORDER BY s.spot_number")]
    if idle:
        report.warn("spot_occupied_empty", f"{_which('spot', [_q(s) for s in idle])}: marked occupied with no unpaid car "
                                           "there; stays occupied, as the data says", level="info")
