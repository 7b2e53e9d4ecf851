"""What every booth screen shares: the header, the footer, and worker error reporting."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..widgets.booth_footer import BoothFooter
from ..widgets.booth_header import BoothHeader


class KioskScreen(Screen):
    """A top-level booth screen. Subclasses give TITLE and compose_body()."""

    TITLE = ""

    def compose(self) -> ComposeResult:
        yield BoothHeader(self.TITLE, id="header")
        yield from self.compose_body()
        yield BoothFooter(compact=True)

    def compose_body(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: forward failures to the app's one handler.
        if event.state == WorkerState.ERROR:
            self.app.report_worker_error(event.worker)

    def not_connected(self, what: str) -> None:
        """Said plainly while the booth layer is not wired in yet."""
        self.notify(f"{what} is not connected yet: the booth layer arrives in the next step.", severity="warning")
