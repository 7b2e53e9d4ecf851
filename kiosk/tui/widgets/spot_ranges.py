"""Spots summarised per vehicle type as ranges ('A01-A30, A35'), for the Configuration screen. No Textual."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

_SPOT = re.compile(r"([A-Za-z]*)(\d+)$")


@dataclass(frozen=True)
class TypeSpots:
    vehicle_type: str
    total: int
    free: int
    ranges: tuple[str, ...]

    def text(self, max_ranges: int = 4) -> str:
        shown = ", ".join(self.ranges[:max_ranges]) + (" …" if len(self.ranges) > max_ranges else "")
        return f"{self.vehicle_type:<11} {self.total:>5,} spots  {self.free:>5,} free   {shown}"


def ranges(numbers: Iterable[str]) -> list[str]:
    """Consecutive numbers with the same letters and width collapse into FIRST-LAST."""
    keyed = []
    for n in numbers:
        m = _SPOT.match(n)
        keyed.append((m.group(1), len(m.group(2)), int(m.group(2)), n) if m else (n, 0, 0, n))
    keyed.sort()
    out: list[str] = []
    run: list[tuple] = []
    for item in keyed:
        if run and item[:2] == run[-1][:2] and item[2] == run[-1][2] + 1 and item[1]:
            run.append(item)
            continue
        if run:
            out.append(_fmt(run))
        run = [item]
    if run:
        out.append(_fmt(run))
    return out


def _fmt(run: list[tuple]) -> str:
    return run[0][3] if len(run) == 1 else f"{run[0][3]}-{run[-1][3]}"


def by_type(states: Iterable, types_in_order: Iterable[str] = ()) -> list[TypeSpots]:
    """`states`: objects with spot_number, vehicle_type, state (kiosk.booth SpotState)."""
    types_in_order = list(types_in_order)
    numbers: dict[str, list[str]] = defaultdict(list)
    free: dict[str, int] = defaultdict(int)
    for s in states:
        key = s.vehicle_type or "(no type)"
        numbers[key].append(s.spot_number)
        free[key] += s.state == "free"
    order = [t for t in types_in_order if t in numbers] + sorted(t for t in numbers if t not in types_in_order)
    return [TypeSpots(t, len(numbers[t]), free[t], tuple(ranges(numbers[t]))) for t in order]
