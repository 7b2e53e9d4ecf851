"""The fee rule: rate x max(minimum, hours started), with optional grace and daily cap.

Pure functions of their inputs (no database, no clock), so they can be
property-tested and shown or printed as a breakdown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from .errors import BoothError
from .localtime import UTC, stamp
from .money import format_money, quantize


class FeeLine(NamedTuple):
    """One row of a fee's breakdown, as a screen or a receipt shows it."""

    label: str
    value: str


@dataclass(frozen=True)
class FeeBreakdown:
    entry_at: dt.datetime
    exit_at: dt.datetime
    minutes: int  # stay length, truncated to whole minutes
    hours_started: int
    hours_charged: int  # after grace and minimum, before the cap
    rate: Decimal
    minimum_hours: int
    grace_minutes: int
    daily_cap: Decimal | None
    total: Decimal
    vehicle_type: str = ""
    grace_applied: bool = False
    cap_applied: bool = False

    def named_lines(self, symbol: str = "£") -> dict[str, FeeLine]:
        """The breakdown's rows by name, in the order shown: time, hours_started, grace (only when the
        rate has one), minimum, hours_charged, rate, daily_cap (only when the rate has one), total."""
        h, m = divmod(self.minutes, 60)
        rows = {
            "time": FeeLine("time parked", f"{h} h {m:02d} min"),
            "hours_started": FeeLine("hours started", str(self.hours_started)),
        }
        if self.grace_minutes:
            rows["grace"] = FeeLine("grace", f"{self.grace_minutes} min" + (" (applied)" if self.grace_applied else ""))
        rows["minimum"] = FeeLine("minimum", f"{self.minimum_hours} h")
        rows["hours_charged"] = FeeLine("hours charged", str(self.hours_charged))
        rows["rate"] = FeeLine(f"rate ({self.vehicle_type})" if self.vehicle_type else "rate",
                               f"{format_money(self.rate, symbol)} / h")
        if self.daily_cap is not None:
            rows["daily_cap"] = FeeLine("daily cap",
                                        format_money(self.daily_cap, symbol) + (" (applied)" if self.cap_applied else ""))
        rows["total"] = FeeLine("total", format_money(self.total, symbol))
        return rows

    def lines(self, symbol: str = "£") -> list[FeeLine]:
        """The rows of `named_lines`, in order."""
        return list(self.named_lines(symbol).values())


def compute_fee(entry_at: dt.datetime, exit_at: dt.datetime, rate: Decimal, minimum_hours: int = 1,
                grace_minutes: int = 0, daily_cap: Decimal | None = None, vehicle_type: str = "",
                zone: dt.tzinfo = UTC) -> FeeBreakdown:
    """`zone`: the site's, for the times in the message should the exit come before the entry."""
    if exit_at < entry_at:
        raise BoothError(
            f"the exit time {stamp(exit_at, zone)} is before the entry time {stamp(entry_at, zone)}: "
            "check the clock; a fee is only computed for an exit at or after the entry",
            field="exit",
        )
    if not isinstance(rate, Decimal) or rate < 0:
        raise BoothError("the hourly rate must be a Decimal amount of 0.00 or more", field="rate")
    minutes = int((exit_at - entry_at).total_seconds() // 60)
    hours_started = -(-minutes // 60)
    billable = hours_started
    grace_applied = False
    # The last started hour is free while it has run for no more than the grace.
    if grace_minutes and hours_started and minutes - (hours_started - 1) * 60 <= grace_minutes:
        billable -= 1
        grace_applied = True
    hours_charged = max(minimum_hours, billable)
    uncapped = rate * hours_charged
    total = uncapped
    cap_applied = False
    if daily_cap is not None:
        # Each started 24 hours of charged time costs at most the cap.
        days, rest = divmod(hours_charged, 24)
        total = days * min(daily_cap, rate * 24) + min(daily_cap, rate * rest)
        cap_applied = total < uncapped
    return FeeBreakdown(
        entry_at=entry_at, exit_at=exit_at, minutes=minutes, hours_started=hours_started,
        hours_charged=hours_charged, rate=rate, minimum_hours=minimum_hours, grace_minutes=grace_minutes,
        daily_cap=daily_cap, total=quantize(total), vehicle_type=vehicle_type,
        grace_applied=grace_applied, cap_applied=cap_applied,
    )
