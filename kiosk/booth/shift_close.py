"""Closing a shift: the blind count, the variance, the supervisor's sign-off, the Z report.

The count is entered before anything expected is shown, and recorded once: a second count of
the same shift is refused, so it cannot be redone to fit. Within the threshold
(system_config.variance_threshold_cents) the shift closes with its Z report in the same
transaction as the count; beyond it the count is kept, the shift stays open and takes no money
(shifts.shift_for_money), and a supervisor signs it off with a 'variance' reason code.
Either way a kill at any moment leaves the shift open with no Z, or closed with its Z.
"""

from __future__ import annotations

import datetime as dt

from ..errors import ErrorCode
from ..models import Shift, SystemConfig
from ..shift_sums import ShiftSums, shift_sums
from . import reasons
from .cash_count import MAX_TOTAL
from .context import Context
from .errors import BoothError
from .money import from_cents, parse_money, to_cents
from .shift_results import CloseResult, ShiftReport
from .shift_totals import exception_rows, people_ids
from .shifts import read_count
from .sql import Statement
from .z_reports import write_z

# PostgreSQL: the close holds the row; payments hold it FOR SHARE (shifts.shift_for_money) and wait.
_LOCK_OPEN = Statement("SELECT id FROM shifts WHERE booth_name = ? AND status = 'open'", pg=" FOR UPDATE")
DEFAULT_THRESHOLD_CENTS = 500


def _locked_open_shift(ctx: Context, booth: str) -> Shift:
    found = _LOCK_OPEN.one(ctx.db, (booth,))
    if found is None:
        raise BoothError(f"no shift is open at booth {booth}: there is nothing to close", field="shift",
                         code=ErrorCode.REFUSED)
    return Shift.get_by_id(found[0])


def threshold_cents(ctx: Context) -> int:
    row = SystemConfig.select(SystemConfig.variance_threshold_cents).order_by(SystemConfig.id).first()
    return DEFAULT_THRESHOLD_CENTS if row is None or row.variance_threshold_cents is None else row.variance_threshold_cents


def _staff(ctx: Context) -> int | None:
    return ctx.actor.staff_id if ctx.actor is not None else None


def close_shift(ctx: Context, counted_total=None, counted_pieces=None, card_batch=None) -> CloseResult:
    """The blind count of this booth's open shift (also one an earlier run left open)."""
    count = read_count(ctx, counted_total, counted_pieces, field="counted", what="counted cash")
    if card_batch in (None, ""):
        raise BoothError("enter the card terminal's batch total (0.00 when it took no card payments)",
                         field="card_batch")
    batch = to_cents(parse_money(card_batch, "card_batch", what="card batch total", maximum=MAX_TOTAL))

    def change() -> CloseResult:
        booth = ctx.booth_name()
        shift = _locked_open_shift(ctx, booth)
        if shift.counted_cash_cents is not None:
            raise BoothError(f"shift {shift.id} was already counted ({from_cents(shift.counted_cash_cents):.2f}); a "
                             "count is recorded once: a supervisor signs off its variance to close it",
                             field="counted", code=ErrorCode.REFUSED)
        sums = shift_sums(ctx.db, shift.id)
        expected = sums.expected_cash(shift.float_cents)
        variance = count.cents - expected
        over = abs(variance) > threshold_cents(ctx)
        recorded = dict(counted_cash_cents=count.cents, counted_counts=count.pieces_json(), card_batch_cents=batch,
                        expected_cash_cents=expected, expected_card_cents=sums.expected_card,
                        variance_cents=variance, card_variance_cents=batch - sums.expected_card, closed_by=_staff(ctx))
        ctx.audit("shift_count", "shifts", shift.id, booth=booth, variance_cents=variance,
                  card_variance_cents=batch - sums.expected_card, needs_signoff=over)
        if over:
            Shift.update(**recorded).where(Shift.id == shift.id).execute()
            return _result(shift.id, sums, expected, count.cents, batch, None)
        report = _close(ctx, shift, sums, recorded, signed_off_by=None, signoff_code=None)
        return _result(shift.id, sums, expected, count.cents, batch, report)

    return ctx.write(change)


def sign_off_shift(ctx: Context, code) -> CloseResult:
    """A supervisor's sign-off of a counted shift's variance: closes it with its Z report."""
    actor = ctx.actor
    signer = ctx.approver_id or (actor.staff_id if actor is not None else None)
    if signer is None:
        raise BoothError("a sign-off names the supervisor who gives it: sign in at the terminal with a name and PIN",
                         code=ErrorCode.REFUSED)

    def change() -> CloseResult:
        choice = reasons.check(ctx, "variance", code)
        booth = ctx.booth_name()
        shift = _locked_open_shift(ctx, booth)
        if shift.counted_cash_cents is None:
            raise BoothError(f"shift {shift.id} has not been counted: close it with a blind count first",
                             field="shift", code=ErrorCode.REFUSED)
        sums = shift_sums(ctx.db, shift.id)
        expected = shift.expected_cash_cents
        assert expected is not None and shift.card_batch_cents is not None  # written with the count
        ctx.audit("shift_signoff", "shifts", shift.id, booth=booth, code=choice.code, variance_cents=shift.variance_cents)
        report = _close(ctx, shift, sums, {}, signed_off_by=signer, signoff_code=choice.code)
        return _result(shift.id, sums, expected, shift.counted_cash_cents, shift.card_batch_cents, report)

    return ctx.write(change)


def _close(ctx: Context, shift: Shift, sums: ShiftSums, recorded: dict, *, signed_off_by: int | None,
           signoff_code: str | None) -> ShiftReport:
    now: dt.datetime = ctx.now()
    counted = recorded.get("counted_cash_cents", shift.counted_cash_cents)
    batch = recorded.get("card_batch_cents", shift.card_batch_cents)
    expected = recorded.get("expected_cash_cents", shift.expected_cash_cents)
    closed_by = recorded.get("closed_by", shift.closed_by)
    assert counted is not None and batch is not None and expected is not None  # the count, now or earlier
    changed = (Shift.update(status="closed", closed_at=now, signed_off_by=signed_off_by, signoff_code=signoff_code,
                            **recorded)
               .where((Shift.id == shift.id) & (Shift.status == "open")).execute())
    if changed != 1:
        raise BoothError(f"shift {shift.id} was closed a moment ago: nothing was changed", field="shift",
                         code=ErrorCode.CONFLICT)
    report = write_z(ctx, shift, sums, now=now, people=people_ids(ctx, shift), exceptions=exception_rows(ctx, shift.id),
                     counted_cents=counted, card_batch_cents=batch, expected_cents=expected, closed_by=closed_by,
                     signed_off_by=signed_off_by, signoff_code=signoff_code)
    ctx.audit("shift_close", "shifts", shift.id, booth=shift.booth_name, z_number=report.number)
    return report


def _result(shift_id: int, sums: ShiftSums, expected: int, counted: int, batch: int,
            report: ShiftReport | None) -> CloseResult:
    return CloseResult(shift_id=shift_id, expected_cash=from_cents(expected), counted_cash=from_cents(counted),
                       variance=from_cents(counted - expected), expected_card=from_cents(sums.expected_card),
                       card_batch=from_cents(batch), card_variance=from_cents(batch - sums.expected_card),
                       needs_signoff=report is None, report=report)
