"""Time, injectable: fees and expiry depend on it, so tests pin it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

UTC = dt.timezone.utc
# The text form SQLite's CURRENT_TIMESTAMP and datetime('now', ...) produce.
SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S"


class Clock(Protocol):
    def now(self) -> dt.datetime:  # pragma: no cover - protocol
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC).replace(microsecond=0)


class FixedClock:
    """A clock that only moves when told to (tests, benchmarks, rehearsals)."""

    def __init__(self, start: dt.datetime | str):
        self._now = parse_utc(start) if isinstance(start, str) else to_utc(start)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime | str) -> None:
        self._now = parse_utc(when) if isinstance(when, str) else to_utc(when)

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now


def to_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive datetime is taken to be UTC already (as SQLite stores it)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_utc(text: str) -> dt.datetime:
    return to_utc(dt.datetime.fromisoformat(text.strip()))


def to_sqlite_text(value: dt.datetime) -> str:
    return to_utc(value).strftime(SQLITE_FORMAT)
