"""A side list for wide terminals: the latest arrivals (Entry) or payments (Payment).

At 120 columns and more the booth screens have room beside their form; the attendant sees
the last cars through any booth, which is where a mistyped plate or a wrong charge shows.
Hidden (and never read) below that width: kiosk.tcss shows it under the screen's `-wide`
breakpoint class (screens/base.py). Rows are read in a thread worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import events, work
from textual.message import Message
from textual.widgets import Static

ROWS = 14


class RecentPanel(Static):
    """`read(booth)` returns the lines to show (called in a worker); `reload()` reads again."""

    DEFAULT_CSS = """
    RecentPanel {
        display: none;
        width: 64;  /* fixed: a longer line must not re-layout the screen */
        height: auto;
        max-height: 100%;
        margin: 0 1 0 0;
        padding: 0 1;
        border: round $panel-lighten-2;
        border-title-color: $accent;
        color: $text-muted;
    }
    """

    @dataclass
    class Read(Message):
        lines: list[str]

    def __init__(self, title: str, read: Callable[[object], list[str]], empty: str = "none yet", **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.border_title = title
        self._read = read
        self._empty = empty
        self._reading = False
        self._again = False  # asked to reload while a read was under way: read once more after it

    def on_show(self, event: events.Show) -> None:
        self.reload()  # the terminal became wide enough: fill it now

    def reload(self) -> None:
        """Read again, if it can be seen: wide enough, and its screen in front."""
        if not (self.display and self.screen.is_current and self.app.services.connected):
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        self._load()

    @work(thread=True, exit_on_error=False, group="recent-panel", description="reading the latest list")
    def _load(self) -> None:
        try:
            lines = self.app.services.call(self._read)
        finally:
            self.app.call_from_thread(self._done)
        self.post_message(self.Read(lines))

    def _done(self) -> None:
        self._reading = False
        if self._again:
            self._again = False
            self.reload()

    def on_recent_panel_read(self, event: Read) -> None:
        event.stop()
        self.update("\n".join(event.lines) if event.lines else self._empty)
