"""What the terminal needs from the rest of the kiosk, as plain callables.

Tests pass fakes; the CLI passes `database_services(db)` until kiosk.booth.Booth
provides the real thing. No business rule lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .widgets.spot_cells import SpotCell


@dataclass
class KioskServices:
    get_cells: Callable[[], Sequence[SpotCell]]  # called in a worker thread
    booth_name: str = "Booth"
    # Text shown when Enter is pressed on a spot (vehicle, time on site, fee so far);
    # called in a worker thread. None: not connected yet.
    spot_details: Callable[[str], str] | None = None
    vehicle_types: Sequence[str] = field(default_factory=tuple)
    refresh_seconds: float = 3.0  # how often the spot map is read again


def database_services(database, booth_name: str = "Booth") -> KioskServices:
    """Read-only services straight from the plan tables (an interim until kiosk.booth)."""
    import re

    from ..models.plan import ParkingRate, ParkingSpot

    def natural(spot: str):
        return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", spot.upper())]

    def get_cells() -> list[SpotCell]:
        with database.connection_context():
            rows = list(
                ParkingSpot.select(ParkingSpot.spot_number, ParkingSpot.vehicle_type, ParkingSpot.is_occupied).tuples()
            )
        rows.sort(key=lambda r: natural(r[0]))
        cells = []
        for number, vehicle_type, occupied in rows:
            zone = re.match(r"[^\d]*", number).group(0).rstrip("-_ ") or "—"
            group = f"Zone {zone} · {vehicle_type or 'any type'}"
            cells.append(SpotCell(number, group, "occupied" if occupied else "free"))
        return cells

    def vehicle_types() -> tuple[str, ...]:
        with database.connection_context():
            return tuple(r[0] for r in ParkingRate.select(ParkingRate.vehicle_type).distinct().tuples())

    try:
        types = vehicle_types()
    except Exception:  # noqa: BLE001 - an empty type list is shown instead; the map reports errors itself
        types = ()
    return KioskServices(get_cells=get_cells, booth_name=booth_name, vehicle_types=types)
