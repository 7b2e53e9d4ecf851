"""How times and durations read on the booth's screens (no Textual: the adapter uses them too).

Times are stored in UTC and shown in the site's time zone (Config.zone, `app.zone`), by
kiosk.booth.localtime, the same rules the printed receipt follows: "14:32", and "01:30 BST" /
"01:30 GMT" on the night the clocks go back, when a wall time alone would be ambiguous.
"""

from __future__ import annotations

import datetime as dt

from ...booth import StayStatus, localtime


def clock_text(moment: dt.datetime | None, zone: dt.tzinfo) -> str:
    return localtime.hm(moment, zone)


def span_text(minutes: int) -> str:
    hours, mins = divmod(max(0, int(minutes)), 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days} d {hours} h {mins:02d} min"
    return f"{hours} h {mins:02d} min"


def when_text(moment: dt.datetime | None, zone: dt.tzinfo, now: dt.datetime | None = None) -> str:
    """'14:32' today, '23 Nov 14:32' on another (local) day: an overnight stay must not look like today's."""
    return localtime.when(moment, zone, now)


def arrival_cells(row, now: dt.datetime, zone: dt.tzinfo) -> tuple[str, ...]:
    """One latest arrival (a booth StayRow): when, plate, spot, type, and how the stay stands."""
    outcome = "on site" if row.status == StayStatus.OPEN else f"{row.status} {when_text(row.exit_at, zone, now)}"
    return (when_text(row.entry_at, zone, now), row.plate or "(expired)", row.spot or "—", row.vehicle_type or "", outcome)


def payment_cells(row, now: dt.datetime, amount: str, zone: dt.tzinfo) -> tuple[str, ...]:
    """One latest payment (a booth PaymentRow, its amount already formatted)."""
    note = f"refund of {row.refund_of}" if row.refund_of else ("refunded" if row.refunded else "")
    return (when_text(row.paid_at, zone, now), row.plate or "(expired)", amount, row.method or "", note)


def columns(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell (`right`: right-aligned columns)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]
