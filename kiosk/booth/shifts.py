"""The attendant's shift at this booth: opened with a counted float; every payment and refund
is taken within the booth's open shift.

A shift carries the `session` of the Booth that opened it (one per terminal run, kept across
sign-ins, so a relief hand-over stays in the same run). A shift open under another session
was left open (terminal closed, power cut): money is refused until it is closed.
"""

from __future__ import annotations

import json

from ..errors import ErrorCode
from ..models import Shift, Staff, SystemConfig
from .cash_count import Count, parse_count, parse_denominations
from .context import Context
from .errors import BoothError
from .localtime import stamp
from .money import from_cents
from .shift_results import ShiftInfo
from .sql import Statement, when

_OPEN = Statement("SELECT id, session, opened_by, opened_at FROM shifts WHERE booth_name = ? AND status = 'open'")
# PostgreSQL: money taken holds a share lock on its shift until it commits, so a close (which locks
# the row for update) waits for it and a Z report never misses a payment committed beside it.
_FOR_MONEY = Statement("SELECT id, session, opened_by, opened_at, counted_cash_cents FROM shifts "
                       "WHERE booth_name = ? AND status = 'open'", pg=" FOR SHARE")


def denominations(ctx: Context) -> tuple[int, ...]:
    row = SystemConfig.select(SystemConfig.denominations).order_by(SystemConfig.id).first()
    return parse_denominations(row.denominations if row is not None else "5000,2000,1000,500,200,100,50,20,10,5,2,1")


def read_count(ctx: Context, total, pieces, *, field: str, what: str) -> Count:
    return parse_count(total, pieces, denominations(ctx), field=field, what=what)


def _info(ctx: Context, row: Shift) -> ShiftInfo:
    person = Staff.get_or_none(Staff.id == row.opened_by)
    return ShiftInfo(
        id=row.id, booth_name=row.booth_name, status=row.status, opened_by=row.opened_by,
        opened_by_name=person.display_name if person is not None else f"#{row.opened_by}", opened_at=row.opened_at,
        float_amount=from_cents(row.float_cents),
        float_pieces=None if row.float_counts is None else {int(k): v for k, v in json.loads(row.float_counts).items()},
        left_open=row.status == "open" and row.session != ctx.session, closed_at=row.closed_at,
        counted=row.status == "open" and row.counted_cash_cents is not None)


def current_shift(ctx: Context) -> ShiftInfo | None:
    """This booth's open shift (left_open: opened by another terminal run), or None."""
    row = Shift.get_or_none((Shift.booth_name == ctx.booth_name()) & (Shift.status == "open"))
    return None if row is None else _info(ctx, row)


def open_shift(ctx: Context, float_total=None, float_pieces=None) -> ShiftInfo:
    """Open this booth's shift for the signed-in person with the float counted into the drawer."""
    count = read_count(ctx, float_total, float_pieces, field="float", what="float")
    actor = ctx.actor
    assert actor is not None and actor.staff_id is not None  # @person: checked by the guard

    def change() -> ShiftInfo:
        booth = ctx.booth_name()
        found = _OPEN.one(ctx.db, (booth,))
        if found is not None:
            raise _already_open(ctx, found)
        now = ctx.now()
        sid = Shift.insert(booth_name=booth, status="open", session=ctx.session, opened_by=actor.staff_id,
                           opened_at=now, float_cents=count.cents, float_counts=count.pieces_json()).execute()
        ctx.audit("shift_open", "shifts", sid, booth=booth, float_cents=count.cents)
        return _info(ctx, Shift.get_by_id(sid))

    return ctx.write(change)


def _already_open(ctx: Context, found: tuple) -> BoothError:
    sid, session, opened_by, opened_at = found
    person = Staff.get_or_none(Staff.id == opened_by)
    who = person.display_name if person is not None else f"staff #{opened_by}"
    opened = when(opened_at)
    assert opened is not None  # opened_at is NOT NULL
    at = stamp(opened, ctx.settings().zone)
    if session != ctx.session:
        return BoothError(f"shift {sid} opened by {who} at {at} was left open (the terminal was closed or lost power): "
                          "close it with a blind count first", field="shift", code=ErrorCode.REFUSED)
    return BoothError(f"shift {sid} opened by {who} at {at} is already open at this booth: close it first "
                      "(a relief hand-over closes one shift and opens the next)", field="shift", code=ErrorCode.REFUSED)


def shift_for_money(ctx: Context, booth: str | None = None) -> int:
    """In the caller's transaction: the open shift a payment, refund or cash movement belongs to;
    refused when the booth has none, its open shift was left open by an earlier terminal run, or
    it has been counted (closing)."""
    found = _FOR_MONEY.one(ctx.db, (booth or ctx.booth_name(),))
    if found is None:
        raise BoothError("no shift is open at this booth: open one with the float counted into the drawer before "
                         "taking payments or refunds", field="shift", code=ErrorCode.REFUSED)
    if found[4] is not None:
        raise BoothError(f"shift {found[0]} has been counted and waits for a supervisor to sign off its variance: "
                         "no money can be taken until it is closed", field="shift", code=ErrorCode.REFUSED)
    if found[1] != ctx.session:
        raise _already_open(ctx, found[:4])
    return found[0]


def shift_for_entry(ctx: Context, booth: str) -> int | None:
    """The open shift a registration counts in (a Z report's cars in); None: none open in this run."""
    found = _OPEN.one(ctx.db, (booth,))
    return found[0] if found is not None and found[1] == ctx.session else None
