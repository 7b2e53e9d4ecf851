"""What the booth's rules return: plain frozen dataclasses, safe to hand to any thread or screen."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, NamedTuple

from .fees import FeeBreakdown
from .localtime import UTC, stamp
from .money import format_money


class StayStatus(StrEnum):
    """A stay's `status` column: open while the car is on site, then paid or departed (left unpaid)."""

    OPEN = "open"
    PAID = "paid"
    DEPARTED = "departed"


class PaymentStatus(StrEnum):
    """A `payments` row's `payment_status`: paid (a payment) or refunded (a refund's own, negative row).

    A vehicle's `payment_status` repeats the outcome of its latest stay: one of these, or
    `StayStatus.DEPARTED` when it left unpaid (NULL while it is on site).
    """

    PAID = "paid"
    REFUNDED = "refunded"
    VOIDED = "voided"  # a void's own, negative row: the payment was cancelled in its shift, the car put back


class PaymentException(StrEnum):
    """A `payments` row's `exception`: how it differs from an ordinary payment (NULL: it does not)."""

    LOST_TICKET = "lost_ticket"
    OVERRIDE = "override"  # a fee override or free exit: `waived_cents` says what was not charged
    VOID = "void"


@dataclass(frozen=True)
class Registration:
    stay_id: int
    vehicle_id: int
    plate: str
    spot: str
    vehicle_type: str
    entry_at: dt.datetime
    warnings: tuple[str, ...] = ()  # e.g. an O/0 look-alike of a parked plate
    debts: tuple[DebtRow, ...] = ()  # the plate's unpaid drive-offs: shown at entry, collected with a payment


@dataclass(frozen=True)
class DebtRow:
    """An unpaid drive-off: the fee of a stay closed as left without paying, owed by its vehicle."""

    debt_id: int
    stay_id: int
    amount: Decimal
    created_at: dt.datetime  # when the stay was closed
    entry_at: dt.datetime | None = None  # the unpaid stay's entry


@dataclass(frozen=True)
class LostTicketQuote:
    """What a lost ticket costs: the fee from the recorded entry when the plate has a car on site
    (`on_record`, `stay_id`, `fee`), else the flat lost-ticket fee of the vehicle type (`flat`)."""

    plate: str
    on_record: bool
    stay_id: int | None
    fee: FeeBreakdown | None
    flat: Decimal | None
    amount: Decimal
    vehicle_type: str = ""


@dataclass(frozen=True)
class OpenStay:
    stay_id: int
    plate: str
    vehicle_type: str | None
    spot: str | None
    entry_at: dt.datetime
    overstay: bool


@dataclass(frozen=True)
class StayRow:
    """A recent visit, for the attendant's list of the latest arrivals."""

    stay_id: int
    plate: str | None  # None once expiry removed the plate
    vehicle_type: str | None
    spot: str | None
    entry_at: dt.datetime
    status: str  # a StayStatus value
    exit_at: dt.datetime | None


@dataclass(frozen=True)
class SpotState:
    spot_number: str
    vehicle_type: str | None
    state: str  # free | occupied | overstay
    stay_id: int | None
    plate: str | None
    entry_at: dt.datetime | None


class MapRow(NamedTuple):
    """One spot of a MapStates."""

    spot_number: str
    vehicle_type: str | None
    state: str  # free | occupied | overstay


@dataclass(frozen=True, slots=True)
class MapStates:
    """Every spot's number, vehicle type and state, by spot number: what a spot map polls.

    Held as the one string the database packed, because a booth re-reads 10,000 spots every
    few seconds and most reads find nothing new: two reads compare whole (`==`, one string
    comparison), `entries()` splits one into an opaque string per spot to compare pairwise,
    and only the entries that differ need `row()`. The separators are this class's business.
    """

    packed: str = ""
    # Control characters: never in a spot number or a vehicle type.
    FIELD_SEP: ClassVar[str] = "\x1f"
    ROW_SEP: ClassVar[str] = "\x1e"

    @classmethod
    def of_rows(cls, rows: Iterable[tuple[str, str | None, str]]) -> MapStates:
        """States from (spot number, vehicle type or None, state) rows, kept in the order given."""
        f = cls.FIELD_SEP
        return cls(cls.ROW_SEP.join(f"{number}{f}{vtype or ''}{f}{state}" for number, vtype, state in rows))

    def entries(self) -> list[str]:
        """One string per spot, in order: equal entries are the same spot in the same state."""
        return self.packed.split(self.ROW_SEP) if self.packed else []

    @classmethod
    def row(cls, entry: str) -> MapRow:
        """An entry of `entries()` read: raises ValueError if it is not a number, a type and a state."""
        parts = entry.split(cls.FIELD_SEP)
        if len(parts) != 3:
            raise ValueError(f"spot map entry {entry!r} is not number, type and state")
        number, vtype, state = parts
        # One string object per type and state, not one per spot (10,000 of each on a large site).
        return MapRow(number, sys.intern(vtype) or None, sys.intern(state))

    def rows(self) -> list[MapRow]:
        return [self.row(entry) for entry in self.entries()]


