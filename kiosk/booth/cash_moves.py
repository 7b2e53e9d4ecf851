"""Cash leaving the drawer during a shift: drops to the safe and payouts, each with a reason code.

Rows of cash_movements are never changed or deleted (a database trigger refuses it): a drop
keyed wrong is put right at the count, where the variance shows it.
"""

from __future__ import annotations

from ..models import CashMovement, Shift
from ..shift_sums import shift_sums
from . import reasons
from .cash_count import MAX_TOTAL
from .context import Context
from .errors import BoothError
from .money import from_cents, parse_money, to_cents
from .shift_results import Movement
from .shifts import shift_for_money

KINDS = {"drop": "cash drop", "payout": "payout"}


def move_cash(ctx: Context, kind: str, amount, reason) -> Movement:
    what = KINDS[kind]
    if amount in (None, ""):
        raise BoothError(f"enter the {what}'s amount, e.g. 50.00", field="amount")
    value = parse_money(amount, "amount", what=f"{what} amount", minimum=from_cents(1), maximum=MAX_TOTAL)
    cents = to_cents(value)
    actor = ctx.actor

    def change() -> Movement:
        choice = reasons.check(ctx, kind, reason)
        shift_id = shift_for_money(ctx)
        shift = Shift.get_by_id(shift_id)
        in_drawer = shift_sums(ctx.db, shift_id).expected_cash(shift.float_cents)
        if cents > in_drawer:
            raise BoothError(f"the drawer should hold {from_cents(in_drawer):.2f}: a {what} of {value:.2f} is more "
                             "than that; count the drawer and enter what leaves it", field="amount")
        now = ctx.now()
        mid = CashMovement.insert(shift=shift_id, kind=kind, amount_cents=cents, reason=choice.code,
                                  staff_id=actor.staff_id if actor is not None else None,
                                  approver_id=ctx.approver_id, created_at=now).execute()
        ctx.audit("cash_movement", "cash_movements", mid, shift_id=shift_id, kind=kind, amount_cents=cents,
                  reason=choice.code)
        return Movement(int(mid), shift_id, kind, value, choice.code, now)

    return ctx.write(change)
