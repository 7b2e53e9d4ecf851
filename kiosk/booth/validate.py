"""Checks shared by the rules: whole numbers in a range, vehicle types, spot numbers and ranges."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from .errors import BoothError, shown

_TYPE = re.compile(r"[a-z][a-z0-9_-]{0,19}", re.ASCII)
_SPOT = re.compile(r"([A-Z]{1,3})([0-9]{1,4})", re.ASCII)
MAX_RANGE = 5000


def parse_int(value: object, field: str, lo: int, hi: int, what: str | None = None) -> int:
    what = what or field.replace("_", " ")
    allowed = f"{what} must be a whole number from {lo} to {hi}"
    if isinstance(value, bool) or isinstance(value, float):
        raise BoothError(f"{allowed}; got {shown(value)}", field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        if not lo <= value <= hi:  # before int(): 1E+999999 would take seconds to build
            raise BoothError(f"{allowed}; got {shown(str(value))}", field=field)
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value, re.ASCII):
        number = int(value)
    else:
        raise BoothError(f"{allowed}; got '{shown(value)}'", field=field)
    if not lo <= number <= hi:
        raise BoothError(f"{allowed}; got {shown(number)}", field=field)
    return number


def normalise_type(raw: object) -> str:
    allowed = "a vehicle type is 1 to 20 lower-case letters, digits, '-' or '_', starting with a letter, e.g. car"
    if not isinstance(raw, str) or len(raw) > 40:
        raise BoothError(f"'{shown(raw)}' is not a vehicle type: {allowed}", field="type")
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if not _TYPE.fullmatch(text):
        raise BoothError(f"enter a vehicle type: {allowed}" if not text else f"'{shown(raw)}' is not a vehicle type: {allowed}", field="type")
    return text


def normalise_spot(raw: object) -> str:
    allowed = "a spot is 1 to 3 letters then 1 to 4 digits, e.g. A07"
    if not isinstance(raw, str) or len(raw) > 20:
        raise BoothError(f"'{shown(raw)}' is not a spot number: {allowed}", field="spot")
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    if not _SPOT.fullmatch(text):
        raise BoothError(f"enter a spot number: {allowed}" if not text else f"'{shown(raw)}' is not a spot number: {allowed}", field="spot")
    return text


def parse_spot_range(raw: object) -> list[str]:
    """'A01-A40' -> ['A01', ..., 'A40'] (zero-padding taken from the first spot); 'A07' -> ['A07']."""
    allowed = f"a range is FIRST-LAST with the same letters, e.g. A01-A40 (at most {MAX_RANGE} spots)"
    if not isinstance(raw, str) or len(raw) > 40:
        raise BoothError(f"'{shown(raw)}' is not a spot range: {allowed}", field="spots")
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    parts = [p.strip() for p in re.split(r"\s*(?:-|\.\.|–|—)\s*", text)] if text else []
    if len(parts) not in (1, 2):
        raise BoothError(f"'{shown(raw)}' is not a spot range: {allowed}", field="spots")
    matches = [_SPOT.fullmatch(p) for p in parts]
    if not all(matches):
        raise BoothError(f"'{shown(raw)}' is not a spot range: {allowed}", field="spots")
    first, last = matches[0], matches[-1]
    assert first is not None and last is not None  # all(matches) above
    if first.group(1) != last.group(1):
        raise BoothError(f"'{shown(raw)}' mixes letters {first.group(1)} and {last.group(1)}: {allowed}", field="spots")
    lo, hi = int(first.group(2)), int(last.group(2))
    if hi < lo:
        raise BoothError(f"'{shown(raw)}' runs backwards: {allowed}", field="spots")
    if hi - lo + 1 > MAX_RANGE:
        raise BoothError(f"'{shown(raw)}' has {hi - lo + 1} spots: {allowed}", field="spots")
    width = len(first.group(2))
    if len(str(hi)) > 4:
        raise BoothError(f"'{shown(raw)}' goes past 9999: {allowed}", field="spots")
    return [f"{first.group(1)}{n:0{width}d}" for n in range(lo, hi + 1)]


def check_flag(value: object, field: str, what: str) -> bool:
    """A yes/no argument: True or False only ('no' or 0 would read as a truth value, the wrong way)."""
    if not isinstance(value, bool):
        raise BoothError(f"{what} must be True or False; got {shown(value)}", field=field)
    return value


def aware_moment(value: object, field: str, what: str) -> dt.datetime:
    """A point in time with its time zone, in UTC; a naive datetime names no moment and is refused."""
    if not isinstance(value, dt.datetime):
        raise BoothError(f"{what} must be a date and time with a time zone; got {shown(value)}", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise BoothError(f"{what} must carry its time zone (e.g. UTC); got {value:%Y-%m-%d %H:%M} without one",
                         field=field)
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:
        raise BoothError(f"{what} is out of range; got {shown(value)}", field=field) from None
