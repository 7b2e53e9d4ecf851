"""Taking money for a stay, the core every way of paying shares: an ordinary payment, a lost
ticket with its entry on record, a fee override or free exit.

Each caller runs inside its own write transaction: it locks the stay (`lock_stay`), works out
what is charged (`Charge`), and `record` closes the stay, writes the payments row, marks the
vehicle paid and frees the spot. Receipts are built from the values written (`receipt_of`) or,
for a retried transaction id, from the payments row (`receipt_from`). Putting a car back on site
(`reopen`) and keeping a note with a stay (`add_note`) serve refunds and voids.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import peewee as pw

from ..errors import ErrorCode
from ..models import ParkingSpot, Payment, Stay, Vehicle
from . import reasons
from .config import RATE_COLUMNS, no_rate, rate_of
from .context import Context, Settings
from .errors import BoothError, shown
from .fees import FeeBreakdown, compute_fee
from .localtime import UTC, stamp
from .money import from_cents, parse_money, to_cents
from .results import PaymentStatus, Receipt, StayStatus
from .spots import release
from .sql import Insert, Statement, ts, when
from .validate import parse_int

METHODS = ("cash", "card")
_TXN = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
# The booth names a refund or void row "refund-<payment>": a caller's transaction id may not start so.
REFUND_PREFIX = "refund-"
TXN_RULE = f"a transaction id is 1 to 64 letters, digits or . _ : - and does not start with '{REFUND_PREFIX}'"
_RATE_OF_STAY = ", ".join(f"r.{c}" for c in RATE_COLUMNS)


class StayToPay(NamedTuple):
    """A STAY_TO_PAY row: the stay, its type's rate (rate_id None: the type has no rate), the car."""

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
    vehicle_id: int
    spot_number: str | None
    plate: str


# A payment: the stay, its plate and its rate. PostgreSQL: the stay row is locked, so one payment at
# a time per stay, and a retried request waits for the first, then finds its transaction id instead
# of a stay closed under its feet.
STAY_TO_PAY = Statement(
    f"SELECT s.id, s.status, s.exit_timestamp, s.entry_timestamp, s.vehicle_type, r.id, {_RATE_OF_STAY}, "
    "s.vehicle_id, s.spot_number, v.number_plate "
    "FROM stays s JOIN vehicles v ON v.id = s.vehicle_id LEFT JOIN parking_rates r ON r.vehicle_type = s.vehicle_type "
    "WHERE s.id = ?", pg=" FOR UPDATE OF s")
BY_TRANSACTION = Statement("SELECT id, stay_id, payment_method, refund_of FROM payments WHERE transaction_id = ?")
_CLOSE = Statement(f"UPDATE stays SET status = '{StayStatus.PAID}', exit_timestamp = ?, updated_at = ? "
                   f"WHERE id = ? AND status = '{StayStatus.OPEN}'")
