"""A shift's totals as a report: the sums (kiosk.shift_sums), the exceptions by reason, the people.

Staff appear by id in what is stored (a Z report's body) and by name only when shown, so a
purged account reads "former staff #n" on a reprint like everywhere else.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from ..models import Shift, Staff
from ..shift_sums import ShiftSums, shift_sums
from . import reasons
from .context import Context
from .money import from_cents
from .shift_results import ShiftReport
from .sql import Statement

_PEOPLE = Statement("SELECT DISTINCT staff_id FROM audit_logs WHERE entity = 'payments' AND staff_id IS NOT NULL "
                    "AND entity_id IN (SELECT CAST(id AS TEXT) FROM payments WHERE shift_id = ?)")
_MOVERS = Statement("SELECT DISTINCT staff_id FROM cash_movements WHERE shift_id = ? AND staff_id IS NOT NULL")
_ODD_PAYMENTS = Statement("SELECT refund_of, exception, reason, amount_cents, waived_cents FROM payments "
                          "WHERE shift_id = ? AND (refund_of IS NOT NULL OR exception IS NOT NULL) ORDER BY id")
_MOVES = Statement("SELECT kind, reason, amount_cents FROM cash_movements WHERE shift_id = ? ORDER BY id")
_DEBTS = Statement("SELECT amount_cents FROM debts WHERE shift_id = ?")


def staff_name(staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    row = Staff.get_or_none(Staff.id == staff_id)
    if row is None:
        return f"staff #{staff_id}"
    return f"former staff #{row.id}" if row.purged_at is not None else row.display_name


def people_ids(ctx: Context, shift: Shift) -> list[int]:
    """The opener, and everyone who took or gave back money or moved cash in the shift."""
    found = [shift.opened_by]
    for statement in (_PEOPLE, _MOVERS):
        found += [int(r[0]) for r in statement.rows(ctx.db, (shift.id,))]
    return list(dict.fromkeys(found))


def exception_rows(ctx: Context, shift_id: int) -> list[tuple[str, str, int, int]]:
    """(kind, code, count, cents) by reason: refunds, voids, overrides, lost tickets, drops,
    payouts, drive-offs."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])

    def add(kind: str, code: str | None, cents: int) -> None:
        entry = groups[(kind, code or "unknown")]
        entry[0] += 1
        entry[1] += cents

    for refund_of, exception, reason, amount, waived in _ODD_PAYMENTS.rows(ctx.db, (shift_id,)):
        if refund_of is not None:
            add("void" if exception == "void" else "refund", reason, -int(amount or 0))
        elif exception == "override":
            add("override", reason, int(waived or 0))
        else:
            add(str(exception), reason, int(amount or 0))
    for kind, reason, amount in _MOVES.rows(ctx.db, (shift_id,)):
        add(kind, reason, int(amount))
    for (amount,) in _DEBTS.rows(ctx.db, (shift_id,)):
        add("departed", "left_without_paying", int(amount))
    return [(kind, code, n, cents) for (kind, code), (n, cents) in groups.items()]


def labelled(ctx: Context, rows) -> tuple[tuple[str, str, str, int, Decimal], ...]:
    return tuple((kind, code, reasons.reason_label(ctx, code, kind), int(n), from_cents(int(cents)))
                 for kind, code, n, cents in rows)


def build_report(ctx: Context, shift: Shift, sums: ShiftSums, *, number: int | None, period_end: dt.datetime,
                 people: list[int], exceptions, counted_cents: int | None, card_batch_cents: int | None,
                 closed_by: int | None, signed_off_by: int | None, signoff_code: str | None,
                 currency: str, reprint: bool = False) -> ShiftReport:
    expected = sums.expected_cash(shift.float_cents)
    cents = from_cents
    return ShiftReport(
        number=number, booth_name=shift.booth_name, shift_id=shift.id, period_start=shift.opened_at,
        period_end=period_end, opened_by_name=staff_name(shift.opened_by) or "", closed_by_name=staff_name(closed_by),
        signed_off_by_name=staff_name(signed_off_by), signoff_code=signoff_code,
        people=tuple(name for name in (staff_name(p) for p in people) if name),
        payments_count=sums.payments_count, cash=cents(sums.cash_cents), card=cents(sums.card_cents),
        refunds=cents(sums.refunds_cents), voids=cents(sums.voids_cents), waived=cents(sums.waived_cents),
        debts_collected=cents(sums.debts_cents), drops=cents(sums.drops_cents), payouts=cents(sums.payouts_cents),
        float_amount=cents(shift.float_cents), expected_cash=cents(expected),
        counted_cash=cents(counted_cents), variance=None if counted_cents is None else cents(counted_cents - expected),
        expected_card=cents(sums.expected_card), card_batch=cents(card_batch_cents),
        card_variance=None if card_batch_cents is None else cents(card_batch_cents - sums.expected_card),
        exceptions=labelled(ctx, exceptions), cars_in=sums.cars_in, cars_out=sums.cars_out,
        currency=currency, zone=ctx.settings().zone, reprint=reprint)


def x_report(ctx: Context, shift: Shift) -> ShiftReport:
    """The open shift's running totals (number None)."""
    sums = shift_sums(ctx.db, shift.id)
    return build_report(ctx, shift, sums, number=None, period_end=ctx.now(), people=people_ids(ctx, shift),
                        exceptions=exception_rows(ctx, shift.id), counted_cents=shift.counted_cash_cents,
                        card_batch_cents=shift.card_batch_cents, closed_by=None, signed_off_by=None,
                        signoff_code=None, currency=ctx.settings().currency_symbol)
