"""What the terminal needs from the rest of the kiosk: a `kiosk.booth.Booth`, called from worker threads.

Screens hold no rules: they call `services.call(lambda booth: booth.register(...))` inside a
thread worker. `call` opens the worker thread's own connection (Peewee keeps one per thread)
and closes it afterwards, so the UI thread never touches the database.

Tests of the bare shell pass a `KioskServices` without a booth; the screens then say plainly
that no database is connected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .spot_feed import Row, SpotFeed
from .widgets.formats import clock_text, span_text
from .widgets.spot_cells import SpotCell

if TYPE_CHECKING:  # the booth is imported lazily: building a fake KioskServices needs no database code
    from ..booth import Booth, Receipt

T = TypeVar("T")


@dataclass
class KioskServices:
    get_cells: Callable[[], Sequence[SpotCell]]  # called in a worker thread
    booth_name: str = "Booth"
    # Text shown when Enter is pressed on a spot (vehicle, time on site, fee so far);
    # called in a worker thread. None: not connected.
    spot_details: Callable[[str], str] | None = None
    vehicle_types: Sequence[str] = field(default_factory=tuple)
    refresh_seconds: float = 3.0  # how often the spot map is read again
    booth: Booth | None = None  # None: the screens say no database is connected
    receipts_dir: Path | None = None  # where receipt files go (None: not written)
    # The booth's fast path for the map: a SpotFeed over Booth.map_states, or None (the map
    # then reads get_cells). Called once, by the app.
    make_spot_feed: Callable[[], SpotFeed] | None = None

    def spot_feed(self) -> SpotFeed:
        """A new feed over this booth's spots (the app keeps one for its whole run)."""
        if self.make_spot_feed is not None:
            return self.make_spot_feed()
        return SpotFeed.of_cells(self.get_cells)

    @property
    def connected(self) -> bool:
        return self.booth is not None

    def call(self, fn: Callable[[Booth], T]) -> T:
        """fn(booth) inside this thread's own database connection. Call it from worker threads only."""
        if self.booth is None:
            raise RuntimeError("the booth layer is not connected")
        with self.booth.database.connection_context():
            return fn(self.booth)


# ---- the Booth-backed adapter ------------------------------------------------------------

_NUMBERS = re.compile(r"(\d+)")
_LETTERS_DIGITS = re.compile(r"([^\d]*)(\d+)")  # how spot numbers look: A07, CA001


def _natural(spot: str) -> list:
    """Sort key: digit runs compare as numbers. ['A', 7, ''] for A07, as the general split gives."""
    upper = spot.upper()
    if simple := _LETTERS_DIGITS.fullmatch(upper):
        return [simple[1], int(simple[2]), ""]
    parts: list = _NUMBERS.split(upper)
    parts[1::2] = map(int, parts[1::2])
    return parts


def cells_from_rows(rows: Sequence[Row]) -> list[SpotCell]:
    """(spot, vehicle type, state) rows -> map cells grouped by zone and type, in natural spot order (A2 before A10)."""
    groups: dict[tuple[str, str | None], str] = {}
    cells = []
    for key, (number, vtype, state) in sorted((_natural(row[0]), row) for row in rows):
        zone = key[0].rstrip("-_ ") or "—"  # the letters before the first digit
        group = groups.get((zone, vtype))
        if group is None:
            group = groups[(zone, vtype)] = f"Zone {zone} · {vtype or 'any type'}"
        cells.append(SpotCell(number, group, state))
    return cells


def cells_from_states(states) -> list[SpotCell]:
    """Booth.spot_states() -> map cells, as cells_from_rows."""
    return cells_from_rows([(s.spot_number, s.vehicle_type, s.state) for s in states])


def spot_details_text(booth: Booth, spot: str) -> str:
    """One line for Enter on the map: state, plate, time on site, fee so far. Plain words, never a traceback."""
    from ..booth import BoothError, format_money

    state = next((s for s in booth.spot_states() if s.spot_number == spot), None)
    if state is None:
        return "no such spot any more (removed in Configuration?)"
    kind = state.vehicle_type or "any type"
    if state.stay_id is None:
        return f"{state.state} · {kind} spot"
    try:
        fee = booth.quote(state.stay_id)
    except BoothError as exc:  # paid at another booth between the two reads
        return f"{state.state} · {state.plate or '?'} · {exc.message}"
    money = format_money(fee.total, booth.config().currency_symbol)
    return (f"{state.state} · {state.plate} · {kind} · since {clock_text(fee.entry_at)} "
            f"({span_text(fee.minutes)}) · fee so far {money}")


def receipts_dir_for(target) -> Path:
    """`receipts/` beside a SQLite file; for a server database, in the working directory."""
    path = getattr(target, "path", None)
    return (Path(path).resolve().parent if path else Path.cwd()) / "receipts"


def booth_services(booth: Booth, *, receipts_dir: Path | None = None, refresh_seconds: float = 3.0) -> KioskServices:
    """Services over a Booth. Reads the booth name and types once, before the terminal starts."""
    config = booth.config()
    types = tuple(booth.vehicle_types())
    services = KioskServices(
        get_cells=lambda: [],
        booth_name=config.booth_name,
        vehicle_types=types,
        refresh_seconds=refresh_seconds,
        booth=booth,
        receipts_dir=receipts_dir,
    )
    from ..booth.spots import FIELD_SEP, ROW_SEP

    def map_states() -> str:
        return services.call(lambda b: b.map_states())

    services.make_spot_feed = lambda: SpotFeed(map_states, cells_from_rows, FIELD_SEP, ROW_SEP)
    services.get_cells = lambda: list(services.spot_feed().read().cells)
    services.spot_details = lambda spot: services.call(lambda b: spot_details_text(b, spot))
    return services


def database_services(database, booth_name: str | None = None, *, clock=None, target=None) -> KioskServices:
    """Booth-backed services for a database (kept under its old name for the app factory)."""
    from ..booth import Booth

    return booth_services(Booth(database, clock, booth_name),
                          receipts_dir=receipts_dir_for(target) if target is not None else None)


# ---- receipt files -----------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def write_receipt(directory: Path, receipt: Receipt) -> Path:
    """Write Receipt.text() as `<paid at>_<transaction>.txt`: folder 0700, file 0600 (it carries a plate).

    A file that already exists (the same transaction retried) is kept as it is. Runs in a worker.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # also when it existed: receipts are personal data
    name = f"{receipt.paid_at:%Y%m%d-%H%M%S}_{_UNSAFE.sub('-', receipt.transaction_id)}.txt"
    path = directory / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(receipt.text())
        out.flush()
        os.fsync(out.fileno())
    return path
