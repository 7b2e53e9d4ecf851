"""Fees and payments: quote a stay, take cash or card, refund, close a stay as departed."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import peewee as pw

from ..clock import to_utc
from ..models import Payment, Stay, Vehicle
from . import debts, reasons
from .charge import (METHODS, REFUND_PREFIX, TXN_RULE, Charge, cash, closed, earlier_payment, fee_of, lock_stay,
                     new_transaction_id, no_stay, read_method, read_txn, receipt_of, record, stay_number)
from .charge import add_note as _add_note
from .charge import refund_txn as _refund_txn
from .charge import reopen as _reopen
from .config import RATE_COLUMNS
from .context import Context
from .errors import BoothError
from .fees import FeeBreakdown
from .money import from_cents, to_cents
from .reasons import DepartedReason
from .results import DebtRow, PaymentRow, PaymentStatus, Receipt, Refund, StayStatus
from .shifts import shift_for_entry, shift_for_money
from .spots import release
from .sql import Statement
from .text import clean_note
from .validate import aware_moment, check_flag, parse_int

__all__ = ["METHODS", "REFUND_PREFIX", "TXN_RULE", "new_transaction_id", "pay", "quote", "refund", "close_departed",
           "recent_payments"]

# A quote: the stay and its type's rate in one query (sql.py says why it is written out).
_STAY_TO_QUOTE = Statement(
    f"SELECT s.id, s.status, s.exit_timestamp, s.entry_timestamp, s.vehicle_type, r.id, "
    f"{', '.join(f'r.{c}' for c in RATE_COLUMNS)} "
    "FROM stays s LEFT JOIN parking_rates r ON r.vehicle_type = s.vehicle_type WHERE s.id = ?")


class _StayRate(NamedTuple):
    """A _STAY_TO_QUOTE row: the stay, then its type's rate (rate_id None: the type has no rate)."""

    id: int
    status: str
    exit_at: object  # as stored; sql.when() reads it
    entry_at: object
    vehicle_type: str | None
    rate_id: int | None
    rate_per_hour: object
    minimum_hours: int
    grace_minutes: int
    daily_cap_cents: int | None


def quote(ctx: Context, stay_id, at: dt.datetime | None = None) -> FeeBreakdown:
    sid = stay_number(stay_id)
    exit_at = ctx.now() if at is None else aware_moment(at, "exit", "the exit time").replace(microsecond=0)
    found = _STAY_TO_QUOTE.one(ctx.db, (sid,))
    if found is None:
        raise no_stay(sid)
    row = _StayRate._make(found)
    if row.status != StayStatus.OPEN:
        raise closed(ctx, sid, row.status, row.exit_at)
    return fee_of(ctx, row, exit_at)


def pay(ctx: Context, stay_id, method, tendered=None, transaction_id=None, collect_debts=False) -> Receipt:
    """Take the stay's fee. `collect_debts`: the vehicle's unpaid drive-offs are added to the amount
    and settled by this payment, in the same transaction."""
    how, given = read_method(method, tendered)
    txn = read_txn(transaction_id)
    collect = check_flag(collect_debts, "collect_debts", "collect the unpaid earlier stays")
    sid = stay_number(stay_id)

    def change() -> Receipt:
        row = lock_stay(ctx, sid)
        repeated = earlier_payment(ctx, txn, sid, how)
        if repeated is not None:  # a retried request: hand back what was charged, charge nothing
            return repeated
        if row.status != StayStatus.OPEN:
            raise closed(ctx, sid, row.status, row.exit_at)
        cfg = ctx.settings()
        shift_id = shift_for_money(ctx, cfg.booth_name)
        now = to_utc(ctx.now())
        fee = fee_of(ctx, row, now)
        owed = debts.open_for(ctx, row.vehicle_id) if collect else []
        debt_cents = sum(d.amount_cents for d in owed)
        cents = to_cents(fee.total) + debt_cents
        tendered_cents, change_cents = cash(given, from_cents(cents))
        charge = Charge(how, cents, tendered_cents, change_cents, debt_cents=debt_cents or None)
        pid = record(ctx, row, fee, charge, txn, shift_id, now, cfg.booth_name)
        extra: dict[str, Any] = {}
        if owed:
            debts.settle(ctx, owed, pid, now)
            extra = {"debts": [d.id for d in owed], "debt": str(from_cents(debt_cents))}
        ctx.audit("payment", "payments", pid, booth=cfg.booth_name, stay_id=sid, method=how, amount=str(fee.total),
                  rate=str(fee.rate), hours_charged=fee.hours_charged, **extra)
        # Built from the values just written (re-reading them cost 3 queries); the breakdown recorded
        # with the payment is this fee, exactly (tests/test_booth_payments.py checks it against a re-read).
        return receipt_of(pid, txn, sid, row.plate, row.spot_number, fee, charge, now, cfg.booth_name, cfg, False)

    return ctx.write(change)


