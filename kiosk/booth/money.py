"""Money: Decimal built from text, two places, ROUND_HALF_UP, exact integer cents in the DB.

`parse_money` is the one reader of every amount an attendant or operator types (cash
tendered, rates, caps). An amount is never re-scaled: a comma followed by one or two
digits is a decimal comma (`1,50` = 1.50, as typed on a continental keyboard); any other
comma, a thousands separator, or a mix of `.` and `,` is refused, never deleted.
"""

from __future__ import annotations

import re
from typing import overload
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import BoothError, shown

CENT = Decimal("0.01")
MAX_TEXT = 40
# Whole units, then at most one decimal separator (point or comma) with 1 or 2 digits.
_AMOUNT = re.compile(r"(?P<units>\d{0,9})(?:(?P<sep>[.,])(?P<cents>\d*))?", re.ASCII)
_SYMBOLS = "£$€"


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allowed_amount(minimum: Decimal = Decimal("0"), maximum: Decimal = Decimal("100000")) -> str:
    """What `parse_money` accepts, as its messages say it."""
    return (f"a number from {minimum:.2f} to {maximum:.2f} with at most 2 decimal places, e.g. 12.50 "
            "(12,50 is read as 12.50; no thousands separators)")


def _from_text(value: str, field: str, what: str, allowed: str) -> Decimal:
    if len(value) > MAX_TEXT:
        raise BoothError(f"the {what} is too long ({len(value)} characters): {allowed}", field=field)
    text = value.strip()
    if text[:1] in _SYMBOLS:  # one currency symbol, before or after the number
        text = text[1:].strip()
    elif text[-1:] in _SYMBOLS:
        text = text[:-1].strip()
    if text.startswith("-"):
        raise BoothError(f"the {what} must not be negative: {allowed}", field=field)
    if "." in text and "," in text:
        raise BoothError(f"'{shown(value)}' mixes '.' and ',': thousands separators are not accepted; {allowed}",
                         field=field)
    for sep in ".,":
        if text.count(sep) > 1:
            raise BoothError(f"'{shown(value)}' has more than one '{sep}': thousands separators are not accepted; "
                             f"{allowed}", field=field)
    match = _AMOUNT.fullmatch(text)
    if match is None or not (match["units"] or match["cents"]):
        raise BoothError(f"'{shown(value)}' is not an amount: {allowed}", field=field)
    cents = match["cents"] or ""
    if match["sep"] and not cents:
        raise BoothError(f"'{shown(value)}' has no digits after the '{match['sep']}': {allowed}", field=field)
    if match["sep"] == "," and len(cents) > 2:
        raise BoothError(f"'{shown(value)}': a comma followed by {len(cents)} digits reads like a thousands "
                         f"separator, which is not accepted; {allowed}", field=field)
    if match["sep"] and len(cents) > 2:
        raise BoothError(f"the {what} '{shown(value)}' has more than 2 decimal places: {allowed}", field=field)
    return Decimal(f"{match['units'] or '0'}.{cents or '0'}")


def parse_money(value: object, field: str = "amount", *, what: str = "amount",
                minimum: Decimal = Decimal("0"), maximum: Decimal = Decimal("100000")) -> Decimal:
    """An amount typed or passed in (text, int or Decimal; never float), checked against bounds."""
    allowed = allowed_amount(minimum, maximum)
    if isinstance(value, bool) or isinstance(value, float):
        raise BoothError(f"the {what} must be given as text or Decimal, not {type(value).__name__}: {allowed}", field=field)
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        amount = _from_text(value, field, what, allowed)
    else:
        raise BoothError(f"the {what} must be a number: {allowed}", field=field)
    try:
        if not amount.is_finite():
            raise InvalidOperation
        if amount != amount.quantize(CENT):
            raise BoothError(f"the {what} {shown(str(amount))} has more than 2 decimal places: {allowed}", field=field)
    except InvalidOperation:
        raise BoothError(f"the {what} is not a number: {allowed}", field=field) from None
    if amount < 0:
        raise BoothError(f"the {what} must not be negative: {allowed}", field=field)
    if amount < minimum or amount > maximum:
        raise BoothError(f"the {what} {amount:.2f} is out of range: {allowed}", field=field)
    return quantize(amount)


def to_cents(amount: Decimal) -> int:
    return int(quantize(amount) * 100)


@overload
def from_cents(cents: int) -> Decimal: ...
@overload
def from_cents(cents: None) -> None: ...
@overload
def from_cents(cents: int | None) -> Decimal | None: ...
def from_cents(cents: int | None) -> Decimal | None:
    if cents is None:
        return None
    return (Decimal(int(cents)) / 100).quantize(CENT)


def format_money(amount: Decimal, symbol: str = "£") -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"
