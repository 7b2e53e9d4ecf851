"""The spot map's data: read every few seconds in a worker thread, handed on as what changed.

A booth polls every spot (10,000 on a large site) every 3 s. Most reads find nothing new, and
a change is usually one car. So the source gives all spots as one `MapStates` (the booth's
`map_states`, packed by the database), the feed compares it with the last one, and works out the
difference here, in the worker thread: a read that finds nothing new gives `None` (the UI does
nothing at all), one that finds a few new states gives just those spots. Only spots added,
removed or retyped make the map lay itself out again. No Textual here: plain data, testable
on its own.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..booth import MapRow, MapStates
from .widgets.spot_cells import STATES, SpotCell, SpotCounts, check_cells

# (spot number, what groups it, state): the group key is the vehicle type for the booth's rows.
Row = MapRow


@dataclass(frozen=True)
class SpotUpdate:
    """One read that found something new."""

    cells: Sequence[SpotCell]  # every spot in map order, as of this read (never changed afterwards)
    counts: SpotCounts
    # spot number -> its new state, when only states changed since update `serial - 1`;
    # None when spots were added, removed or regrouped (the map is then laid out anew).
    changed: Mapping[str, str] | None
    serial: int = 1  # 1, 2, 3... one per update: a gap means an update was never shown


class SpotFeed:
    """`read()` runs in a worker thread. The app starts the next read only after the last one
    ended, so reads never overlap and the feed needs no lock.

    `read_states()` gives every spot (number, group, state) in a stable order; `build_cells(rows)`
    lays rows out in map order.
    """

    def __init__(self, read_states: Callable[[], MapStates], build_cells: Callable[[list[Row]], list[SpotCell]]):
        self._read_states = read_states
        self._build_cells = build_cells
        self._packed: str | None = None
        self._entries: list[str] = []
        self._cells: list[SpotCell] = []
        # entry index -> index of its cell in self._cells; an array: 10,000 of them as ints took ~0.3 MB
        self._position = array("l")
        self._serial = 0

    @classmethod
    def of_cells(cls, get_cells: Callable[[], Iterable[SpotCell]]) -> SpotFeed:
        """A feed over ready-made cells (demo data, tests): drawn in the order given."""
        def states() -> MapStates:
            return MapStates.of_rows((c.spot_number, c.group, c.state) for c in get_cells())

        return cls(states, lambda rows: [SpotCell(*row) for row in rows])

    def read(self) -> SpotUpdate | None:
        """The spots now: None if nothing changed since the last read; raises what the source raised."""
        states = self._read_states()
        packed = states.packed
        if packed == self._packed:  # one string comparison, in C, for every spot
            return None
        entries = states.entries()
        update = self._changes(entries) if self._packed is not None else None
        if update is None:
            rows = [MapStates.row(e) for e in entries]
            cells = check_cells(self._build_cells(rows))
            where = {cell.spot_number: at for at, cell in enumerate(cells)}
            self._position = array("l", (where[row[0]] for row in rows))
            changed = None
        else:
            cells, changed = update
        self._packed, self._entries, self._cells = packed, entries, cells
        self._serial += 1
        return SpotUpdate(cells, SpotCounts.of(cells), changed, self._serial)

    def _changes(self, entries: list[str]) -> tuple[list[SpotCell], dict[str, str]] | None:
        """New cells and {spot: state} if only states changed since the last read, else None."""
        old = self._entries
        if len(entries) != len(old):
            return None
        cells = list(self._cells)
        changed: dict[str, str] = {}
        for i, (entry, was) in enumerate(zip(entries, old)):
            if entry == was:
                continue
            number, group, state = MapStates.row(entry)
            old_number, old_group, _ = MapStates.row(was)
            if number != old_number or group != old_group:
                return None
            if state not in STATES:
                raise ValueError(f"spot {number!r} has state {state!r}; allowed: {', '.join(STATES)}")
            at = self._position[i]
            cells[at] = SpotCell(number, cells[at].group, state)
            changed[number] = state
        return cells, changed