def refund(ctx: Context, payment_id, reason, note=None, reopen: bool = False) -> Refund:
    """A new, negative payments row pointing at the original (never edited).

    `reason` is a 'refund' reason code (the audit trail keeps it); `note`, optional free text
    with a code that allows one, goes with the stay (stays.note) and expires with it. `reopen` puts the stay back on
    site (spot re-taken) when the wrong car was charged.
    """
    pid = parse_int(payment_id, "payment", 1, 2**62, "the payment number")
    text = clean_note(note)
    reopen = check_flag(reopen, "reopen", "reopen (put the car back on site)")

    def change() -> Refund:
        why = reasons.note_for_code(ctx, "refund", reason, text)
        ctx.backend.lock(Payment.select(Payment.id).where(Payment.id == pid))  # PostgreSQL: one refund at a time
        original = Payment.get_or_none(Payment.id == pid)
        if original is None:
            raise BoothError(f"there is no payment {pid}: pick one from the recent payments", field="payment")
        if original.refund_of is not None or original.payment_status != PaymentStatus.PAID:
            raise BoothError(f"payment {pid} is a {original.payment_status} record: only a payment can be refunded",
                             field="payment")
        undone = Payment.get_or_none(Payment.refund_of == pid)
        if undone is not None:  # refunded, or voided (the car was put back)
            raise BoothError(f"payment {pid} was already {undone.payment_status}", field="payment")
        vehicle = original.vehicle
        cents = original.amount_cents if original.amount_cents is not None else to_cents(original.amount)
        if cents <= 0:
            raise BoothError(f"payment {pid} was for {from_cents(cents):.2f}: there is nothing to refund", field="payment")
        now = ctx.now()
        booth = ctx.booth_name()
        shift_id = shift_for_money(ctx, booth)
        refund_id = Payment.insert(
            vehicle=original.vehicle_id, stay_id=original.stay_id, amount=-from_cents(cents), amount_cents=-cents,
            payment_status=PaymentStatus.REFUNDED, payment_method=original.payment_method, transaction_id=_refund_txn(pid),
            refund_of=pid, created_at=now, booth_name=booth, shift_id=shift_id, reason=why,
            # The money for the debts it collected goes back too: they are owed again.
            debt_cents=None if original.debt_cents is None else -original.debt_cents,
        ).execute()
        owed_again = debts.reopen_settled_by(ctx, pid)
        reopened = False
        stay = Stay.get_or_none(Stay.id == original.stay_id) if original.stay_id else None
        if text is not None:
            _add_note(ctx, stay, vehicle, text, now)
        latest = Stay.select(pw.fn.MAX(Stay.id)).where(Stay.vehicle == original.vehicle_id).scalar()
        if stay is not None and stay.id == latest:
            Vehicle.update(payment_status=PaymentStatus.REFUNDED, updated_at=now).where(Vehicle.id == original.vehicle_id).execute()
        if reopen:
            _reopen(stay, latest, vehicle, now)
            reopened = True
        ctx.audit("refund", "payments", refund_id, booth=booth, refund_of=pid, stay_id=original.stay_id, amount=str(-from_cents(cents)),
                  reason=str(why), reopened=reopened, **({"debts_reopened": owed_again} if owed_again else {}))
        return Refund(refund_id, pid, original.stay_id, -from_cents(cents), str(why), now, reopened,
                      method=original.payment_method, debts_reopened=owed_again)

    return ctx.write(change)


def close_departed(ctx: Context, stay_id, reason, note=None) -> DebtRow | None:
    """An open stay whose vehicle left without paying (e.g. an overstay): closed, spot freed, audited.

    `reason` is a 'departed' reason code (kept in stays.closed_reason and the audit trail);
    `note`, optional free text with a code that allows one, is kept with the stay and expires with it.
    left_without_paying records the fee at this moment as a debt of the vehicle (kiosk.booth.debts),
    returned; any other reason owes nothing (None).
    """
    text = clean_note(note)

    def change() -> DebtRow | None:
        why = reasons.note_for_code(ctx, "departed", reason, text)
        row = lock_stay(ctx, stay_number(stay_id))  # PostgreSQL: locked, so not closed twice at once
        if row.status != StayStatus.OPEN:
            raise BoothError(f"stay {row.id} is already closed ({row.status})", field="stay")
        stay = Stay.get_by_id(row.id)
        now = ctx.now()
        debt = None
        if why == DepartedReason.LEFT_WITHOUT_PAYING:
            owed = to_cents(fee_of(ctx, row, now).total)
            debt = debts.record(ctx, stay, owed, now, shift_for_entry(ctx, ctx.booth_name()))
        Stay.update(status=StayStatus.DEPARTED, exit_timestamp=now, closed_reason=str(why), updated_at=now).where(Stay.id == stay.id).execute()
        if text is not None:
            _add_note(ctx, stay, stay.vehicle, text, now)
        Vehicle.update(payment_status=StayStatus.DEPARTED, updated_at=now).where(Vehicle.id == stay.vehicle_id).execute()
        release(ctx, stay.spot_number, now)
        extra: dict[str, Any] = {} if debt is None else {"debt_id": debt.debt_id, "debt": str(debt.amount)}
        ctx.audit("departed", "stays", stay.id, spot=stay.spot_number, reason=str(why), **extra)
        return debt

    return ctx.write(change)


def recent_payments(ctx: Context, limit=20) -> list[PaymentRow]:
    limit = parse_int(limit, "limit", 1, 10_000)
    query = list(Payment.select(Payment, Vehicle.number_plate).join(Vehicle, on=(Vehicle.id == Payment.vehicle))
                 .order_by(Payment.id.desc()).limit(limit))
    ids = [p.id for p in query]
    refunded = {r.refund_of for r in Payment.select(Payment.refund_of).where(Payment.refund_of.in_(ids))} if ids else set()
    out = []
    for p in query:
        plate = p.vehicle.number_plate
        cents = p.amount_cents if p.amount_cents is not None else to_cents(p.amount)
        out.append(PaymentRow(p.id, p.transaction_id, p.stay_id, None if plate.startswith("~") else plate,
                              p.payment_method, from_cents(cents), p.payment_status, p.created_at, p.refund_of,
                              p.id in refunded))
    return out
