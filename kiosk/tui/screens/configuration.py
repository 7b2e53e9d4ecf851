"""Configuration (F4): retention, archive age, rates, spots, booth name. Layout and keys for now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.widgets import DataTable, Input, Label, Static

from .base import KioskScreen

FIELDS = (
    ("booth", "Booth name", "shown in the header; 1-40 characters"),
    ("retention", "Retention (hours)", "personal data of closed stays is removed after this"),
    ("archive", "Archive age (days)", "audit entries older than this move to the archive"),
    ("region", "Phone region", "two letters, e.g. GB: numbers without +code are read as this"),
    ("spots", "Add spots", "a range such as A01-A40 car"),
)


class ConfigurationScreen(KioskScreen):
    TITLE = "Configuration"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="config.save"),
        Binding("escape", "revert", "Revert", show=False, id="config.revert"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="config-body"):
            with Grid(id="config-form"):
                for field_id, label, allowed in FIELDS:
                    yield Label(label, classes="field-label")
                    yield Input(id=f"config-{field_id}")
                    yield Static(allowed, id=f"config-{field_id}-hint", classes="field-hint")
            yield Static("", id="config-preview")
            yield Label("Rates per vehicle type", classes="section-title")
            yield DataTable(id="config-rates", cursor_type="row")
        yield Static("[b]ctrl+s[/b] save    [b]Esc[/b] revert    nothing is saved while a field is refused", id="config-keys")

    def on_mount(self) -> None:
        rates = self.query_one("#config-rates", DataTable)
        rates.add_columns("type", "rate / hour", "minimum hours")
        self.query_one("#config-booth", Input).value = self.app.services.booth_name
        self.query_one("#config-booth", Input).focus()

    def action_save(self) -> None:
        self.not_connected("Saving the configuration")

    def action_revert(self) -> None:
        for input_ in self.query(Input):
            input_.value = ""
        self.query_one("#config-booth", Input).value = self.app.services.booth_name
