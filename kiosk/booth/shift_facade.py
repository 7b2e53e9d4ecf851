"""The Booth's methods about the shift: open, cash drops and payouts, X report, the blind count
and its sign-off, Z reports and the list of shifts.

A mixin of `kiosk.booth.service.Booth` (same object, same checks), kept apart so each module
stays small. docs/operations.md ("Shifts and cash-up") says how a site uses them.
"""

from __future__ import annotations

from ..errors import ErrorCode
from ..models import Shift
from . import shift_close, shift_list, shifts, z_reports
from .actors import Permission
from .cash_moves import move_cash
from .context import Context
from .errors import BoothError
from .guard import anyone, needs, require_person
from .shift_results import CloseResult, Movement, ShiftInfo, ShiftReport, ShiftRow
from .shift_totals import x_report
from .validate import check_flag


class ShiftFacade:
    """The drawer's actions (SHIFT) are a person's: each requires one signed in, so the headless
    operator, who holds every permission but is nobody, is refused them."""

    _ctx: Context

    @anyone
    def current_shift(self) -> ShiftInfo | None:
        """This booth's open shift; `left_open` when an earlier terminal run opened it (close it first),
        `counted` when its count waits for a supervisor's sign-off."""
        return shifts.current_shift(self._ctx)

    @anyone
    def denominations(self) -> tuple[int, ...]:
        """The notes and coins a cash count names, in cents, largest first."""
        return shifts.denominations(self._ctx)

    @needs(Permission.SHIFT)
    def open_shift(self, float_total=None, float_pieces=None) -> ShiftInfo:
        """Open this booth's shift for the signed-in person: the float as a total (an amount) or
        counted per denomination ({cents: how many}), exactly one of the two."""
        require_person(self._ctx)
        return shifts.open_shift(self._ctx, float_total, float_pieces)

    @needs(Permission.SHIFT)
    def cash_drop(self, amount, reason) -> Movement:
        """Cash from the drawer to the safe, in this run's open shift; `reason`: a 'drop' code."""
        require_person(self._ctx)
        return move_cash(self._ctx, "drop", amount, reason)

    @needs(Permission.SHIFT)
    def payout(self, amount, reason) -> Movement:
        """Cash paid out of the drawer, in this run's open shift; `reason`: a 'payout' code."""
        require_person(self._ctx)
        return move_cash(self._ctx, "payout", amount, reason)

    @needs(Permission.SHIFT)
    def x_report(self) -> ShiftReport:
        """The open shift's running totals (an X report: number None); nothing is written."""
        require_person(self._ctx)
        row = Shift.get_or_none((Shift.booth_name == self._ctx.booth_name()) & (Shift.status == "open"))
        if row is None:
            raise BoothError("no shift is open at this booth: an X report shows an open shift's totals",
                             field="shift", code=ErrorCode.REFUSED)
        return x_report(self._ctx, row)

    @needs(Permission.SHIFT)
    def close_shift(self, counted_total=None, counted_pieces=None, card_batch=None) -> CloseResult:
        """The blind count: the cash counted (a total or {cents: how many}) and the card terminal's
        batch total ("0.00" allowed). Within the variance threshold the shift closes with its Z report;
        beyond it `needs_signoff` (the count is kept, no money is taken until sign_off_shift)."""
        require_person(self._ctx)
        return shift_close.close_shift(self._ctx, counted_total, counted_pieces, card_batch)

    @needs(Permission.SIGN_OFF)
    def sign_off_shift(self, code) -> CloseResult:
        """A supervisor signs off a counted shift's variance with a 'variance' reason code: it closes."""
        return shift_close.sign_off_shift(self._ctx, code)

    @needs(Permission.VIEW_OWN_ACTIVITY)
    def z_report(self, number, booth=None, reprint=True) -> ShiftReport:
        """Z report `number` of `booth` (default this booth) as it was printed; marked REPRINT. A record
        anyone on the staff may read again, and the headless operator too (`kiosk --maintenance z-report`),
        so not SHIFT, which is a person's."""
        return z_reports.z_report(self._ctx, number, booth, check_flag(reprint, "reprint", "reprint"))

    @needs(Permission.VIEW_ALL_ACTIVITY)
    def shift_list(self, booth=None, since=None, until=None, limit=100) -> list[ShiftRow]:
        """Shifts open at some time in [since, until) (aware datetimes), newest first."""
        return shift_list.shift_list(self._ctx, booth, since, until, limit)
