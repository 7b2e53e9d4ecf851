"""A lost ticket, or an entry time nobody knows: what the car pays at the window.

When the plate has a car on site (it was registered), the fee runs from its recorded entry,
as an ordinary payment would, marked as a lost ticket. When it has none, the vehicle type's
flat lost-ticket fee (parking_rates.lost_ticket_cents; not set: a day at the rate, capped by
the daily cap). The car is then recorded as it pays: its vehicle row (the plate only, no name
or phone: expiry removes the plate as for any visit) and a stay with no spot, entered and
paid at the same moment, so the payment, its shift and its note have a stay like any other.
"""

from __future__ import annotations

from decimal import Decimal

from ..clock import to_utc
from ..models import Payment, Vehicle
from . import reasons
from .charge import (Charge, add_note_to, cash, earlier_payment, fee_of, lock_stay, read_method, read_txn, receipt_of,
                     record)
from .config import rate_for
from .context import Context
from .entry import open_stay_for
from .errors import BoothError
from .money import quantize, to_cents
from .payments import quote
from .plates import normalise_plate
from .results import LostTicketQuote, PaymentException, Rate, Receipt, StayStatus
from .shifts import shift_for_money
from .sql import Insert, Statement, ts
from .text import clean_note
from .validate import normalise_type

# The plate's vehicle row and its open stay if any. PostgreSQL: the vehicle row is locked, as
# a registration locks it, so the two never make the plate's row or stay twice.
_PLATE = Statement(f"SELECT v.id, s.id FROM vehicles v LEFT JOIN stays s ON s.vehicle_id = v.id AND "
                   f"s.status = '{StayStatus.OPEN}' WHERE v.number_plate = ?", pg=" FOR UPDATE OF v")
_NEW_VEHICLE = Insert(
    "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, created_at, updated_at, "
    "vehicle_type, parking_spot, payment_status) VALUES (?, '', '', ?, ?, ?, ?, NULL, NULL)")
_NEW_STAY = Insert(
    "INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, status, created_at, updated_at, shift_id) "
    f"VALUES (?, NULL, ?, ?, '{StayStatus.OPEN}', ?, ?, NULL)")


def flat_fee(rate: Rate) -> Decimal:
    """The type's lost-ticket fee: the configured one, else a day at the rate capped by the daily cap."""
    if rate.lost_ticket is not None:
        return rate.lost_ticket
    day = rate.rate_per_hour * 24
    return quantize(day if rate.daily_cap is None else min(day, rate.daily_cap))


def _type(vehicle_type) -> str:
    if vehicle_type is None or (isinstance(vehicle_type, str) and not vehicle_type.strip()):
        raise BoothError("this plate has no car on record: choose its vehicle type for the flat lost-ticket fee",
                         field="type")
    return normalise_type(vehicle_type)


def lost_ticket_quote(ctx: Context, plate, vehicle_type=None) -> LostTicketQuote:
    """The vehicle type is needed only when the plate has no car on site (and ignored when it has)."""
    number = normalise_plate(plate)
    vtype = None if vehicle_type in (None, "") else normalise_type(vehicle_type)
    on_site = open_stay_for(ctx, number)
    if on_site is not None:
        fee = quote(ctx, on_site.stay_id)
        return LostTicketQuote(number, True, on_site.stay_id, fee, None, fee.total, fee.vehicle_type)
    kind = _type(vtype)
    flat = flat_fee(rate_for(ctx, kind))
    return LostTicketQuote(number, False, None, None, flat, flat, kind)


def pay_lost_ticket(ctx: Context, plate, vehicle_type, method, reason, tendered=None, transaction_id=None,
                    note=None) -> Receipt:
    """Take a lost ticket's fee (LostTicketQuote's amount); `reason`: a 'lost_ticket' code."""
    number = normalise_plate(plate)
    vtype = None if vehicle_type in (None, "") else normalise_type(vehicle_type)
    how, given = read_method(method, tendered)
    txn = read_txn(transaction_id)
    text = clean_note(note)

    def change() -> Receipt:
        why = reasons.check(ctx, "lost_ticket", reason)
        reasons.note_for(why, text)
        repeated = _retried(ctx, txn, number, how)
        if repeated is not None:
            return repeated
        cfg = ctx.settings()
        shift_id = shift_for_money(ctx, cfg.booth_name)
        now = to_utc(ctx.now())
        found = _PLATE.one(ctx.db, (number,))
        vehicle_id, stay_id = found if found is not None else (None, None)
        on_record = stay_id is not None
        if on_record:
            row = lock_stay(ctx, stay_id)
            fee = fee_of(ctx, row, now)
            total = fee.total
        else:
            kind = _type(vtype)
            total = flat_fee(rate_for(ctx, kind))
            fee = None
            at = ts(now)
            if vehicle_id is None:
                vehicle_id = _NEW_VEHICLE.new_id(ctx.db, (number, at, at, at, kind))
            stay_id = _NEW_STAY.new_id(ctx.db, (vehicle_id, kind, at, at, at))
            row = lock_stay(ctx, stay_id)
        tendered_cents, change_cents = cash(given, total)
        charge = Charge(how, to_cents(total), tendered_cents, change_cents, PaymentException.LOST_TICKET.value, why.code)
        pid = record(ctx, row, fee, charge, txn, shift_id, now, cfg.booth_name)
        add_note_to(ctx, row.id, text, now)
        ctx.audit("lost_ticket", "payments", pid, booth=cfg.booth_name, stay_id=row.id, method=how, amount=str(total),
                  reason=why.code, on_record=on_record, vehicle_type=row.vehicle_type)
        return receipt_of(pid, txn, row.id, number, row.spot_number, fee, charge, now, cfg.booth_name, cfg, False,
                          why.label)

    return ctx.write(change)


def _retried(ctx: Context, txn: str, number: str, how: str) -> Receipt | None:
    """The receipt of this lost ticket's payment already made with `txn` (charge nothing), or None."""
    earlier = Payment.get_or_none(Payment.transaction_id == txn)
    if earlier is None:
        return None
    vehicle = Vehicle.get_or_none(Vehicle.id == earlier.vehicle_id)
    if earlier.exception != PaymentException.LOST_TICKET or vehicle is None or vehicle.number_plate != number:
        raise BoothError(f"transaction id {txn} was already used for another payment: use a new one",
                         field="transaction_id")
    return earlier_payment(ctx, txn, earlier.stay_id, how)