@dataclass(frozen=True)
class Receipt:
    payment_id: int
    transaction_id: str
    stay_id: int
    plate: str
    spot: str | None
    breakdown: FeeBreakdown | None  # None: a flat lost-ticket fee (no entry on record)
    method: str  # cash | card | none (a free exit)
    amount: Decimal  # what was charged, debts collected included
    tendered: Decimal | None
    change: Decimal | None
    paid_at: dt.datetime
    booth_name: str = ""
    currency: str = "£"
    repeated: bool = False  # True when a retried transaction id returned the original payment
    zone: dt.tzinfo = UTC  # the site's time zone (Config.zone): the receipt's times are local
    exception: str | None = None  # a PaymentException value: lost_ticket | override
    reason: str = ""  # the exception's reason, as its label reads
    waived: Decimal | None = None  # an override or free exit: the fee not charged
    debts: Decimal | None = None  # earlier unpaid stays collected within `amount`
    flat: Decimal | None = None  # a lost ticket with no entry on record: the flat fee of the type

    @property
    def fee(self) -> Decimal:
        """What this stay cost before an override: the breakdown's total, or the flat fee."""
        if self.breakdown is not None:
            return self.breakdown.total
        return self.flat if self.flat is not None else self.amount - (self.debts or Decimal(0))

    def text(self) -> str:
        """The printable receipt: local times, each with its zone (a customer may keep it past a change of clocks)."""
        money = lambda d: format_money(d, self.currency)  # noqa: E731
        width = 40
        rows = [self.booth_name.center(width).rstrip(), "PARKING RECEIPT".center(width).rstrip()]
        if self.exception == "lost_ticket":
            rows.append("LOST TICKET".center(width).rstrip())
        elif self.exception == "override":
            rows.append(("FREE EXIT" if self.amount == 0 else "FEE OVERRIDE").center(width).rstrip())
        rows += ["-" * width, _row("plate", self.plate, width), _row("spot", self.spot or "-", width)]
        if self.breakdown is not None:
            rows += [_row("in", stamp(self.breakdown.entry_at, self.zone), width),
                     _row("out", stamp(self.breakdown.exit_at, self.zone), width), "-" * width]
            fee = self.breakdown.named_lines(self.currency)
            rows += [_row(label, value, width) for name, (label, value) in fee.items() if name != "total"]
        else:
            rows += [_row("in", "not on record", width), _row("out", stamp(self.paid_at, self.zone), width), "-" * width,
                     _row("lost-ticket fee", money(self.fee), width)]
        if self.reason:
            rows.append(_row("reason", self.reason, width))
        if self.waived or self.debts:
            rows.append(_row("parking", money(self.fee), width))
        if self.waived:
            rows.append(_row("waived", "-" + money(self.waived), width))
        if self.debts:
            rows.append(_row("unpaid earlier stays", money(self.debts), width))
        rows += ["-" * width, _row("TOTAL", money(self.amount), width), _row("paid by", self.method, width)]
        if self.tendered is not None:
            rows += [_row("tendered", money(self.tendered), width), _row("change", money(self.change or Decimal(0)), width)]
        rows += [
            "-" * width,
            _row("receipt", str(self.payment_id), width),
            _row("transaction", self.transaction_id, width),
            _row("paid at", stamp(self.paid_at, self.zone, seconds=True), width),
        ]
        return "\n".join(rows) + "\n"


def _row(label: str, value: str, width: int) -> str:
    gap = max(1, width - len(label) - len(value))
    return f"{label}{' ' * gap}{value}"


@dataclass(frozen=True)
class Refund:
    """A refund's or a void's own, negative row (`voided`: a void, which always puts the car back)."""

    refund_id: int
    payment_id: int
    stay_id: int | None
    amount: Decimal  # negative
    reason: str
    refunded_at: dt.datetime
    reopened: bool
    voided: bool = False
    method: str | None = None
    reason_label: str = ""
    booth_name: str = ""
    currency: str = "£"
    zone: dt.tzinfo = UTC
    debts_reopened: int = 0  # a void of a payment that collected debts: they are owed again

    def text(self) -> str:
        """The slip handed over with the money: "VOID" or "REFUND", the payment it cancels, the amount."""
        width = 40
        rows = [self.booth_name.center(width).rstrip(), ("VOID" if self.voided else "REFUND").center(width).rstrip(),
                "-" * width, _row("of receipt", str(self.payment_id), width),
                _row("stay", "-" if self.stay_id is None else str(self.stay_id), width),
                _row("reason", self.reason_label or self.reason, width), "-" * width,
                _row("TOTAL", format_money(self.amount, self.currency), width),
                _row("returned by", self.method or "-", width), "-" * width,
                _row("slip", str(self.refund_id), width),
                _row("at", stamp(self.refunded_at, self.zone, seconds=True), width)]
        if self.reopened:
            rows.insert(6, _row("car", "back on site", width))
        return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class PaymentRow:
    payment_id: int
    transaction_id: str | None
    stay_id: int | None
    plate: str | None  # None once expiry removed the plate
    method: str | None
    amount: Decimal
    status: str  # a PaymentStatus value
    paid_at: dt.datetime
    refund_of: int | None
    refunded: bool


