"""Fees and payments: quote a stay, take cash or card, refund, close a stay as departed."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import NamedTuple

import peewee as pw

from ..clock import to_utc
from ..models import ParkingSpot, Payment, Stay, Vehicle
from .config import RATE_COLUMNS, no_rate, rate_of
from .context import Context, Settings
from .errors import BoothError, shown
from .fees import FeeBreakdown, compute_fee
from .localtime import UTC, stamp
from .money import from_cents, parse_money, to_cents
from .results import PaymentRow, PaymentStatus, Receipt, Refund, StayStatus
from .shifts import shift_for_money
from .spots import release
from .sql import Insert, Statement, ts, when
from . import reasons
from .text import clean_note
from .validate import aware_moment, check_flag, parse_int

METHODS = ("cash", "card")
_TXN = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
# The booth names a refund row "refund-<payment>": a caller's transaction id may not start so.
REFUND_PREFIX = "refund-"
TXN_RULE = f"a transaction id is 1 to 64 letters, digits or . _ : - and does not start with '{REFUND_PREFIX}'"

# The per-car statements (sql.py says why they are written out).
_RATE_OF_STAY = ", ".join(f"r.{c}" for c in RATE_COLUMNS)
# A quote: the stay and its type's rate in one query.

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


class _StayToPay(NamedTuple):
    """A _STAY_TO_PAY row: _StayRate's columns, then the car's."""

    id: int
    status: str
    exit_at: object
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


_STAY_TO_QUOTE = Statement(
    f"SELECT s.id, s.status, s.exit_timestamp, s.entry_timestamp, s.vehicle_type, r.id, {_RATE_OF_STAY} "
    "FROM stays s LEFT JOIN parking_rates r ON r.vehicle_type = s.vehicle_type WHERE s.id = ?")
# A payment: the stay, its plate and its rate. PostgreSQL: the stay row is locked, so one payment at
# a time per stay, and a retried request waits for the first, then finds its transaction id instead
# of a stay closed under its feet.
_STAY_TO_PAY = Statement(
    f"SELECT s.id, s.status, s.exit_timestamp, s.entry_timestamp, s.vehicle_type, r.id, {_RATE_OF_STAY}, "
    "s.vehicle_id, s.spot_number, v.number_plate "
    "FROM stays s JOIN vehicles v ON v.id = s.vehicle_id LEFT JOIN parking_rates r ON r.vehicle_type = s.vehicle_type "
    "WHERE s.id = ?", pg=" FOR UPDATE OF s")
_BY_TRANSACTION = Statement("SELECT id, stay_id, payment_method, refund_of FROM payments WHERE transaction_id = ?")
_CLOSE = Statement(f"UPDATE stays SET status = '{StayStatus.PAID}', exit_timestamp = ?, updated_at = ? "
                   f"WHERE id = ? AND status = '{StayStatus.OPEN}'")
_NEW_PAYMENT = Insert(
    "INSERT INTO payments (vehicle_id, stay_id, amount, amount_cents, payment_status, payment_method, transaction_id, "
    "created_at, tendered_cents, change_cents, rate_cents, minimum_hours, minutes, hours_started, hours_charged, "
    f"grace_minutes, daily_cap_cents, booth_name, shift_id) "
    f"VALUES (?, ?, ?, ?, '{PaymentStatus.PAID}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_VEHICLE_PAID = Statement(f"UPDATE vehicles SET payment_status = '{PaymentStatus.PAID}', updated_at = ? WHERE id = ?")


def _stay_number(stay_id) -> int:
    return parse_int(stay_id, "stay", 1, 2**62, "the stay number")


def _no_stay(sid: int) -> BoothError:
    return BoothError(f"there is no stay {sid}: look the plate up again", field="stay")


def _stay(stay_id) -> Stay:
    sid = _stay_number(stay_id)
    stay = Stay.get_or_none(Stay.id == sid)
    if stay is None:
        raise _no_stay(sid)
    return stay


def _closed(ctx: Context, sid: int, status: str, exit_raw) -> BoothError:
    exit_at = when(exit_raw)
    at = f" at {stamp(exit_at, ctx.settings().zone)}" if exit_at else ""
    return BoothError(f"stay {sid} is already closed ({status}{at}): nothing to pay", field="stay")


def _fee(ctx: Context, row: _StayRate | _StayToPay, at: dt.datetime) -> FeeBreakdown:
    """The fee of a stay read with its rate, for an exit at `at`."""
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


def quote(ctx: Context, stay_id, at: dt.datetime | None = None) -> FeeBreakdown:
    sid = _stay_number(stay_id)
    exit_at = ctx.now() if at is None else aware_moment(at, "exit", "the exit time").replace(microsecond=0)
    found = _STAY_TO_QUOTE.one(ctx.db, (sid,))
    if found is None:
        raise _no_stay(sid)
    row = _StayRate._make(found)
    if row.status != StayStatus.OPEN:
        raise _closed(ctx, sid, row.status, row.exit_at)
    return _fee(ctx, row, exit_at)


def _receipt(ctx: Context, pay: Payment, repeated: bool = False) -> Receipt:
    """The receipt of a recorded payment (a retried transaction id): rebuilt from what was recorded with
    it, never from today's rates."""
    stay = Stay.get_by_id(pay.stay_id)
    cfg = ctx.settings()
    # pay() records all of these with every payment it makes.
    assert pay.rate_cents is not None and pay.minimum_hours is not None and pay.amount_cents is not None
    assert pay.transaction_id is not None and pay.payment_method is not None
    breakdown = compute_fee(stay.entry_timestamp, pay.created_at, from_cents(pay.rate_cents), pay.minimum_hours,
                            pay.grace_minutes or 0, from_cents(pay.daily_cap_cents), vehicle_type=stay.vehicle_type or "")
    return _receipt_of(pay.id, pay.transaction_id, stay.id, pay.vehicle.number_plate, stay.spot_number, breakdown,
                       pay.payment_method, pay.amount_cents, pay.tendered_cents, pay.change_cents, pay.created_at,
                       pay.booth_name or cfg.booth_name, cfg, repeated)


