"""Exceptions at the window, each with a reason code and who acted (and approved): a fee override,
a free exit, and the void of a payment taken by mistake.

A fee override or free exit (FEE_OVERRIDE: a supervisor, or an attendant with a supervisor's
approval) closes the stay with a payments row marked `override` carrying the code and the fee
not charged (waived_cents). A void (PAY: the attendant who took it) cancels a payment of this
run's open shift while the car can still be put back on its spot: a negative payments row
marked `voided` pointing at it, the stay reopened, any debts it collected owed again. After
that (a later shift, the car gone, its spot taken) only a refund, a supervisor's, undoes it.
"""

from __future__ import annotations

from typing import Any

from ..clock import to_utc
from ..errors import ErrorCode
from ..models import Payment, Stay
from . import debts, reasons
from .charge import (Charge, add_note, add_note_to, cash, fee_of, latest_stay, new_transaction_id, open_stay,
                     read_method, receipt_of, record, refund_txn, reopen, stay_number)
from .context import Context
from .errors import BoothError
from .money import from_cents, parse_money, to_cents
from .results import PaymentException, PaymentStatus, Receipt, Refund, StayStatus
from .shifts import shift_for_money
from .text import clean_note
from .validate import parse_int

_REFUND_INSTEAD = "a refund (by a supervisor) is the way"


def _overridden(ctx: Context, stay_id, reason, note, amount=None, method=None, tendered=None) -> Receipt:
    """Close the stay charging `amount` (None: a free exit, nothing) instead of its fee."""
    sid = stay_number(stay_id)
    text = clean_note(note)
    free = amount is None
    how, given = (None, None) if free else read_method(method, tendered)
    charged = None if free else parse_money(amount, "amount", what="amount charged")

    def change() -> Receipt:
        why = reasons.check(ctx, "override", reason)
        reasons.note_for(why, text)
        row = open_stay(ctx, sid)
        cfg = ctx.settings()
        shift_id = shift_for_money(ctx, cfg.booth_name)
        now = to_utc(ctx.now())
        fee = fee_of(ctx, row, now)
        total = fee.total if charged is None else charged
        if charged is not None and not charged < fee.total:
            raise BoothError(f"an override charges less than the fee {fee.total:.2f} (it was {charged:.2f}): "
                             "take the payment as it is", field="amount")
        if charged is not None and charged == 0:
            raise BoothError("an override of 0.00 is a free exit: choose free exit instead", field="amount")
        waived = fee.total - (charged or 0)
        tendered_cents, change_cents = cash(given, total)
        charge = Charge(how, 0 if free else to_cents(total), tendered_cents, change_cents,
                        PaymentException.OVERRIDE.value, why.code, to_cents(waived))
        txn = new_transaction_id()
        pid = record(ctx, row, fee, charge, txn, shift_id, now, cfg.booth_name)
        add_note_to(ctx, row.id, text, now)
        details: dict[str, Any] = dict(booth=cfg.booth_name, stay_id=row.id, method=how, amount=str(from_cents(charge.cents)),
                                       fee=str(fee.total), waived=str(waived), reason=why.code)
        if free:
            ctx.audit("free_exit", "payments", pid, **details)
        else:
            ctx.audit("fee_override", "payments", pid, **details)
        return receipt_of(pid, txn, row.id, row.plate, row.spot_number, fee, charge, now, cfg.booth_name,
                          cfg, False, why.label)

    return ctx.write(change)


def free_exit(ctx: Context, stay_id, reason, note=None) -> Receipt:
    """The stay closed with nothing charged: the whole fee waived, on record with an 'override' code."""
    return _overridden(ctx, stay_id, reason, note)


def override_fee(ctx: Context, stay_id, amount, method, reason, tendered=None, note=None) -> Receipt:
    """The stay closed charging `amount`, less than its fee (above 0.00: nothing is a free exit)."""
    if amount is None:
        raise BoothError("enter the amount to charge: less than the fee, above 0.00", field="amount")
    return _overridden(ctx, stay_id, reason, note, amount, method, tendered)


def void_payment(ctx: Context, payment_id, reason, note=None) -> Refund:
    pid = parse_int(payment_id, "payment", 1, 2**62, "the payment number")
    text = clean_note(note)

    def change() -> Refund:
        why = reasons.check(ctx, "void", reason)
        reasons.note_for(why, text)
        ctx.backend.lock(Payment.select(Payment.id).where(Payment.id == pid))  # PostgreSQL: one void or refund at a time
        original = Payment.get_or_none(Payment.id == pid)
        if original is None:
            raise BoothError(f"there is no payment {pid}: pick one from the recent payments", field="payment")
        if original.refund_of is not None or original.payment_status != PaymentStatus.PAID:
            raise BoothError(f"payment {pid} is a {original.payment_status} record: only a payment can be voided",
                             field="payment")
        undone = Payment.get_or_none(Payment.refund_of == pid)
        if undone is not None:
            raise BoothError(f"payment {pid} was already {undone.payment_status}", field="payment",
                             code=ErrorCode.REFUSED)
        booth = ctx.booth_name()
        shift_id = shift_for_money(ctx, booth)
        if original.shift_id != shift_id:
            raise BoothError(f"payment {pid} was not taken in this shift at this booth: only this shift's payments can "
                             f"be voided; {_REFUND_INSTEAD}", field="payment", code=ErrorCode.REFUSED)
        stay = Stay.get_or_none(Stay.id == original.stay_id) if original.stay_id else None
        vehicle = original.vehicle
        if stay is not None and stay.spot_number is None:
            raise BoothError(f"payment {pid} was for a car with no spot on record (a lost ticket): there is no stay to "
                             f"put back; {_REFUND_INSTEAD}", field="payment", code=ErrorCode.REFUSED)
        if stay is None or stay.status != StayStatus.PAID:
            raise BoothError(f"payment {pid} has no paid stay to put back on site: {_REFUND_INSTEAD}",
                             field="payment", code=ErrorCode.REFUSED)
        now = ctx.now()
        reopen(stay, latest_stay(vehicle.id), vehicle, now, field="payment",
               otherwise=f"the car cannot be put back, so {_REFUND_INSTEAD}", code=ErrorCode.REFUSED)
        cents = original.amount_cents if original.amount_cents is not None else to_cents(original.amount)
        void_id = Payment.insert(
            vehicle=original.vehicle_id, stay_id=original.stay_id, amount=-from_cents(cents), amount_cents=-cents,
            payment_status=PaymentStatus.VOIDED, payment_method=original.payment_method, transaction_id=refund_txn(pid),
            refund_of=pid, created_at=now, booth_name=booth, shift_id=shift_id,
            exception=PaymentException.VOID.value, reason=why.code,
            # Negated, so a shift's sums of what was waived and collected count a voided payment as nothing.
            waived_cents=None if original.waived_cents is None else -original.waived_cents,
            debt_cents=None if original.debt_cents is None else -original.debt_cents,
        ).execute()
        owed_again = debts.reopen_settled_by(ctx, pid)
        if text is not None:
            add_note(ctx, stay, vehicle, text, now)
        ctx.audit("void", "payments", void_id, booth=booth, refund_of=pid, stay_id=stay.id,
                  amount=str(-from_cents(cents)), reason=why.code, debts_reopened=owed_again)
        cfg = ctx.settings()
        return Refund(void_id, pid, stay.id, -from_cents(cents), why.code, now, True, voided=True,
                      method=original.payment_method, reason_label=why.label, booth_name=booth,
                      currency=cfg.currency_symbol, zone=cfg.zone, debts_reopened=owed_again)

    return ctx.write(change)