@dataclass(frozen=True)
class Rate:
    vehicle_type: str
    rate_per_hour: Decimal
    minimum_hours: int
    grace_minutes: int
    daily_cap: Decimal | None
    lost_ticket: Decimal | None = None  # the flat fee when the plate is not on record; None: a day's fee, capped


@dataclass(frozen=True)
class Config:
    retention_hours: int
    archive_days: int
    booth_name: str
    phone_region: str
    rates: tuple[Rate, ...]
    currency_symbol: str = "£"
    expiry_batch_size: int = 500
    archive_batch_size: int = 1000
    backup_window_days: int = 7  # a backup may hold personal data for retention + this window
    time_zone: str = ""  # the setting as stored: '' means this machine's zone
    zone: dt.tzinfo = UTC  # the zone every time a person reads is shown in (the setting, resolved)
    zone_name: str = "UTC"  # how the Configuration names it, e.g. "this machine's (Europe/London)"
    staff_retention_days: int = 365  # a disabled account's name and PIN hash are kept this long
    lock_minutes: int = 5  # the terminal locks after this many minutes without a key
    printer_kind: str = "none"  # the receipt printer: none | network | usb | serial | file (kiosk.booth.printer_setting)
    printer_target: str = ""  # where it is, as its kind says: host[:port], vendor:product, device[:baud], a path

    def rate_for(self, vehicle_type: str) -> Rate | None:
        return next((r for r in self.rates if r.vehicle_type == vehicle_type), None)


@dataclass(frozen=True)
class RunReport:
    kind: str  # expire | archive
    status: str  # done | stopped | failed
    rows: int
    batches: int
    batch_size: int
    duration_ms: int
    longest_tx_ms: int
    started_at: dt.datetime
    finished_at: dt.datetime
    cutoff: dt.datetime | None = None
    remaining: int = 0
    overstays: int = 0
    message: str = ""
    run_id: int | None = None
    notes: int = 0  # expiry: stay notes removed
    receipts: int = 0  # expiry: receipt files deleted
    staff: int = 0  # expiry: disabled staff accounts reduced to their id
    held: int = 0  # expiry: vehicles and staff accounts whose due data a legal hold kept

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "status": self.status, "rows": self.rows, "batches": self.batches,
            "batch_size": self.batch_size, "duration_ms": self.duration_ms, "longest_tx_ms": self.longest_tx_ms,
            "started_at": f"{self.started_at:%Y-%m-%d %H:%M:%S}", "finished_at": f"{self.finished_at:%Y-%m-%d %H:%M:%S}",
            "cutoff": f"{self.cutoff:%Y-%m-%d %H:%M:%S}" if self.cutoff else None, "remaining": self.remaining,
            "overstays": self.overstays, "message": self.message, "run_id": self.run_id,
            "notes": self.notes, "receipts": self.receipts, "staff": self.staff, "held": self.held,
        }


@dataclass(frozen=True)
class AuditRow:
    id: int
    timestamp: dt.datetime
    action: str
    entity: str
    entity_id: str
    details: dict = field(default_factory=dict)
    staff_id: int | None = None  # who acted (for sign-in rows: the account the PIN was typed for)
    staff_name: str | None = None  # their name now ("former staff #N" once the account was purged)
    approver_id: int | None = None  # the supervisor who approved an override
    approver_name: str | None = None
    origin: str = "before_sign_in"  # terminal | headless | worker | before_sign_in (kiosk.booth.actors.Origin)


@dataclass(frozen=True)
class StaffMember:
    """A staff account as the Staff screen and `kiosk --maintenance staff list` show it (never its hash)."""

    staff_id: int
    name: str
    role: str  # a kiosk.booth.actors.Role value
    active: bool
    disabled_at: dt.datetime | None
    locked_until: dt.datetime | None
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None
    purged: bool = False

    def to_json(self) -> dict:
        def t(v):
            return None if v is None else f"{v:%Y-%m-%d %H:%M:%S}"

        return {"id": self.staff_id, "name": self.name, "role": str(self.role), "active": self.active,
                "disabled_at": t(self.disabled_at), "locked_until": t(self.locked_until),
                "created_at": t(self.created_at), "last_sign_in_at": t(self.last_sign_in_at)}


@dataclass(frozen=True)
class Occupancy:
    vehicle_type: str | None
    occupied: int
    free: int
    total: int
