"""The receipt just taken, shown as printed; where its file went (or why it could not be written)."""

from __future__ import annotations

import re

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


SIDE_WIDTH = 32  # the text column beside the printed receipt (#receipt-side less its padding)


def path_lines(path: str, width: int = SIDE_WIDTH) -> str:
    """The path broken into lines of at most `width`, only after a '/', '_' or '-': a file
    name is never split inside a word, and each line can be read (and typed) as it stands."""
    lines, line = [], ""
    for piece in re.findall(r"[^/_-]*[/_-]|[^/_-]+$", path):
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    return "\n".join([*lines, line]) if line else "\n".join(lines)


class ReceiptScreen(ModalScreen[str | None]):
    """Shown until the next car: Enter or Escape closes it, and so does the first character of the
    next plate, which is handed back (the dismiss result) to go into the plate field, so the next
    payment needs no key to close this one. The payment is already committed whatever happens here.
    """

    BINDINGS = [
        Binding("escape,enter", "dismiss(None)", "Close", key_display="Enter"),
        Binding("f12", "reprint", "Print again", key_display="F12", id="receipt.reprint"),
    ]

    def __init__(self, text: str, path: str | None, file_error: str | None = None, title: str = "Paid", *,
                 receipt=None, print_job: int = 0) -> None:
        """`receipt` and `print_job` (its job in the print queue): F12 prints it again."""
        super().__init__()
        self.title_text = title  # "Paid", or "Voided" over a void's slip
        self.text = text
        self.path = path
        self.file_error = file_error
        self.receipt = receipt
        self.print_job = print_job

    def compose(self) -> ComposeResult:
        # Side by side: the printed receipt is 21 lines, and an 80x24 terminal has 24.
        with Horizontal(id="receipt-dialog"):
            yield Static(self.text.rstrip("\n"), id="receipt-text", markup=False)
            with Vertical(id="receipt-side"):
                yield Label(self.title_text, id="receipt-title")
                if self.file_error:
                    # the booth's words say which folder, why, and that the payment is recorded
                    yield Static(f"Receipt file NOT written: {self.file_error}.",
                                 id="receipt-file", classes="-error", markup=False)
                elif self.path:
                    yield Static(f"saved as\n{path_lines(self.path)}", id="receipt-file", markup=False)
                yield Label("Next plate, Enter or Esc: next car\nF12: print it again", id="receipt-keys")

    def action_reprint(self) -> None:
        if self.receipt is not None:
            self.app.reprint_receipt(self.receipt, self.print_job)

    def on_key(self, event: events.Key) -> None:
        char = event.character or ""
        if event.is_printable and char.isalnum():
            event.stop()
            self.dismiss(char)
