"""What every booth screen shares: the header, the footer, and worker error reporting."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..widgets.booth_footer import BoothFooter
from ..widgets.booth_header import BoothHeader


class KioskScreen(Screen):
    """A top-level booth screen. Subclasses give TITLE and compose_body()."""

    TITLE = ""
    # action -> the Permission it needs (kiosk.booth.Permission): a key beyond the signed-in role is
    # marked in the footer, and its action asks a supervisor first (app.session.gated).
    GATED: dict = {}
    # Wide terminals get side panels (widgets/recent_panel.py); 120 leaves the 80-column layout whole.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    # Priority: focus moves the moment Tab is read, not after the focused field has seen it.
    # Otherwise keys that arrive in one burst (a plate scanner, a paste, tmux send-keys) go
    # to the field that had focus before the Tab: Textual hands each key to the focused widget
    # as it is read, and a plain Tab binding only acts once that widget has passed it up.
    BINDINGS = [
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield BoothHeader(self.TITLE, id="header")
        yield from self.compose_body()
        yield BoothFooter(compact=True)

    def focus_now(self, widget) -> None:
        """Move focus at once, for a key's action. Widget.focus() waits for the next idle moment,
        so keys already read (a burst) would still land in the field being left."""
        self.set_focus(widget)

    def compose_body(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: forward failures to the app's one handler.
        if event.state == WorkerState.ERROR:
            self.app.report_worker_error(event.worker)

    def not_connected(self, what: str) -> None:
        """Said plainly when the terminal runs without a database (the shell alone, in tests)."""
        self.notify(f"{what} needs a database, and none is connected: nothing was done.", severity="warning")
