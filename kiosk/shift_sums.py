"""The sums of one shift's rows, as a Z report stores them: written once, read by the booth when it
closes a shift (kiosk.booth.shift_totals) and by `check` when it re-adds a Z report
(kiosk.maintenance.shift_check). The booth and maintenance do not import each other, so the rule
sits below both.

Rows of a shift: payments (payments.shift_id: money taken, refunds and voids as negative rows),
cash movements (drops, payouts), stays registered in it (cars in) and debts recorded in it.
Taken: a row with no refund_of. A void: a negative row with exception 'void'; a refund: any
other negative row (refund_of set). Expected cash = float + every cash row's amount - drops -
payouts; expected card = every card row's amount.
"""

from __future__ import annotations

from typing import NamedTuple

import peewee as pw

_PAYMENTS = """SELECT
    COUNT(CASE WHEN refund_of IS NULL THEN 1 END),
    COALESCE(SUM(amount_cents), 0),
    COALESCE(SUM(CASE WHEN refund_of IS NULL AND payment_method = 'cash' THEN amount_cents END), 0),
    COALESCE(SUM(CASE WHEN refund_of IS NULL AND payment_method = 'card' THEN amount_cents END), 0),
    COALESCE(SUM(CASE WHEN refund_of IS NOT NULL AND COALESCE(exception, '') <> 'void' THEN -amount_cents END), 0),
    COALESCE(SUM(CASE WHEN refund_of IS NOT NULL AND exception = 'void' THEN -amount_cents END), 0),
    COALESCE(SUM(CASE WHEN payment_method = 'cash' THEN amount_cents END), 0),
    COALESCE(SUM(CASE WHEN payment_method = 'card' THEN amount_cents END), 0),
    COALESCE(SUM(waived_cents), 0),
    COALESCE(SUM(debt_cents), 0)
FROM payments WHERE shift_id = {p}"""
_MOVEMENTS = ("SELECT COALESCE(SUM(CASE WHEN kind = 'drop' THEN amount_cents END), 0), "
              "COALESCE(SUM(CASE WHEN kind = 'payout' THEN amount_cents END), 0) FROM cash_movements WHERE shift_id = {p}")
_CARS_IN = "SELECT COUNT(*) FROM stays WHERE shift_id = {p}"
# Out: the stays paid for in the shift (a voided payment's car is back on site), and drive-offs.
_CARS_OUT = ("SELECT COUNT(DISTINCT p.stay_id) FROM payments p WHERE p.shift_id = {p} AND p.refund_of IS NULL "
             "AND p.stay_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments v WHERE v.refund_of = p.id "
             "AND v.exception = 'void')")
_DRIVE_OFFS = "SELECT COUNT(*) FROM debts WHERE shift_id = {p}"


class ShiftSums(NamedTuple):
    """Cents and counts; refunds, voids, drops and payouts as positive amounts."""

    payments_count: int
    net_cents: int
    cash_cents: int  # taken in cash (debts collected in cash included)
    card_cents: int
    refunds_cents: int
    voids_cents: int
    cash_net_cents: int  # every cash row: taken - refunded - voided
    card_net_cents: int
    waived_cents: int
    debts_cents: int
    drops_cents: int
    payouts_cents: int
    cars_in: int
    cars_out: int

    def expected_cash(self, float_cents: int) -> int:
        return float_cents + self.cash_net_cents - self.drops_cents - self.payouts_cents

    @property
    def expected_card(self) -> int:
        return self.card_net_cents


# The columns of z_reports these sums fill, and the ShiftSums field each one holds.
Z_COLUMNS = ("payments_count", "net_cents", "cash_cents", "card_cents", "refunds_cents", "voids_cents",
             "waived_cents", "drops_cents", "payouts_cents", "cars_in", "cars_out")


def _one(db: pw.Database, sql: str, shift_id: int) -> tuple:
    return db.execute_sql(sql.format(p=db.param), (shift_id,)).fetchone()


def shift_sums(db: pw.Database, shift_id: int) -> ShiftSums:
    """Read in the caller's transaction (the close reads what it writes the report from)."""
    pay = [int(v) for v in _one(db, _PAYMENTS, shift_id)]
    drops, payouts = (int(v) for v in _one(db, _MOVEMENTS, shift_id))
    cars_in = int(_one(db, _CARS_IN, shift_id)[0])
    cars_out = int(_one(db, _CARS_OUT, shift_id)[0]) + int(_one(db, _DRIVE_OFFS, shift_id)[0])
    return ShiftSums._make([*pay, drops, payouts, cars_in, cars_out])
