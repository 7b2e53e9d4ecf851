"""What the shift rules return: plain frozen dataclasses (results.py holds the per-car ones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from .localtime import UTC, stamp
from .money import format_money


@dataclass(frozen=True)
class ShiftInfo:
    id: int
    booth_name: str
    status: str  # open | closed
    opened_by: int  # staff id
    opened_by_name: str
    opened_at: dt.datetime
    float_amount: Decimal
    float_pieces: dict[int, int] | None  # denomination cents -> count; None: counted as a total
    left_open: bool  # open under an earlier terminal run: close it before taking money
    closed_at: dt.datetime | None = None
    counted: bool = False  # the blind count is recorded and waits for a supervisor's sign-off


@dataclass(frozen=True)
class Movement:
    """A cash drop to the safe or a payout from the drawer."""

    id: int
    shift_id: int
    kind: str  # drop | payout
    amount: Decimal
    reason: str  # a reason code of the kind
    created_at: dt.datetime


# (kind, code, label, how many, amount)
ExceptionLine = tuple[str, str, str, int, Decimal]


@dataclass(frozen=True)
class ShiftReport:
    """An X report (number None: the open shift's running totals) or a Z report (the closed shift's)."""

    number: int | None
    booth_name: str
    shift_id: int
    period_start: dt.datetime
    period_end: dt.datetime
    opened_by_name: str
    closed_by_name: str | None
    signed_off_by_name: str | None
    signoff_code: str | None
    people: tuple[str, ...]  # everyone who took money in the shift
    payments_count: int
    cash: Decimal
    card: Decimal
    refunds: Decimal  # positive: what went back
    voids: Decimal
    waived: Decimal
    debts_collected: Decimal
    drops: Decimal
    payouts: Decimal
    float_amount: Decimal
    expected_cash: Decimal
    counted_cash: Decimal | None
    variance: Decimal | None  # counted - expected cash
    expected_card: Decimal
    card_batch: Decimal | None
    card_variance: Decimal | None
    exceptions: tuple[ExceptionLine, ...]
    cars_in: int
    cars_out: int
    currency: str = "£"
    zone: dt.tzinfo = UTC
    reprint: bool = False

    @property
    def title(self) -> str:
        return "X REPORT" if self.number is None else f"Z REPORT No. {self.number}"

    def lines(self, width: int = 42) -> list[str]:
        """The printable report: local times with their zone, amounts with the currency."""
        money = lambda d: "-" if d is None else format_money(d, self.currency)  # noqa: E731
        rule = "-" * width
        out = [self.booth_name.center(width).rstrip(), self.title.center(width).rstrip()]
        if self.reprint:
            out.append("*** REPRINT ***".center(width).rstrip())
        out += [rule, _row("shift", str(self.shift_id), width),
                _row("opened", stamp(self.period_start, self.zone), width),
                _row("closed" if self.number is not None else "as at", stamp(self.period_end, self.zone), width),
                _row("opened by", self.opened_by_name, width)]
        if self.closed_by_name:
            out.append(_row("closed by", self.closed_by_name, width))
        if self.signed_off_by_name:
            out.append(_row("signed off by", self.signed_off_by_name, width))
            out.append(_row("sign-off reason", self.signoff_code or "-", width))
        out += _wrap("staff", ", ".join(self.people) or "-", width)
        out += [rule, _row("payments", str(self.payments_count), width), _row("cash", money(self.cash), width),
                _row("card", money(self.card), width), _row("refunds", money(-self.refunds), width),
                _row("voids", money(-self.voids), width), _row("waived", money(self.waived), width),
                _row("debts collected", money(self.debts_collected), width),
                _row("drops", money(-self.drops), width), _row("payouts", money(-self.payouts), width), rule,
                _row("float", money(self.float_amount), width)]
        if self.number is None:
            # An X report is read during the shift: the drawer's expected figure is not printed, so the
            # close stays a blind count (the attendant counts without a total to make the count fit).
            out.append("drawer: counted blind at the close")
        else:
            out += [_row("expected cash", money(self.expected_cash), width),
                    _row("counted cash", money(self.counted_cash), width), _row("variance", money(self.variance), width),
                    _row("expected card", money(self.expected_card), width),
                    _row("card batch", money(self.card_batch), width),
                    _row("card variance", money(self.card_variance), width)]
        out += [rule, _row("cars in", str(self.cars_in), width), _row("cars out", str(self.cars_out), width)]
        if self.exceptions:
            out += [rule, "EXCEPTIONS"]
            for kind, code, label, count, amount in self.exceptions:
                out.append(_row(f"{kind}: {label}"[: width - 16], f"x{count} {money(amount)}", width))
        return out + [rule]


def _row(label: str, value: str, width: int) -> str:
    return f"{label}{' ' * max(1, width - len(label) - len(value))}{value}"


def _wrap(label: str, value: str, width: int) -> list[str]:
    if len(label) + 1 + len(value) <= width:
        return [_row(label, value, width)]
    out, line = [label], ""
    for name in value.split(", "):
        piece = name if not line else f"{line}, {name}"
        if len(piece) + 2 > width and line:
            out.append(f"  {line},")
            piece = name
        line = piece
    return out + [f"  {line}"]


@dataclass(frozen=True)
class CloseResult:
    """The blind count's outcome, shown only after the count was entered."""

    shift_id: int
    expected_cash: Decimal
    counted_cash: Decimal
    variance: Decimal
    expected_card: Decimal
    card_batch: Decimal
    card_variance: Decimal
    needs_signoff: bool  # over the threshold: counted, still open, a supervisor signs it off
    report: ShiftReport | None  # the Z report when the shift closed


@dataclass(frozen=True)
class ShiftRow:
    """A shift in a list (headless `shifts`, the accountant's CSV)."""

    shift_id: int
    booth_name: str
    status: str  # open | counted (waiting for a sign-off) | closed
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    opened_by_name: str
    closed_by_name: str | None
    people: tuple[str, ...]
    z_number: int | None
    payments_count: int
    float_amount: Decimal
    cash: Decimal
    card: Decimal
    refunds: Decimal
    voids: Decimal
    drops: Decimal
    payouts: Decimal
    expected_cash: Decimal
    counted_cash: Decimal | None
    variance: Decimal | None
    expected_card: Decimal
    card_batch: Decimal | None
    card_variance: Decimal | None
    signed_off_by_name: str | None = None
    signoff_code: str | None = None
