"""One form line: label, a one-line input, and what is allowed — replaced by the error when refused."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from .kiosk_input import KioskInput


class FieldRow(Horizontal):
    """`FieldRow("retention", "Retention (hours)", "1-8760 ...")`; the input's id is `<id>-input`."""

    DEFAULT_CSS = """
    FieldRow {
        height: auto;
        & > .row-label { width: 20; height: 1; padding: 0 1 0 0; color: $text-muted; }
        & > Input { width: 24; }
        & > .row-hint { width: 1fr; height: auto; padding: 0 0 0 1; color: $text-muted; }
        & > .row-hint.-error { color: $text-error; text-style: bold; }
    }
    """

    def __init__(self, field: str, label: str, hint: str, *, value: str = "", max_length: int = 0,
                 placeholder: str = "", id: str | None = None, classes: str | None = None,
                 password: bool = False) -> None:
        """`password`: the input shows dots, never what is typed (a PIN)."""
        super().__init__(id=id or f"field-{field}", classes=classes)
        self._password = password
        self.field = field
        self.label = label
        self.hint = hint
        self._value = value
        self._max_length = max_length
        self._placeholder = placeholder
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="row-label")
        field = KioskInput(self._value, placeholder=self._placeholder, max_length=self._max_length, compact=True,
                           id=f"{self.id}-input", select_on_focus=False, password=self._password)
        field.cursor_blink = False  # a steady cursor: seen at a glance from the booth chair
        yield field
        yield Static(self.hint, classes="row-hint")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        return self.input.value

    @value.setter
    def value(self, text: str) -> None:
        self.input.value = text

    @property
    def shown_text(self) -> str:
        """What the line beside the field says now (the hint, or the error)."""
        return str(self.query_one(".row-hint", Static).render())

    def show_error(self, message: str) -> None:
        self.error = message
        hint = self.query_one(".row-hint", Static)
        hint.update(f"✗ {message}")
        hint.add_class("-error")

    def show_note(self, message: str) -> None:
        """What the input was understood as (e.g. '= £2.75'), in place of the hint; not an error."""
        self.error = ""
        hint = self.query_one(".row-hint", Static)
        hint.update(message)
        hint.remove_class("-error")

    def clear_error(self) -> None:
        if not self.error:
            return
        self.error = ""
        hint = self.query_one(".row-hint", Static)
        hint.update(self.hint)
        hint.remove_class("-error")
