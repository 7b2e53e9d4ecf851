"""Z reports: numbered 1, 2, 3 ... per booth with no gap, written in the transaction that closes
the shift, read back from their stored body (a reprint says so).

The number is the booth's highest plus one, taken inside the closing transaction: a close that
fails gives its number back with everything else, and UNIQUE (booth_name, number) refuses a
repeat. Closing locks the shift row (PostgreSQL: FOR UPDATE); SQLite writes one at a time.
The body keeps staff as ids (names are shown as they read now: a purged account shows as
"former staff #n"), and everything else as it was printed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from ..errors import ErrorCode
from ..models import Shift, ZReport
from ..shift_sums import Z_COLUMNS, ShiftSums
from .context import Context
from .errors import BoothError
from .shift_results import ShiftReport
from .shift_totals import build_report
from .sql import Statement, ts, when
from .text import clean_label
from .validate import parse_int

_NEXT = Statement("SELECT COALESCE(MAX(number), 0) + 1 FROM z_reports WHERE booth_name = ?")
BODY_VERSION = 1


def write_z(ctx: Context, shift: Shift, sums: ShiftSums, *, now: dt.datetime, people: list[int], exceptions,
            counted_cents: int, card_batch_cents: int, expected_cents: int, closed_by: int | None,
            signed_off_by: int | None, signoff_code: str | None) -> ShiftReport:
    """In the closing transaction: the booth's next number, the row, and the report as printed."""
    settings = ctx.settings()
    number = int(_NEXT.one(ctx.db, (shift.booth_name,))[0])  # type: ignore[index]
    report = build_report(ctx, shift, sums, number=number, period_end=now, people=people, exceptions=exceptions,
                          counted_cents=counted_cents, card_batch_cents=card_batch_cents, closed_by=closed_by,
                          signed_off_by=signed_off_by, signoff_code=signoff_code, currency=settings.currency_symbol)
    body = {"version": BODY_VERSION, "number": number, "booth": shift.booth_name, "shift_id": shift.id,
            "period_start": ts(shift.opened_at), "period_end": ts(now), "opened_by": shift.opened_by,
            "closed_by": closed_by, "signed_off_by": signed_off_by, "signoff_code": signoff_code, "people": people,
            "sums": sums._asdict(), "float_cents": shift.float_cents, "counted_cash_cents": counted_cents,
            "card_batch_cents": card_batch_cents, "currency": settings.currency_symbol,
            "exceptions": [[kind, code, label, n, str(amount)] for kind, code, label, n, amount in report.exceptions]}
    ZReport.insert(booth_name=shift.booth_name, number=number, shift=shift.id, created_at=now,
                   period_start=shift.opened_at, period_end=now, float_cents=shift.float_cents,
                   expected_cash_cents=expected_cents, counted_cash_cents=counted_cents,
                   variance_cents=counted_cents - expected_cents, expected_card_cents=sums.expected_card,
                   card_batch_cents=card_batch_cents, body=json.dumps(body, sort_keys=True),
                   **{column: getattr(sums, column) for column in Z_COLUMNS}).execute()
    return report


def _booth(ctx: Context, booth) -> str:
    return ctx.booth_name() if booth is None else clean_label(booth, "booth", "booth name")


def z_report(ctx: Context, number, booth=None, reprint: bool = True) -> ShiftReport:
    """Z report `number` of `booth` (default: this booth), as it was printed."""
    n = parse_int(number, "number", 1, 2**31 - 1, "a Z report number")
    name = _booth(ctx, booth)
    row = ZReport.get_or_none((ZReport.booth_name == name) & (ZReport.number == n))
    if row is None:
        last = ZReport.select().where(ZReport.booth_name == name).count()
        have = f"it has Z reports 1 to {last}" if last else "it has no Z reports yet"
        raise BoothError(f"booth {name} has no Z report {n}: {have}", field="number", code=ErrorCode.REFUSED)
    return from_body(ctx, row.body, reprint)


def from_body(ctx: Context, text: str, reprint: bool) -> ShiftReport:
    body = json.loads(text)
    opened_at, closed_at = when(body["period_start"]), when(body["period_end"])
    assert opened_at is not None and closed_at is not None  # written by write_z
    shift = Shift(id=body["shift_id"], booth_name=body["booth"], opened_by=body["opened_by"], opened_at=opened_at,
                  float_cents=body["float_cents"])
    report = build_report(ctx, shift, ShiftSums(**body["sums"]), number=body["number"], period_end=closed_at,
                          people=body["people"], exceptions=[], counted_cents=body["counted_cash_cents"],
                          card_batch_cents=body["card_batch_cents"], closed_by=body["closed_by"],
                          signed_off_by=body["signed_off_by"], signoff_code=body["signoff_code"],
                          currency=body["currency"], reprint=reprint)
    # The exceptions as printed at the close (a code relabelled since keeps its label here).
    printed = tuple((kind, code, label, int(n), Decimal(amount)) for kind, code, label, n, amount in body["exceptions"])
    return dataclasses.replace(report, exceptions=printed)
