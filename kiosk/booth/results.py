"""What the booth's rules return: plain frozen dataclasses, safe to hand to any thread or screen."""

from __future__ import annotations

from enum import StrEnum

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .fees import FeeBreakdown
from .localtime import UTC, stamp
from .money import format_money



class StayStatus(StrEnum):
    """A stay's `status` column: open while the car is on site, then paid or departed (left unpaid)."""

    OPEN = "open"
    PAID = "paid"
    DEPARTED = "departed"

@dataclass(frozen=True)
class Registration:
    stay_id: int
    vehicle_id: int
    plate: str
    spot: str
    vehicle_type: str
    entry_at: dt.datetime
    warnings: tuple[str, ...] = ()  # e.g. an O/0 look-alike of a parked plate


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
    status: str  # open | paid | departed
    exit_at: dt.datetime | None


@dataclass(frozen=True)
class SpotState:
    spot_number: str
    vehicle_type: str | None
    state: str  # free | occupied | overstay
    stay_id: int | None
    plate: str | None
    entry_at: dt.datetime | None


@dataclass(frozen=True)
class Receipt:
    payment_id: int
    transaction_id: str
    stay_id: int
    plate: str
    spot: str | None
    breakdown: FeeBreakdown
    method: str
    amount: Decimal
    tendered: Decimal | None
    change: Decimal | None
    paid_at: dt.datetime
    booth_name: str = ""
    currency: str = "£"
    repeated: bool = False  # True when a retried transaction id returned the original payment
    zone: dt.tzinfo = UTC  # the site's time zone (Config.zone): the receipt's times are local

    def text(self) -> str:
        """The printable receipt: local times, each with its zone (a customer may keep it past a change of clocks)."""
        money = lambda d: format_money(d, self.currency)  # noqa: E731
        width = 40
        rows = [
            self.booth_name.center(width).rstrip(),
            "PARKING RECEIPT".center(width).rstrip(),
            "-" * width,
            _row("plate", self.plate, width),
            _row("spot", self.spot or "-", width),
            _row("in", stamp(self.breakdown.entry_at, self.zone), width),
            _row("out", stamp(self.breakdown.exit_at, self.zone), width),
            "-" * width,
        ]
        rows += [_row(label, value, width) for label, value in self.breakdown.lines(self.currency)[:-1]]
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
    refund_id: int
    payment_id: int
    stay_id: int | None
    amount: Decimal  # negative
    reason: str
    refunded_at: dt.datetime
    reopened: bool


@dataclass(frozen=True)
class PaymentRow:
    payment_id: int
    transaction_id: str | None
    stay_id: int | None
    plate: str | None  # None once expiry removed the plate
    method: str | None
    amount: Decimal
    status: str
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

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "status": self.status, "rows": self.rows, "batches": self.batches,
            "batch_size": self.batch_size, "duration_ms": self.duration_ms, "longest_tx_ms": self.longest_tx_ms,
            "started_at": f"{self.started_at:%Y-%m-%d %H:%M:%S}", "finished_at": f"{self.finished_at:%Y-%m-%d %H:%M:%S}",
            "cutoff": f"{self.cutoff:%Y-%m-%d %H:%M:%S}" if self.cutoff else None, "remaining": self.remaining,
            "overstays": self.overstays, "message": self.message, "run_id": self.run_id,
            "notes": self.notes, "receipts": self.receipts,
        }


@dataclass(frozen=True)
class AuditRow:
    id: int
    timestamp: dt.datetime
    action: str
    entity: str
    entity_id: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Occupancy:
    vehicle_type: str | None
    occupied: int
    free: int
    total: int