def _receipt_of(payment_id: int, txn: str, stay_id: int, plate: str, spot: str | None, breakdown: FeeBreakdown,
                method: str, amount_cents: int, tendered_cents: int | None, change_cents: int | None,
                paid_at: dt.datetime, booth_name: str, cfg: Settings, repeated: bool) -> Receipt:
    return Receipt(
        payment_id=payment_id, transaction_id=txn, stay_id=stay_id,
        plate="(expired)" if plate.startswith("~") else plate, spot=spot, breakdown=breakdown,
        method=method, amount=from_cents(amount_cents), tendered=from_cents(tendered_cents),
        change=from_cents(change_cents), paid_at=paid_at, booth_name=booth_name,
        currency=cfg.currency_symbol, repeated=repeated, zone=cfg.zone,
    )


def new_transaction_id() -> str:
    """A fresh id for one attempt at a payment: retrying with it never charges twice."""
    return uuid.uuid4().hex[:20]


def pay(ctx: Context, stay_id, method, tendered=None, transaction_id=None) -> Receipt:
    how = method.strip().lower() if isinstance(method, str) else None
    if how not in METHODS:
        raise BoothError(f"'{shown(method)}' is not a payment method: use cash or card", field="method")
    if transaction_id is None or transaction_id == "":
        txn = new_transaction_id()
    elif (isinstance(transaction_id, str) and _TXN.fullmatch(transaction_id.strip())
          and not transaction_id.strip().lower().startswith(REFUND_PREFIX)):
        txn = transaction_id.strip()
    else:
        raise BoothError(f"'{shown(transaction_id)}' is not accepted: {TXN_RULE}", field="transaction_id")
    given = None
    if how == "cash":
        if tendered in (None, ""):
            raise BoothError("enter the cash tendered: an amount at least the total, e.g. 10.00", field="tendered")
        given = parse_money(tendered, "tendered", what="cash tendered")
    elif tendered not in (None, ""):
        raise BoothError("a card payment takes no cash tendered: leave it empty or choose cash", field="tendered")
    sid = _stay_number(stay_id)
    db = ctx.db

    def change() -> Receipt:
        found = _STAY_TO_PAY.one(db, (sid,))
        if found is None:
            raise _no_stay(sid)
        row = _StayToPay._make(found)
        earlier = _BY_TRANSACTION.one(db, (txn,))
        if earlier is not None:  # a retried request: hand back what was charged, charge nothing
            earlier_id, earlier_stay, earlier_method, refund_of = earlier
            if earlier_stay != sid or earlier_method != how or refund_of is not None:
                raise BoothError(f"transaction id {txn} was already used for another payment: use a new one",
                                 field="transaction_id")
            return _receipt(ctx, Payment.get_by_id(earlier_id), repeated=True)
        if row.status != StayStatus.OPEN:
            raise _closed(ctx, sid, row.status, row.exit_at)
        cfg = ctx.settings()
        shift_id = shift_for_money(ctx, cfg.booth_name)
        now = to_utc(ctx.now())
        fee = _fee(ctx, row, now)
        change_due = None
        if given is not None:
            if given < fee.total:
                raise BoothError(f"cash tendered {given:.2f} is less than the total {fee.total:.2f}: take at least the total",
                                 field="tendered")
            change_due = given - fee.total
        at = ts(now)
        if _CLOSE.changed(db, (at, at, sid)) != 1:
            raise BoothError(f"stay {sid} was just closed at another booth: nothing was charged", field="stay")
        vehicle_id, spot, plate = row.vehicle_id, row.spot_number, row.plate
        cents = to_cents(fee.total)
        tendered_cents = None if given is None else to_cents(given)
        change_cents = None if change_due is None else to_cents(change_due)
        pid = _NEW_PAYMENT.new_id(db, (
            vehicle_id, sid, Payment.amount.db_value(fee.total), cents, how, txn, at, tendered_cents, change_cents,
            to_cents(fee.rate), fee.minimum_hours, fee.minutes, fee.hours_started, fee.hours_charged, fee.grace_minutes,
            None if fee.daily_cap is None else to_cents(fee.daily_cap), cfg.booth_name, shift_id))
        _VEHICLE_PAID.run(db, (at, vehicle_id))
        release(ctx, spot, now)
        ctx.audit("payment", "payments", pid, booth=cfg.booth_name, stay_id=sid, method=how, amount=str(fee.total),
                  rate=str(fee.rate), hours_charged=fee.hours_charged)
        # Built from the values just written (re-reading them cost 3 queries); the breakdown recorded
        # with the payment is this fee, exactly (tests/test_booth_payments.py checks it against a re-read).
        return _receipt_of(pid, txn, sid, plate, spot, fee, how, cents, tendered_cents, change_cents, now,
                           cfg.booth_name, cfg, False)

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
        if Payment.select().where(Payment.refund_of == pid).exists():
            raise BoothError(f"payment {pid} was already refunded", field="payment")
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
        ).execute()
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
                  reason=str(why), reopened=reopened)
        return Refund(refund_id, pid, original.stay_id, -from_cents(cents), str(why), now, reopened)

    return ctx.write(change)


