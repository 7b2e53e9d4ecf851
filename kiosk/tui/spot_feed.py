"""The spot map's data: read every few seconds in a worker thread, handed on as what changed.

A booth polls every spot (10,000 on a large site) every 3 s. Most reads find nothing new, and
a change is usually one car. So the diff is worked out here, in the worker thread, on plain
rows: a read that finds nothing new gives `None` (the UI does nothing at all), and one that
finds a few new states gives just those spots. Only spots added, removed or retyped make the
map lay itself out again. No Textual here: the feed is plain data, testable on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .widgets.spot_cells import STATES, SpotCell, SpotCounts, check_cells

# (spot number, what groups it, state): the group key is the vehicle type for the booth's rows.
Row = tuple[str, "str | None", str]


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
    ended, so reads never overlap and the feed needs no lock."""

    def __init__(self, read_rows: Callable[[], Sequence[Row]], build_cells: Callable[[Sequence[Row]], list[SpotCell]]):
        self._read_rows = read_rows
        self._build_cells = build_cells
        self._rows: list[Row] | None = None
        self._cells: list[SpotCell] = []
        self._position: list[int] = []  # row index -> index of its cell in self._cells
        self._serial = 0

    @classmethod
    def of_cells(cls, get_cells: Callable[[], Sequence[SpotCell]]) -> SpotFeed:
        """A feed over ready-made cells (demo data, tests): drawn in the order given."""
        return cls(lambda: [(c.spot_number, c.group, c.state) for c in get_cells()],
                   lambda rows: [SpotCell(*row) for row in rows])

    def read(self) -> SpotUpdate | None:
        """The spots now: None if nothing changed since the last read; raises what the source raised."""
        rows = list(self._read_rows())
        old = self._rows
        if rows == old:  # compared in C: about a millisecond for 10,000 spots
            return None
        if old is not None and len(rows) == len(old) and all(
            a[0] == b[0] and a[1] == b[1] for a, b in zip(rows, old)
        ):
            cells = list(self._cells)
            changed: dict[str, str] | None = {}
            for i, (new, was) in enumerate(zip(rows, old)):
                if new[2] != was[2]:
                    if new[2] not in STATES:
                        raise ValueError(f"spot {new[0]!r} has state {new[2]!r}; allowed: {', '.join(STATES)}")
                    at = self._position[i]
                    cells[at] = SpotCell(cells[at].spot_number, cells[at].group, new[2])
                    changed[new[0]] = new[2]
        else:
            cells = check_cells(self._build_cells(rows))
            where = {cell.spot_number: at for at, cell in enumerate(cells)}
            self._position = [where[row[0]] for row in rows]
            changed = None
        self._rows, self._cells = rows, cells
        self._serial += 1
        return SpotUpdate(cells, SpotCounts.of(cells), changed, self._serial)

