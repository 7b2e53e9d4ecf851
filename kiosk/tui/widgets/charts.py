"""The two pictures on the Activity screen: vehicles on site through today, and takings per day.

Drawn with textual-plotext; each chart is a title line above a plot, so the title
survives a small terminal (plotext drops its own first). Money is summed as
Decimal and printed exactly; it becomes a float only to place a bar.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from ...booth.money import format_money


def nice_ticks(top: float, count: int = 4) -> list[int]:
    """0 and whole steps of 1, 2 or 5 x 10^n up to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    step = 1
    while step * 10 <= raw:
        step *= 10
    for mult in (1, 2, 5, 10):
        if step * mult >= raw:
            step *= mult
            break
    ticks = list(range(0, int(top) + step, step))
    return ticks if ticks[-1] >= top else ticks + [ticks[-1] + step]


class Chart(Vertical):
    """A title line and a plot beneath it."""

    DEFAULT_CSS = """
    Chart { height: 1fr; }
    Chart > .chart-title { height: 1; width: 1fr; text-style: bold; color: $text-muted; padding: 0 1; }
    Chart > PlotextPlot { height: 1fr; }
    """

    _shown: tuple | None = None  # the last show() arguments, to draw again at a new size

    def compose(self) -> ComposeResult:
        yield Static("", classes="chart-title")
        yield PlotextPlot()

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, *args) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def label_step(self, count: int, label_width: int) -> int:
        """Every how many bars a label fits with room to spare. Labels that nearly touch are
        nudged by plotext in an order that varies from one process to the next (hash seed)."""
        inner = max(self.size.width - 8, 8)  # less the y-axis labels and the frame
        return max(1, -(-(label_width + 3) * count // inner))

    @property
    def title_text(self) -> str:
        return str(self.query_one(".chart-title", Static).render())

    def _draw(self, title: str, xs: list[int], ys: list[float], color: str, xticks: tuple[list, list],
              yticks: tuple[list, list]) -> None:
        self.query_one(".chart-title", Static).update(title)
        plot = self.query_one(PlotextPlot)
        # A fresh figure each time: plotext keeps sizing state between builds, which moved tick
        # labels by a column from one run to the next.
        plot._plot = Plot()
        plt = plot.plt
        plt.bar(xs, ys, marker="hd", color=color, width=0.8)
        plt.xticks(*xticks)
        plt.yticks(*yticks)
        plt.xlim(min(xs) - 0.7, max(xs) + 0.7)
        plt.ylim(0, yticks[0][-1])
        plot.refresh()


class OccupancyChart(Chart):
    """Vehicles on site in each local hour of one day (Booth.occupancy_through_day): 24 bars, or 23 / 25
    on the days the clocks change, each labelled with its local hour."""

    def show(self, points: list[tuple[int, int]], day: dt.date) -> None:
        self._shown = (points, day)
        counts = [c for _, c in points]
        peak = max(counts, default=0)
        ticks = nice_ticks(peak)
        at = list(range(0, len(points), max(3, self.label_step(len(points), 2))))
        self._draw(f"On site per hour · {day:%a %d %b} · peak {peak}", list(range(len(points))), counts,
                   "cyan", (at, [str(points[i][0]) for i in at]), (ticks, [str(t) for t in ticks]))


class RevenueChart(Chart):
    """Net takings per local day, all methods together (Booth.revenue_per_day)."""

    def show(self, rows: list[tuple[dt.date, str, Decimal]], today: dt.date, days: int, symbol: str = "£") -> None:
        self._shown = (rows, today, days, symbol)
        per_day: dict[dt.date, Decimal] = defaultdict(Decimal)
        for day, _method, amount in rows:
            per_day[day] += amount
        dates = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
        totals = [per_day.get(d, Decimal("0.00")) for d in dates]
        total = sum(totals, Decimal("0.00"))
        ticks = nice_ticks(float(max(totals, default=0)))
        step = self.label_step(days, 5)
        xt = list(range(days - 1, -1, -step))[::-1]
        title = f"Takings per day · {days} days · {format_money(total, symbol)}"
        self._draw(title, list(range(days)), [float(t) for t in totals], "green",
                   (xt, [f"{dates[i]:%d/%m}" for i in xt]), (ticks, [f"{symbol}{t:,}" for t in ticks]))
