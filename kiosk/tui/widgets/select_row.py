"""A form line whose value is one of a few fixed choices: FieldRow's label and hint around Textual's Select."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, Select, Static

from .field_row import FieldRow


class SelectRow(FieldRow):
    """`SelectRow("printer_kind", "Printer", "hint", [("label", "value"), ...])`: `value` is the chosen
    option's value as text, and setting it chooses that option (an unknown one chooses the first)."""

    DEFAULT_CSS = """
    SelectRow > Select { width: 24; }
    """

    def __init__(self, field: str, label: str, hint: str, options: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(field, label, hint, **kwargs)
        self._options = options

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="row-label")
        yield Select(self._options, allow_blank=False, compact=True, value=self._options[0][1], id=f"{self.id}-input")
        yield Static(self.hint, classes="row-hint")

    @property
    def input(self) -> Select:  # type: ignore[override]  # what gets the focus, as FieldRow's Input
        return self.query_one(Select)

    @property
    def value(self) -> str:
        chosen = self.input.value
        return "" if chosen is Select.BLANK else str(chosen)

    @value.setter
    def value(self, text: str) -> None:
        known = [value for _, value in self._options]
        self.input.value = text if text in known else known[0]
