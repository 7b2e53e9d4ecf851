"""Money: Decimal built from text, two places, ROUND_HALF_UP, exact integer cents in the DB."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import BoothError, shown

CENT = Decimal("0.01")
_AMOUNT = re.compile(r"\d{1,9}(\.\d{0,2})?|\.\d{1,2}", re.ASCII)
_SYMBOLS = "£$€"


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value: object, field: str = "amount", *, what: str = "amount",
                minimum: Decimal = Decimal("0"), maximum: Decimal = Decimal("100000")) -> Decimal:
    """An amount typed or passed in (text, int or Decimal; never float), checked against bounds."""
    allowed = f"a number from {minimum:.2f} to {maximum:.2f} with at most 2 decimal places, e.g. 12.50"
    if isinstance(value, bool) or isinstance(value, float):
        raise BoothError(f"the {what} must be given as text or Decimal, not {type(value).__name__}: {allowed}", field=field)
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip().lstrip(_SYMBOLS).strip().replace(",", "") if len(value) <= 40 else value
        if text.startswith("-"):
            raise BoothError(f"the {what} must not be negative: {allowed}", field=field)
        if not _AMOUNT.fullmatch(text):
            raise BoothError(f"'{shown(value)}' is not an amount: {allowed}", field=field)
        amount = Decimal(text)
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


def from_cents(cents: int | None) -> Decimal | None:
    if cents is None:
        return None
    return (Decimal(int(cents)) / 100).quantize(CENT)


def format_money(amount: Decimal, symbol: str = "£") -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"
