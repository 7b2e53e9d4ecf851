"""Shifts listed for the office and the accountant: closed ones with their Z report's totals,
open ones with their running totals."""

from __future__ import annotations

import json

from ..models import Shift, ZReport
from ..shift_sums import shift_sums
from .context import Context
from .money import from_cents
from .shift_results import ShiftRow
from .shift_totals import people_ids, staff_name
from .text import clean_label
from .validate import aware_moment, parse_int


def _names(ids) -> tuple[str, ...]:
    return tuple(name for name in (staff_name(i) for i in ids) if name)


def shift_list(ctx: Context, booth=None, since=None, until=None, limit=100) -> list[ShiftRow]:
    """Newest first. `since`/`until` (aware datetimes): the shifts that were open at some time in
    [since, until); `booth`: one booth's."""
    name = None if booth is None else clean_label(booth, "booth", "booth name")
    start = None if since is None else aware_moment(since, "since", "the start of the period")
    end = None if until is None else aware_moment(until, "until", "the end of the period")
    count = parse_int(limit, "limit", 1, 100_000)
    query = Shift.select()
    if name is not None:
        query = query.where(Shift.booth_name == name)
    if end is not None:
        query = query.where(Shift.opened_at < end)
    if start is not None:
        query = query.where(Shift.closed_at.is_null() | (Shift.closed_at >= start))
    shifts = list(query.order_by(Shift.opened_at.desc(), Shift.id.desc()).limit(count))
    reports = {z.shift_id: z for z in ZReport.select().where(ZReport.shift.in_([s.id for s in shifts]))} if shifts else {}
    return [_row(ctx, s, reports.get(s.id)) for s in shifts]


def _row(ctx: Context, shift: Shift, z: ZReport | None) -> ShiftRow:
    if z is not None:
        body = json.loads(z.body)
        values = dict(payments_count=z.payments_count, cash=z.cash_cents, card=z.card_cents, refunds=z.refunds_cents,
                      voids=z.voids_cents, drops=z.drops_cents, payouts=z.payouts_cents,
                      expected_cash=z.expected_cash_cents, expected_card=z.expected_card_cents)
        people = body.get("people", [shift.opened_by])
    else:
        sums = shift_sums(ctx.db, shift.id)
        values = dict(payments_count=sums.payments_count, cash=sums.cash_cents, card=sums.card_cents,
                      refunds=sums.refunds_cents, voids=sums.voids_cents, drops=sums.drops_cents,
                      payouts=sums.payouts_cents, expected_cash=sums.expected_cash(shift.float_cents),
                      expected_card=sums.expected_card)
        people = people_ids(ctx, shift)
    counted = shift.status == "open" and shift.counted_cash_cents is not None
    return ShiftRow(
        shift_id=shift.id, booth_name=shift.booth_name, status="counted" if counted else shift.status,
        opened_at=shift.opened_at, closed_at=shift.closed_at, opened_by_name=staff_name(shift.opened_by) or "",
        closed_by_name=staff_name(shift.closed_by) if shift.status == "closed" else None, people=_names(people),
        z_number=z.number if z is not None else None, payments_count=values.pop("payments_count"),
        float_amount=from_cents(shift.float_cents), **{k: from_cents(v) for k, v in values.items()},
        counted_cash=from_cents(shift.counted_cash_cents), variance=from_cents(shift.variance_cents),
        card_batch=from_cents(shift.card_batch_cents), card_variance=from_cents(shift.card_variance_cents),
        signed_off_by_name=staff_name(shift.signed_off_by), signoff_code=shift.signoff_code)