def _refund_txn(pid: int) -> str:
    """The refund row's transaction id. Callers cannot supply this namespace (pay() refuses it), but a
    database from before that rule may hold a payment that took it: then a unique suffix."""
    txn = f"{REFUND_PREFIX}{pid}"
    if _BY_TRANSACTION.one(Payment._meta.database, (txn,)) is not None:
        txn = f"{txn}-{uuid.uuid4().hex[:12]}"
    return txn


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
    Stay.update(status=StayStatus.OPEN, exit_timestamp=None, updated_at=now).where(Stay.id == stay.id).execute()
    Vehicle.update(payment_status=None, updated_at=now).where(Vehicle.id == vehicle.id).execute()


_APPEND_NOTE = Statement("UPDATE stays SET note = CASE WHEN note IS NULL OR note = '' THEN CAST(? AS TEXT) "
                         "ELSE note || CAST(? AS TEXT) END, updated_at = ? WHERE id = ?")


def _add_note(ctx: Context, stay: Stay | None, vehicle: Vehicle, text: str, now: dt.datetime) -> None:
    """Append the note to the stay's (one line each). Refused where expiry could no longer remove it."""
    if stay is None:
        raise BoothError("this payment has no stay to keep a note with: leave the note empty", field="note")
    if vehicle.purged_at is not None:
        raise BoothError("this stay's personal data has already expired, so a note cannot be kept with it: "
                         "leave the note empty", field="note")
    _APPEND_NOTE.run(ctx.db, (text, "\n" + text, ts(now), stay.id))


def close_departed(ctx: Context, stay_id, reason, note=None) -> None:
    """An open stay whose vehicle left without paying (e.g. an overstay): closed, spot freed, audited.

    `reason` is a 'departed' reason code (kept in stays.closed_reason and the audit trail);
    `note`, optional free text with a code that allows one, is kept with the stay and expires with it.
    """
    text = clean_note(note)

    def change() -> None:
        why = reasons.note_for_code(ctx, "departed", reason, text)
        stay = _stay(stay_id)
        if ctx.backend.row_locks:  # re-read under a row lock: not closed twice at once
            stay = ctx.backend.locked(Stay.select().where(Stay.id == stay.id)).get()
        if stay.status != StayStatus.OPEN:
            raise BoothError(f"stay {stay.id} is already closed ({stay.status})", field="stay")
        now = ctx.now()
        Stay.update(status=StayStatus.DEPARTED, exit_timestamp=now, closed_reason=str(why), updated_at=now).where(Stay.id == stay.id).execute()
        if text is not None:
            _add_note(ctx, stay, stay.vehicle, text, now)
        Vehicle.update(payment_status=StayStatus.DEPARTED, updated_at=now).where(Vehicle.id == stay.vehicle_id).execute()
        release(ctx, stay.spot_number, now)
        ctx.audit("departed", "stays", stay.id, spot=stay.spot_number, reason=str(why))

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
