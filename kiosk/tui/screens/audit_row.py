"""One row of the audit trail in full: Activity's table cuts long details at the screen's edge."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class AuditRowDialog(ModalScreen[None]):
    """`cells` are the row's columns as the table shows them (label, text); `details` one line each."""

    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Close", key_display="Enter")]

    def __init__(self, cells: list[tuple[str, str]], details: list[str]) -> None:
        super().__init__()
        self.cells = cells
        self.details = details

    def compose(self) -> ComposeResult:
        width = max(len(label) for label, _ in self.cells)
        with Vertical(id="audit-row-dialog", classes="dialog"):
            yield Label("Audit entry", classes="dialog-title")
            yield Static("\n".join(f"{label:<{width}}  {text}" for label, text in self.cells), markup=False)
            with VerticalScroll(id="audit-row-details"):
                yield Static("\n".join(self.details) or "no details", markup=False)
            yield Label("Enter or Esc: back to the list", classes="dialog-keys")
