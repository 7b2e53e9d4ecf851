"""What the spot map draws: plain data, no Textual, so any layer can build it."""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("free", "occupied", "overstay")


@dataclass(frozen=True, slots=True)
class SpotCell:
    """One parking spot as the map shows it."""

    spot_number: str
    group: str  # e.g. "Zone A · car": spots are drawn grouped by this, in first-seen order
    state: str  # one of STATES


@dataclass(frozen=True, slots=True)
class SpotCounts:
    free: int = 0
    occupied: int = 0
    overstay: int = 0

    @property
    def total(self) -> int:
        return self.free + self.occupied + self.overstay

    @classmethod
    def of(cls, cells) -> "SpotCounts":
        tally = dict.fromkeys(STATES, 0)
        for cell in cells:
            tally[cell.state] += 1
        return cls(**tally)


def check_cells(cells) -> list[SpotCell]:
    """The cells as a list, or ValueError naming the first bad one and what is allowed."""
    cells = list(cells)
    seen: set[str] = set()
    for cell in cells:
        if cell.state not in STATES:
            raise ValueError(f"spot {cell.spot_number!r} has state {cell.state!r}; allowed: {', '.join(STATES)}")
        if not cell.spot_number or cell.spot_number in seen:
            raise ValueError(f"spot number {cell.spot_number!r} is empty or listed twice; each spot needs one unique number")
        seen.add(cell.spot_number)
    return cells
