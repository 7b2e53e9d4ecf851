"""What the shift rules return: plain frozen dataclasses (results.py holds the per-car ones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ShiftInfo:
    id: int
    booth_name: str
    status: str  # open | closed
    opened_by: int  # staff id
    opened_by_name: str
    opened_at: dt.datetime
    float_amount: Decimal
    float_pieces: dict[int, int] | None  # denomination cents -> count; None: counted as a total
    left_open: bool  # open under an earlier terminal run: close it before taking money
    closed_at: dt.datetime | None = None