_NEW_PAYMENT = Insert(
    "INSERT INTO payments (vehicle_id, stay_id, amount, amount_cents, payment_status, payment_method, transaction_id, "
    "created_at, tendered_cents, change_cents, rate_cents, minimum_hours, minutes, hours_started, hours_charged, "
    "grace_minutes, daily_cap_cents, booth_name, shift_id, exception, reason, waived_cents, debt_cents) "
    f"VALUES (?, ?, ?, ?, '{PaymentStatus.PAID}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_VEHICLE_PAID = Statement(f"UPDATE vehicles SET payment_status = '{PaymentStatus.PAID}', updated_at = ? WHERE id = ?")
_APPEND_NOTE = Statement("UPDATE stays SET note = CASE WHEN note IS NULL OR note = '' THEN CAST(? AS TEXT) "
                         "ELSE note || CAST(? AS TEXT) END, updated_at = ? WHERE id = ?")


@dataclass(frozen=True)
class Charge:
    """What one payments row records beyond the stay's fee (amounts in cents)."""

    method: str | None  # cash | card; None: nothing was taken (a free exit)
    cents: int  # what was charged: the fee, less what was waived, plus debts collected
    tendered_cents: int | None = None
    change_cents: int | None = None
    exception: str | None = None  # a PaymentException value
    reason: str | None = None  # the exception's reason code
    waived_cents: int | None = None
    debt_cents: int | None = None


def new_transaction_id() -> str:
    """A fresh id for one attempt at a payment: retrying with it never charges twice."""
    return uuid.uuid4().hex[:20]


def read_method(method, tendered) -> tuple[str, Decimal | None]:
    """(cash | card, the cash tendered or None) as typed: cash needs what was tendered, a card none."""
    how = method.strip().lower() if isinstance(method, str) else None
    if how not in METHODS:
        raise BoothError(f"'{shown(method)}' is not a payment method: use cash or card", field="method")
    if how == "cash":
        if tendered in (None, ""):
            raise BoothError("enter the cash tendered: an amount at least the total, e.g. 10.00", field="tendered")
        return how, parse_money(tendered, "tendered", what="cash tendered")
    if tendered not in (None, ""):
        raise BoothError("a card payment takes no cash tendered: leave it empty or choose cash", field="tendered")
    return how, None


def read_txn(transaction_id) -> str:
    """The caller's transaction id (a retry of it charges nothing more), or a fresh one."""
    if transaction_id is None or transaction_id == "":
        return new_transaction_id()
    if (isinstance(transaction_id, str) and _TXN.fullmatch(transaction_id.strip())
            and not transaction_id.strip().lower().startswith(REFUND_PREFIX)):
        return transaction_id.strip()
    raise BoothError(f"'{shown(transaction_id)}' is not accepted: {TXN_RULE}", field="transaction_id")


def earlier_payment(ctx: Context, txn: str, sid: int | None, how: str) -> Receipt | None:
    """In the caller's transaction: the receipt of the payment `txn` already made (a retried request:
    charge nothing), or None. Refused when the id was used for another stay or method."""
    earlier = BY_TRANSACTION.one(ctx.db, (txn,))
    if earlier is None:
        return None
    earlier_id, earlier_stay, earlier_method, refund_of = earlier
    if (sid is not None and earlier_stay != sid) or earlier_method != how or refund_of is not None:
        raise BoothError(f"transaction id {txn} was already used for another payment: use a new one",
                         field="transaction_id")
    return receipt_from(ctx, Payment.get_by_id(earlier_id), repeated=True)


def stay_number(stay_id) -> int:
    return parse_int(stay_id, "stay", 1, 2**62, "the stay number")


def no_stay(sid: int) -> BoothError:
    return BoothError(f"there is no stay {sid}: look the plate up again", field="stay")


def closed(ctx: Context, sid: int, status: str, exit_raw) -> BoothError:
    exit_at = when(exit_raw)
    at = f" at {stamp(exit_at, ctx.settings().zone)}" if exit_at else ""
    return BoothError(f"stay {sid} is already closed ({status}{at}): nothing to pay", field="stay")


def lock_stay(ctx: Context, sid: int) -> StayToPay:
    """In the caller's transaction: the stay with its rate and car (PostgreSQL: row locked)."""
    found = STAY_TO_PAY.one(ctx.db, (sid,))
    if found is None:
        raise no_stay(sid)
    return StayToPay._make(found)


def open_stay(ctx: Context, sid: int) -> StayToPay:
    """lock_stay, refused unless the car is still on site."""
    row = lock_stay(ctx, sid)
    if row.status != StayStatus.OPEN:
        raise closed(ctx, sid, row.status, row.exit_at)
    return row


def fee_of(ctx: Context, row, at: dt.datetime) -> FeeBreakdown:
    """The fee of a stay read with its rate (a StayToPay, or payments' quote row), for an exit at `at`."""
    vtype = row.vehicle_type or ""
    if row.rate_id is None:
        raise no_rate(ctx, vtype)
    rate = rate_of(vtype, row.rate_per_hour, row.minimum_hours, row.grace_minutes, row.daily_cap_cents)
    entry_at = when(row.entry_at)
    assert entry_at is not None  # entry_timestamp is NOT NULL
    # The zone only matters to the message of an exit before the entry: not read on every quote.
    zone = ctx.settings().zone if at < entry_at else UTC
    return compute_fee(entry_at, at, rate.rate_per_hour, rate.minimum_hours, rate.grace_minutes,
                       rate.daily_cap, vehicle_type=vtype, zone=zone)


def cash(given: Decimal | None, total: Decimal) -> tuple[int | None, int | None]:
    """(tendered, change) in cents for cash `given` against `total`; (None, None) for a card."""
    if given is None:
        return None, None
    if given < total:
        raise BoothError(f"cash tendered {given:.2f} is less than the total {total:.2f}: take at least the total",
                         field="tendered")
    return to_cents(given), to_cents(given - total)


def record(ctx: Context, row: StayToPay, fee: FeeBreakdown | None, charge: Charge, txn: str, shift_id: int,
           now: dt.datetime, booth: str) -> int:
    """Close the open stay `row` as paid at `now` and write its payments row; the spot is freed.
    `fee` None: a flat lost-ticket fee (no breakdown). Returns the payment's id."""
    db = ctx.db
    at = ts(now)
    if _CLOSE.changed(db, (at, at, row.id)) != 1:
        raise BoothError(f"stay {row.id} was just closed at another booth: nothing was charged", field="stay")
    amount = from_cents(charge.cents)
    breakdown = (None,) * 7 if fee is None else (
        to_cents(fee.rate), fee.minimum_hours, fee.minutes, fee.hours_started, fee.hours_charged, fee.grace_minutes,
        None if fee.daily_cap is None else to_cents(fee.daily_cap))
    pid = _NEW_PAYMENT.new_id(db, (
        row.vehicle_id, row.id, Payment.amount.db_value(amount), charge.cents, charge.method, txn, at,
        charge.tendered_cents, charge.change_cents, *breakdown, booth, shift_id, charge.exception, charge.reason,
        charge.waived_cents, charge.debt_cents))
    _VEHICLE_PAID.run(db, (at, row.vehicle_id))
    release(ctx, row.spot_number, now)
    return pid


def receipt_of(payment_id: int, txn: str, stay_id: int, plate: str, spot: str | None, breakdown: FeeBreakdown | None,
               charge: Charge, paid_at: dt.datetime, booth_name: str, cfg: Settings, repeated: bool,
               reason_label: str = "") -> Receipt:
    return Receipt(
        payment_id=payment_id, transaction_id=txn, stay_id=stay_id,
        plate="(expired)" if plate.startswith("~") else plate, spot=spot, breakdown=breakdown,
        method=charge.method or "none", amount=from_cents(charge.cents), tendered=from_cents(charge.tendered_cents),
        change=from_cents(charge.change_cents), paid_at=paid_at, booth_name=booth_name,
        currency=cfg.currency_symbol, repeated=repeated, zone=cfg.zone, exception=charge.exception,
        reason=reason_label, waived=from_cents(charge.waived_cents) if charge.waived_cents else None,
        debts=from_cents(charge.debt_cents) if charge.debt_cents else None,
        flat=None if breakdown is not None else from_cents(charge.cents - (charge.debt_cents or 0)),
    )


def receipt_from(ctx: Context, pay: Payment, repeated: bool = False) -> Receipt:
    """The receipt of a recorded payment (a retried transaction id): rebuilt from what was recorded with
    it, never from today's rates."""
    stay = Stay.get_by_id(pay.stay_id)
    cfg = ctx.settings()
    assert pay.amount_cents is not None and pay.transaction_id is not None  # every payment records them
    breakdown = None
    if pay.rate_cents is not None:  # None: a flat lost-ticket fee
        assert pay.minimum_hours is not None
        breakdown = compute_fee(stay.entry_timestamp, pay.created_at, from_cents(pay.rate_cents), pay.minimum_hours,
                                pay.grace_minutes or 0, from_cents(pay.daily_cap_cents),
                                vehicle_type=stay.vehicle_type or "")
    charge = Charge(pay.payment_method, pay.amount_cents, pay.tendered_cents, pay.change_cents, pay.exception,
                    pay.reason, pay.waived_cents, pay.debt_cents)
    label = reasons.reason_label(ctx, pay.reason, pay.exception) if pay.reason else ""
    return receipt_of(pay.id, pay.transaction_id, stay.id, pay.vehicle.number_plate, stay.spot_number, breakdown,
                      charge, pay.created_at, pay.booth_name or cfg.booth_name, cfg, repeated, label)


def refund_txn(pid: int) -> str:
    """A refund's or void's row transaction id. Callers cannot supply this namespace (pay() refuses it),
    but a database from before that rule may hold a payment that took it: then a unique suffix."""
    txn = f"{REFUND_PREFIX}{pid}"
    if BY_TRANSACTION.one(Payment._meta.database, (txn,)) is not None:
        txn = f"{txn}-{uuid.uuid4().hex[:12]}"
    return txn


def reopen(stay: Stay | None, latest: int | None, vehicle: Vehicle, now: dt.datetime, *, field: str = "reopen",
           otherwise: str = "refund without reopening and register the vehicle again",
           code: ErrorCode | None = None) -> None:
    """Put a paid stay back on site: its spot taken again, the stay open, the vehicle unpaid.
    Refused (field `field`, saying `otherwise`) when the vehicle came back since, its data expired,
    the stay had no spot, or the spot has been taken."""
    if stay is None or stay.id != latest or vehicle.purged_at is not None or stay.spot_number is None:
        raise BoothError("this stay cannot be put back on site (the vehicle came back since, its data expired, or it "
                         f"had no spot): {otherwise}", field=field, code=code)
    taken = (ParkingSpot.update(is_occupied=True, updated_at=now)
             .where((ParkingSpot.spot_number == stay.spot_number) & (ParkingSpot.is_occupied == False))  # noqa: E712
             .execute())
    if taken != 1:
        raise BoothError(f"spot {stay.spot_number} is no longer free: {otherwise}", field=field, code=code)
    Stay.update(status=StayStatus.OPEN, exit_timestamp=None, updated_at=now).where(Stay.id == stay.id).execute()
    Vehicle.update(payment_status=None, updated_at=now).where(Vehicle.id == vehicle.id).execute()


def latest_stay(vehicle_id: int) -> int | None:
    return Stay.select(pw.fn.MAX(Stay.id)).where(Stay.vehicle == vehicle_id).scalar()


def add_note(ctx: Context, stay: Stay | None, vehicle: Vehicle, text: str, now: dt.datetime) -> None:
    """Append the note to the stay's (one line each). Refused where expiry could no longer remove it."""
    if stay is None:
        raise BoothError("this payment has no stay to keep a note with: leave the note empty", field="note")
    if vehicle.purged_at is not None:
        raise BoothError("this stay's personal data has already expired, so a note cannot be kept with it: "
                         "leave the note empty", field="note")
    _APPEND_NOTE.run(ctx.db, (text, "\n" + text, ts(now), stay.id))


def add_note_to(ctx: Context, stay_id: int, text: str | None, now: dt.datetime) -> None:
    """add_note by stay id (the stay just locked; its vehicle still holds its data)."""
    if text is not None:
        _APPEND_NOTE.run(ctx.db, (text, "\n" + text, ts(now), stay_id))
