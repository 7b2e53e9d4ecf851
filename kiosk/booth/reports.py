"""Reports: occupancy now and through a day, revenue per day and method, the audit trail.

Days and hours are the site's local ones (Config.zone): a day the clocks change has 23 or 25
hours, and a payment at 23:30 local time counts on that local day, whatever its UTC date.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import peewee as pw

from ..models import AuditLog, Payment, Staff, Stay, Vehicle
from .context import Context
from .errors import BoothError, shown
from .localtime import day_start, hours_of_day, today
from .money import from_cents
from .results import AuditRow, Occupancy, StayRow
from .spots import free_counts
from .staff import shown_name
from .sql import tuples
from .validate import parse_int


def occupancy_by_type(ctx: Context) -> list[Occupancy]:
    return [Occupancy(t, total - free, free, total) for t, (free, total) in free_counts(ctx).items()]


def _day(day) -> dt.date:
    date = None
    if isinstance(day, dt.datetime):
        date = day.date()
    elif isinstance(day, dt.date):
        date = day
    elif isinstance(day, str) and len(day) <= 40:
        try:
            date = dt.date.fromisoformat(day.strip())
        except ValueError:
            pass
    if date is None or not dt.date(1970, 1, 1) <= date <= dt.date(9998, 12, 31):  # a day after it must exist
        raise BoothError(f"'{shown(day)}' is not a day: give a date from 1970 on as YYYY-MM-DD", field="day")
    return date


def occupancy_through_day(ctx: Context, day) -> list[tuple[int, int]]:
    """(local hour, vehicles on site at any moment of it) for each hour the local day has, in order:
    24, or 23 / 25 on the days the clocks change (01 twice in autumn). Hours not yet begun count 0."""
    hours = hours_of_day(_day(day), ctx.settings().zone)
    start, end = hours[0][1], hours[-1][2]
    now = ctx.now()
    stays = list(tuples(Stay.select(Stay.entry_timestamp, Stay.exit_timestamp)
                        .where((Stay.entry_timestamp < end) & (Stay.exit_timestamp.is_null() | (Stay.exit_timestamp > start)))))
    out = []
    for hour, h0, h1 in hours:
        if h0 > now:
            out.append((hour, 0))
            continue
        out.append((hour, sum(1 for entry, exit_ in stays if entry < h1 and (exit_ is None or exit_ > h0))))
    return out


_DAYS_PER_QUERY = 31  # each query sorts its rows into at most this many days (a CASE of that many branches)


def revenue_per_day(ctx: Context, days=14) -> list[tuple[dt.date, str, Decimal]]:
    """Net takings (refunds count on the day they were made) per local day and method, exact to the
    cent, for the `days` local days up to today."""
    days = parse_int(days, "days", 1, 3660)
    zone = ctx.settings().zone
    last = today(ctx.now(), zone)
    dates = [last - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    cents = pw.fn.COALESCE(Payment.amount_cents, pw.Cast(pw.fn.ROUND(Payment.amount * 100), "INTEGER"))
    out: list[tuple[dt.date, str, Decimal]] = []
    for first in range(0, days, _DAYS_PER_QUERY):
        chunk = dates[first:first + _DAYS_PER_QUERY]
        # A local day is [its midnight, the next midnight) in UTC: compared in SQL, so no row is read
        # into Python, and the same on SQLite and PostgreSQL.
        bounds = [day_start(d, zone) for d in chunk] + [day_start(chunk[-1] + dt.timedelta(days=1), zone)]
        day_no = pw.Case(None, [(Payment.created_at < b, n) for n, b in enumerate(bounds[1:])])
        query = tuples(Payment.select(day_no.alias("day"), Payment.payment_method, pw.fn.SUM(cents).alias("cents"))
                 .where((Payment.created_at >= bounds[0]) & (Payment.created_at < bounds[-1]))
                 # By position: PostgreSQL would not match the CASE's parameters to the select list's.
                 .group_by(pw.SQL("1"), pw.SQL("2")))
        out += [(chunk[n], method or "", from_cents(int(total))) for n, method, total in query]
    return sorted(out, key=lambda r: (r[0], r[1]))


def recent_audit(ctx: Context, limit=50, action=None, staff_id=None) -> list[AuditRow]:
    """The newest audit rows, with the names of who acted and who approved (read now: the rows
    hold ids only). `staff_id`: only the rows that person made or approved."""
    limit = parse_int(limit, "limit", 1, 10_000)
    query = AuditLog.select().order_by(AuditLog.id.desc()).limit(limit)
    if action not in (None, ""):
        if not isinstance(action, str) or len(action) > 40:
            raise BoothError("an action filter is a short word such as entry, payment or config", field="action")
        query = query.where(AuditLog.action == action.strip().lower())
    if staff_id is None:
        rows = list(query)
    else:
        sid = parse_int(staff_id, "staff", 1, 2**62, "a staff id")
        # Two reads, each on its partial index, newest first: an OR would sort every row of the person.
        both = {r.id: r for q in (query.where(AuditLog.staff_id == sid), query.where(AuditLog.approver_id == sid)) for r in q}
        rows = sorted(both.values(), key=lambda r: r.id, reverse=True)[:limit]
    ids = {i for r in rows for i in (r.staff_id, r.approver_id) if i is not None}
    names = {s.id: shown_name(s) for s in Staff.select(Staff.id, Staff.display_name, Staff.purged_at).where(Staff.id.in_(ids))} if ids else {}
    out = []
    for r in rows:
        try:
            details = json.loads(r.details) if r.details else {}
        except ValueError:
            details = {"text": r.details}
        out.append(AuditRow(r.id, r.timestamp, r.action, r.entity, r.entity_id,
                            details if isinstance(details, dict) else {"value": details},
                            staff_id=r.staff_id, staff_name=_name(names, r.staff_id), approver_id=r.approver_id,
                            approver_name=_name(names, r.approver_id), origin=r.origin or "before_sign_in"))
    return out


def _name(names: dict[int, str], sid: int | None) -> str | None:
    if sid is None:
        return None
    return names.get(sid, f"unknown staff #{sid}")


def recent_stays(ctx: Context, limit=12) -> list[StayRow]:
    """The latest arrivals at any booth, newest first (the stays' primary key, so it stays cheap)."""
    limit = parse_int(limit, "limit", 1, 1000)
    query = (Stay.select(Stay.id, Vehicle.number_plate, Stay.vehicle_type, Stay.spot_number, Stay.entry_timestamp,
                         Stay.status, Stay.exit_timestamp)
             .join(Vehicle, on=(Vehicle.id == Stay.vehicle)).order_by(Stay.id.desc()).limit(limit))
    return [StayRow(s.id, None if s.vehicle.number_plate.startswith("~") else s.vehicle.number_plate, s.vehicle_type,
                    s.spot_number, s.entry_timestamp, s.status, s.exit_timestamp) for s in query]
