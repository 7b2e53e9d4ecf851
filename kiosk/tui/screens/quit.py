"""Quit confirmation: a deliberate second key, so a kiosk never closes by accident."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmQuit(ModalScreen[bool]):
    """Dismisses with True to quit; Escape, N or "Keep running" dismiss with False."""

    BINDINGS = [
        Binding("escape,n", "dismiss(False)", "Keep running"),
        Binding("y", "dismiss(True)", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog"):
            yield Label("Quit the booth terminal?", id="quit-question")
            yield Label("No car can be registered or paid here until it restarts.", id="quit-why")
            with Horizontal(id="quit-buttons"):
                yield Button("Keep running (N/Esc)", id="quit-no", variant="primary")
                yield Button("Quit (Y)", id="quit-yes", variant="error")

    def on_mount(self) -> None:
        # Focus on the safe choice: Enter right after F10 keeps the kiosk running.
        self.query_one("#quit-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit-yes")
