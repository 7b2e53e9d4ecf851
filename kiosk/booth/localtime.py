"""Stored times (UTC) as a person at the booth reads them: in the site's time zone.

Everything is stored and computed in UTC; only text meant for people is local. The site's zone
is `system_config.time_zone`, an IANA name such as Europe/London, or '' for the machine's own
zone (found by tzlocal: the TZ environment variable first, then /etc/localtime and the
distribution's files). Where a local wall time is ambiguous (the night the clocks go back,
01:30 comes twice) the zone's abbreviation is added: "01:30 BST", then "01:30 GMT". A stored
instant never lands in the hour skipped in spring, so that case does not arise here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import warnings
import zoneinfo
from functools import lru_cache

from ..clock import to_utc
from .errors import BoothError, shown

UTC = dt.timezone.utc
ZONE_HINT = "give a time zone name such as Europe/London, or leave it empty for this machine's zone"


@lru_cache(maxsize=1)
def _known() -> dict[str, str]:
    """lower-case name -> name, for every zone the tz database has (~35 ms to list: once)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def warm_up() -> None:
    """List the zones in a worker, before the Configuration screen checks one as it is typed."""
    _known()


def check_zone(value: object) -> str:
    """The Configuration's validator: '' (the machine's zone) or a zone name, in its canonical spelling."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 64:
        raise BoothError(f"'{shown(value)}' is not a time zone: {ZONE_HINT}", field="time_zone")
    text = value.strip()
    if not text:
        return ""
    name = _known().get(text.lower())
    if name is None:
        close = difflib.get_close_matches(text.lower(), _known(), n=1, cutoff=0.8)
        maybe = f" (did you mean {_known()[close[0]]}?)" if close else ""
        raise BoothError(f"'{shown(text)}' is not a time zone: {ZONE_HINT}{maybe}", field="time_zone")
    return name


@lru_cache(maxsize=8)
def _machine(tz_env: str | None) -> tuple[dt.tzinfo, str, str]:
    """(zone, its name, why it fell back to UTC or ''): read once per value of TZ."""
    import tzlocal

    with warnings.catch_warnings():  # its warnings would land on the terminal's screen
        warnings.simplefilter("ignore")
        try:
            zone = tzlocal.reload_localzone()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return UTC, "UTC", f"this machine's time zone could not be read ({first}): UTC is used"
    name = getattr(zone, "key", None) or str(zone)
    # "local": tzlocal read /etc/localtime as a file (not a link naming its zone)
    return zone, ("/etc/localtime" if name == "local" else name), ""


def machine_zone() -> tuple[dt.tzinfo, str, str]:
    """This machine's zone: (zone, name, a note when it could not be read and UTC stands in)."""
    return _machine(os.environ.get("TZ"))


def _named(setting: str | None) -> dt.tzinfo | None:
    if setting:
        try:
            return zoneinfo.ZoneInfo(setting)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass  # set by hand to something unknown: the machine's zone, as for ''
    return None


def zone_of(setting: str | None) -> dt.tzinfo:
    """The zone a `system_config.time_zone` value means ('' or NULL: the machine's)."""
    return _named(setting) or machine_zone()[0]


def zone_name(setting: str | None) -> str:
    """What the Configuration shows for a setting: 'Europe/London', or "this machine's (Europe/London)"."""
    if _named(setting) is not None:
        return str(setting)
    _zone, name, note = machine_zone()
    return f"this machine's ({name})" + (f": {note}" if note else "")


# ---- text ---------------------------------------------------------------------------------

def local(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A stored instant (aware, or naive UTC as SQLite gives it) as local wall time, fold set."""
    return to_utc(moment).astimezone(zone)


def ambiguous(wall: dt.datetime) -> bool:
    """True when this local wall time also names another instant (the hour the clocks go back)."""
    other = wall.replace(fold=1 - wall.fold)
    return other.utcoffset() != wall.utcoffset()


def _mark(text: str, wall: dt.datetime, always: bool) -> str:
    return f"{text} {wall.tzname()}" if always or ambiguous(wall) else text


def hm(moment: dt.datetime | None, zone: dt.tzinfo, *, seconds: bool = False, zone_always: bool = False) -> str:
    """'14:32' ('14:32:05'); '01:30 BST' when the wall time is ambiguous, or always if asked."""
    if moment is None:
        return "--:--"
    wall = local(moment, zone)
    return _mark(f"{wall:%H:%M:%S}" if seconds else f"{wall:%H:%M}", wall, zone_always)


def when(moment: dt.datetime | None, zone: dt.tzinfo, now: dt.datetime | None = None) -> str:
    """'14:32' on today's local date, '23 Nov 14:32' on another (an overnight stay must not look like today's)."""
    if moment is None:
        return "--:--"
    wall = local(moment, zone)
    clock = f"{wall:%H:%M}"
    if now is None or wall.date() != local(now, zone).date():
        clock = f"{wall.day} {wall:%b} {clock}"
    return _mark(clock, wall, False)


def day_hm(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """'01 Dec 23:32': a list of recent rows, aligned."""
    wall = local(moment, zone)
    return _mark(f"{wall:%d %b %H:%M}", wall, False)


def stamp(moment: dt.datetime, zone: dt.tzinfo, *, seconds: bool = False) -> str:
    """'2026-07-01 13:32 BST': date, time and zone, for paper and for messages read later."""
    wall = local(moment, zone)
    return _mark(f"{wall:%Y-%m-%d %H:%M:%S}" if seconds else f"{wall:%Y-%m-%d %H:%M}", wall, True)


# ---- days -------------------------------------------------------------------------------------

def today(now: dt.datetime, zone: dt.tzinfo) -> dt.date:
    return local(now, zone).date()


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The UTC instant the local day begins. Where a change of offset skips midnight itself, the
    wall time is read with the offset before the change (PEP 495): the instant the clocks jumped."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local day in UTC: 24 hours, or 23 / 25 on the days the clocks change."""
    return day_start(day, zone), day_start(day + dt.timedelta(days=1), zone)


def hours_of_day(day: dt.date, zone: dt.tzinfo) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(local hour, UTC start, UTC end) of each hour the local day has, in order: 01 comes twice in
    autumn, and 01 is missing in spring (Europe/London)."""
    start, end = day_bounds(day, zone)
    out = []
    at = start
    while at < end:
        wall = local(at, zone)
        # The next local hour boundary: zones with :30 / :45 offsets still change the hour on the hour.
        nxt = min(end, at + dt.timedelta(minutes=60 - wall.minute, seconds=-wall.second))
        out.append((wall.hour, at, nxt))
        at = nxt
    return out
