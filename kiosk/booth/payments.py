"""Fees and payments: quote a stay, take cash or card, refund, close a stay as departed."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import peewee as pw

from ..models import ParkingSpot, Payment, Stay, Vehicle
from . import dialect
from .config import rate_for
from .context import Context
from .errors import BoothError, shown
from .fees import FeeBreakdown, compute_fee
from .money import from_cents, parse_money, to_cents
from .results import PaymentRow, Receipt, Refund
from .spots import release
from .text import clean_reason
from .validate import parse_int

METHODS = ("cash", "card")
_TXN = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)


def _stay(stay_id) -> Stay:
    sid = parse_int(stay_id, "stay", 1, 2**62, "the stay number")
    stay = Stay.get_or_none(Stay.id == sid)
    if stay is None:
        raise BoothError(f"there is no stay {sid}: look the plate up again", field="stay")
    return stay


def _open(stay: Stay) -> None:
    if stay.status != "open":
        when = f" at {stay.exit_timestamp:%Y-%m-%d %H:%M} UTC" if stay.exit_timestamp else ""
        raise BoothError(f"stay {stay.id} is already closed ({stay.status}{when}): nothing to pay", field="stay")


def _fee(ctx: Context, stay: Stay, at: dt.datetime) -> FeeBreakdown:
    rate = rate_for(ctx, stay.vehicle_type or "")
    return compute_fee(stay.entry_timestamp, at, rate.rate_per_hour, rate.minimum_hours, rate.grace_minutes,
                       rate.daily_cap, vehicle_type=stay.vehicle_type or "")


def quote(ctx: Context, stay_id, at: dt.datetime | None = None) -> FeeBreakdown:
    stay = _stay(stay_id)
    _open(stay)
    if at is not None and not isinstance(at, dt.datetime):
        raise BoothError("the exit time must be a date and time", field="exit")
    return _fee(ctx, stay, ctx.now() if at is None else at.replace(microsecond=0))


def _receipt(ctx: Context, pay: Payment, repeated: bool = False) -> Receipt:
    stay = Stay.get_by_id(pay.stay_id)
    cfg = ctx.config_row()  # not read_config(): the rates are not needed here
    # Rebuilt from what was recorded with the payment, never from today's rates.
    breakdown = compute_fee(stay.entry_timestamp, pay.created_at, from_cents(pay.rate_cents), pay.minimum_hours,
                            pay.grace_minutes or 0, from_cents(pay.daily_cap_cents), vehicle_type=stay.vehicle_type or "")
    plate = pay.vehicle.number_plate
    return Receipt(
        payment_id=pay.id, transaction_id=pay.transaction_id, stay_id=stay.id,
        plate="(expired)" if plate.startswith("~") else plate, spot=stay.spot_number, breakdown=breakdown,
        method=pay.payment_method, amount=from_cents(pay.amount_cents), tendered=from_cents(pay.tendered_cents),
        change=from_cents(pay.change_cents), paid_at=pay.created_at, booth_name=pay.booth_name or ctx.booth_override or cfg.booth_name,
        currency=cfg.currency_symbol, repeated=repeated,
    )


def pay(ctx: Context, stay_id, method, tendered=None, transaction_id=None) -> Receipt:
    how = method.strip().lower() if isinstance(method, str) else None
    if how not in METHODS:
        raise BoothError(f"'{shown(method)}' is not a payment method: use cash or card", field="method")
    if transaction_id in (None, ""):
        txn = f"{uuid.uuid4().hex[:20]}"
    elif isinstance(transaction_id, str) and _TXN.fullmatch(transaction_id.strip()):
        txn = transaction_id.strip()
    else:
        raise BoothError("a transaction id is 1 to 64 letters, digits or . _ : -", field="transaction_id")
    given = None
    if how == "cash":
        if tendered in (None, ""):
            raise BoothError("enter the cash tendered: an amount at least the total, e.g. 10.00", field="tendered")
        given = parse_money(tendered, "tendered", what="cash tendered")
    elif tendered not in (None, ""):
        raise BoothError("a card payment takes no cash tendered: leave it empty or choose cash", field="tendered")
    stay_ref = _stay(stay_id)

    def change() -> Receipt:
        # PostgreSQL: one payment at a time per stay, so a retried request waits for the first
        # and then finds its transaction id below instead of a stay closed under its feet.
        dialect.lock(Stay.select(Stay.id).where(Stay.id == stay_ref.id))
        earlier = Payment.get_or_none(Payment.transaction_id == txn)
        if earlier is not None:  # a retried request: hand back what was charged, charge nothing
            if earlier.stay_id != stay_ref.id or earlier.payment_method != how or earlier.refund_of is not None:
                raise BoothError(f"transaction id {txn} was already used for another payment: use a new one",
                                 field="transaction_id")
            return _receipt(ctx, earlier, repeated=True)
        stay = Stay.get_by_id(stay_ref.id)
        _open(stay)
        now = ctx.now()
        fee = _fee(ctx, stay, now)
        change_due = None
        if given is not None:
            if given < fee.total:
                raise BoothError(f"cash tendered {given:.2f} is less than the total {fee.total:.2f}: take at least the total",
                                 field="tendered")
            change_due = given - fee.total
        closed = (Stay.update(status="paid", exit_timestamp=now, updated_at=now)
                  .where((Stay.id == stay.id) & (Stay.status == "open")).execute())
        if closed != 1:
            raise BoothError(f"stay {stay.id} was just closed at another booth: nothing was charged", field="stay")
        booth = ctx.booth_name()
        pid = Payment.insert(
            vehicle=stay.vehicle_id, stay_id=stay.id, amount=fee.total, amount_cents=to_cents(fee.total),
            payment_status="paid", payment_method=how, transaction_id=txn, created_at=now,
            tendered_cents=None if given is None else to_cents(given),
            change_cents=None if change_due is None else to_cents(change_due),
            rate_cents=to_cents(fee.rate), minimum_hours=fee.minimum_hours, minutes=fee.minutes,
            hours_started=fee.hours_started, hours_charged=fee.hours_charged, grace_minutes=fee.grace_minutes,
            daily_cap_cents=None if fee.daily_cap is None else to_cents(fee.daily_cap), booth_name=booth,
        ).execute()
        Vehicle.update(payment_status="paid", updated_at=now).where(Vehicle.id == stay.vehicle_id).execute()
        release(stay.spot_number, now)
        ctx.audit("payment", "payments", pid, stay_id=stay.id, method=how, amount=str(fee.total),
                  rate=str(fee.rate), hours_charged=fee.hours_charged)
        return _receipt(ctx, Payment.get_by_id(pid))

    return ctx.write(change)


def refund(ctx: Context, payment_id, reason, reopen: bool = False) -> Refund:
    """A new, negative payments row pointing at the original (never edited).

    `reopen` puts the stay back on site (spot re-taken) when the wrong car was charged.
    """
    pid = parse_int(payment_id, "payment", 1, 2**62, "the payment number")

    def change() -> Refund:
        dialect.lock(Payment.select(Payment.id).where(Payment.id == pid))  # PostgreSQL: one refund at a time
        original = Payment.get_or_none(Payment.id == pid)
        if original is None:
            raise BoothError(f"there is no payment {pid}: pick one from the recent payments", field="payment")
        if original.refund_of is not None or original.payment_status != "paid":
            raise BoothError(f"payment {pid} is a {original.payment_status} record: only a payment can be refunded",
                             field="payment")
        if Payment.select().where(Payment.refund_of == pid).exists():
            raise BoothError(f"payment {pid} was already refunded", field="payment")
        vehicle = original.vehicle
        why = clean_reason(reason, forbidden=_secrets(vehicle), names=(vehicle.contact_name,))
        cents = original.amount_cents if original.amount_cents is not None else to_cents(original.amount)
        if cents <= 0:
            raise BoothError(f"payment {pid} was for {from_cents(cents):.2f}: there is nothing to refund", field="payment")
        now = ctx.now()
        refund_id = Payment.insert(
            vehicle=original.vehicle_id, stay_id=original.stay_id, amount=-from_cents(cents), amount_cents=-cents,
            payment_status="refunded", payment_method=original.payment_method, transaction_id=f"refund-{pid}",
            refund_of=pid, created_at=now, booth_name=ctx.booth_name(),
        ).execute()
        reopened = False
        stay = Stay.get_or_none(Stay.id == original.stay_id) if original.stay_id else None
        latest = Stay.select(pw.fn.MAX(Stay.id)).where(Stay.vehicle == original.vehicle_id).scalar()
        if stay is not None and stay.id == latest:
            Vehicle.update(payment_status="refunded", updated_at=now).where(Vehicle.id == original.vehicle_id).execute()
        if reopen:
            _reopen(stay, latest, vehicle, now)
            reopened = True
        ctx.audit("refund", "payments", refund_id, refund_of=pid, stay_id=original.stay_id, amount=str(-from_cents(cents)),
                  reason=why, reopened=reopened)
        return Refund(refund_id, pid, original.stay_id, -from_cents(cents), why, now, reopened)

    return ctx.write(change)


def _reopen(stay: Stay | None, latest: int | None, vehicle: Vehicle, now: dt.datetime) -> None:
    if stay is None or stay.id != latest or vehicle.purged_at is not None:
        raise BoothError("this stay cannot be put back on site (the vehicle came back since, or its data expired): "
                         "refund without reopening and register the vehicle again", field="reopen")
    taken = (ParkingSpot.update(is_occupied=True, updated_at=now)
             .where((ParkingSpot.spot_number == stay.spot_number) & (ParkingSpot.is_occupied == False))  # noqa: E712
             .execute())
    if taken != 1:
        raise BoothError(f"spot {stay.spot_number} is no longer free: refund without reopening and register the vehicle again",
                         field="reopen")
    Stay.update(status="open", exit_timestamp=None, updated_at=now).where(Stay.id == stay.id).execute()
    Vehicle.update(payment_status=None, updated_at=now).where(Vehicle.id == vehicle.id).execute()


def _secrets(vehicle: Vehicle) -> tuple[str, ...]:
    phone = vehicle.phone_number or ""
    return (vehicle.number_plate, phone, phone[-7:], phone[-6:])


def close_departed(ctx: Context, stay_id, reason) -> None:
    """An open stay whose vehicle left without paying (e.g. an overstay): closed, spot freed, audited."""

    def change() -> None:
        stay = _stay(stay_id)
        if dialect.is_postgresql(ctx.db):  # re-read under a row lock: not closed twice at once
            stay = dialect.locked(Stay.select().where(Stay.id == stay.id)).get()
        if stay.status != "open":
            raise BoothError(f"stay {stay.id} is already closed ({stay.status})", field="stay")
        vehicle = stay.vehicle
        why = clean_reason(reason, forbidden=_secrets(vehicle), names=(vehicle.contact_name,))
        now = ctx.now()
        Stay.update(status="departed", exit_timestamp=now, closed_reason=why, updated_at=now).where(Stay.id == stay.id).execute()
        Vehicle.update(payment_status="departed", updated_at=now).where(Vehicle.id == stay.vehicle_id).execute()
        release(stay.spot_number, now)
        ctx.audit("departed", "stays", stay.id, spot=stay.spot_number, reason=why)

    ctx.write(change)


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
