"""How times and durations read on the booth's screens (no Textual: the adapter uses them too).

Times are shown in UTC, like the header clock and the printed receipt, so that what the
attendant reads on screen and on paper always agrees.
"""

from __future__ import annotations

import datetime as dt


def clock_text(moment: dt.datetime | None) -> str:
    return "--:--" if moment is None else f"{moment:%H:%M}"


def span_text(minutes: int) -> str:
    hours, mins = divmod(max(0, int(minutes)), 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days} d {hours} h {mins:02d} min"
    return f"{hours} h {mins:02d} min"


def when_text(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'14:32' today, '23 Nov 14:32' on another day (an overnight stay must not look like today's)."""
    if moment is None:
        return "--:--"
    if now is not None and moment.date() == now.date():
        return f"{moment:%H:%M}"
    return f"{moment.day} {moment:%b %H:%M}"
