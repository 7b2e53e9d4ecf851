"""The legend line of the spot map: one swatch per state, with its count."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from .spot_cells import SpotCounts

# The same theme variables as SpotMap's DEFAULT_CSS, so swatch and cell match.
SWATCH = {
    "free": "[$text on $success-muted]",
    "occupied": "[$text-muted on $panel-lighten-1]",
    "overstay": "[bold $text on $error]",
}


def legend_content(counts: SpotCounts) -> Content:
    parts = [f"{SWATCH[state]} {state} [/] {getattr(counts, state):,}" for state in SWATCH]
    return Content.from_markup("  ".join(parts) + f"  [dim]of {counts.total:,}[/]")


class SpotLegend(Static):
    """Counts per state; `show(counts)` repaints without a layout pass (fixed height)."""

    DEFAULT_CSS = """
    SpotLegend { height: 1; width: 1fr; }
    """

    def __init__(self, counts: SpotCounts | None = None, **kwargs) -> None:
        super().__init__(legend_content(counts or SpotCounts()), **kwargs)

    def show(self, counts: SpotCounts) -> None:
        self.update(legend_content(counts), layout=False)
