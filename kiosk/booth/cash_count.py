"""A cash count: a total, or how many of each denomination the site's currency has.

Used for the float a shift opens with and the blind count it closes with. Denominations
are the configured list (system_config.denominations, cents, largest first), so a count
names only notes and coins the drawer can hold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from .errors import BoothError, shown
from .money import format_money, from_cents, parse_money, to_cents

MAX_PIECES = 100_000  # of one denomination: more is a typing slip
MAX_TOTAL = Decimal("100000")


class Count(NamedTuple):
    cents: int
    pieces: dict[int, int] | None  # denomination cents -> count; None: counted as a total

    def pieces_json(self) -> str | None:
        return None if self.pieces is None else json.dumps({str(k): v for k, v in self.pieces.items()}, sort_keys=True)


def parse_denominations(raw: object) -> tuple[int, ...]:
    """The setting: cents as text, comma separated ('5000,2000,...,1'), each once, largest first."""
    allowed = "denominations are whole cents separated by commas, e.g. 5000,2000,1000,500,200,100,50,20,10,5,2,1"
    if not isinstance(raw, str) or not raw.strip():
        raise BoothError(f"the denominations are empty: {allowed}", field="denominations")
    out = []
    for part in raw.split(","):
        text = part.strip()
        if not text.isdigit() or not 1 <= int(text) <= 100_000_00:
            raise BoothError(f"'{shown(text)}' is not a denomination: {allowed}", field="denominations")
        out.append(int(text))
    if len(set(out)) != len(out):
        raise BoothError(f"a denomination is listed twice: {allowed}", field="denominations")
    return tuple(sorted(out, reverse=True))


def denomination_label(cents: int, symbol: str) -> str:
    return format_money(from_cents(cents), symbol)


def _denomination(key: object, allowed: tuple[int, ...], field: str) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        cents = key
    elif isinstance(key, str) and key.strip().isdigit():
        cents = int(key.strip())
    else:
        cents = -1
    if cents not in allowed:
        names = ", ".join(str(c) for c in allowed)
        raise BoothError(f"'{shown(key)}' is not one of the site's denominations (in cents: {names})", field=field)
    return cents


def parse_count(total: object, pieces: object, denominations: tuple[int, ...], *, field: str, what: str) -> Count:
    """Exactly one of `total` (an amount) or `pieces` ({denomination cents: how many})."""
    if (total in (None, "")) == (pieces is None):
        raise BoothError(f"give the {what} either as a total (e.g. 150.00) or counted per denomination, not "
                         f"{'both' if pieces is not None else 'neither'}", field=field)
    if pieces is None:
        amount = parse_money(total, field, what=what, maximum=MAX_TOTAL)
        return Count(to_cents(amount), None)
    if not isinstance(pieces, Mapping):
        raise BoothError(f"the {what} per denomination is a table of denomination (cents) to how many", field=field)
    out: dict[int, int] = {}
    for key, n in pieces.items():
        cents = _denomination(key, denominations, field)
        if isinstance(n, str) and n.strip().isdigit():
            n = int(n.strip())
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_PIECES:
            raise BoothError(f"the count of {cents}-cent pieces must be a whole number from 0 to {MAX_PIECES}, "
                             f"not {shown(n)}", field=field)
        if cents in out:
            raise BoothError(f"the {cents}-cent pieces are counted twice", field=field)
        if n:
            out[cents] = n
    cents_total = sum(c * n for c, n in out.items())
    if cents_total > to_cents(MAX_TOTAL):
        raise BoothError(f"the {what} {from_cents(cents_total):.2f} is over {MAX_TOTAL:.2f}: count again", field=field)
    return Count(cents_total, out)
