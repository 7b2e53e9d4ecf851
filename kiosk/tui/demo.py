"""Deterministic made-up spots: for tests, snapshots, the benchmark and trying the screens."""

from __future__ import annotations

from .services import KioskServices
from .widgets.spot_cells import SpotCell

TYPES = ("car", "van", "motorcycle")
ZONE_SIZE = 400


def demo_cells(count: int, zone_size: int = ZONE_SIZE) -> list[SpotCell]:
    """`count` spots in zones of `zone_size` (A001, A002, ... B001, ...), states in a fixed pattern."""
    cells = []
    for i in range(count):
        z = i // zone_size
        zone = chr(ord("A") + z) if z < 26 else f"Z{z}"
        kind = TYPES[z % len(TYPES)]
        state = "overstay" if i % 97 == 0 else "occupied" if (i * 7) % 5 < 2 else "free"
        cells.append(SpotCell(f"{zone}{i % zone_size + 1:03d}", f"Zone {zone} · {kind}", state))
    return cells


def demo_services(count: int = 10_000, **kwargs) -> KioskServices:
    cells = demo_cells(count)
    kwargs.setdefault("booth_name", "Booth A · North car park")
    kwargs.setdefault("vehicle_types", TYPES)
    return KioskServices(get_cells=lambda: list(cells), **kwargs)
