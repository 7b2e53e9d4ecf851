"""Entry (F1): register the next car. Layout and keys; registering arrives with kiosk.booth."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Digits, Input, Label, Select, Static

from .base import KioskScreen

FIELDS = (
    # id, label, placeholder, what is allowed (shown beside the field until an error replaces it)
    ("plate", "Plate", "AB12 CDE", "letters and digits; spaces and dashes are ignored"),
    ("name", "Name", "Jane Doe", "the driver's name, as given"),
    ("phone", "Phone", "07700 900123", "national number or +country code"),
)


class EntryScreen(KioskScreen):
    TITLE = "Entry"

    BINDINGS = [
        Binding("enter", "register", "Register", id="entry.register", priority=False),
        Binding("escape", "clear", "Clear form", show=False, id="entry.clear"),
    ]

    def compose_body(self) -> ComposeResult:
        with Grid(id="entry-form"):
            for field_id, label, placeholder, allowed in FIELDS:
                yield Label(label, classes="field-label")
                yield Input(placeholder=placeholder, id=f"entry-{field_id}")
                yield Static(allowed, id=f"entry-{field_id}-hint", classes="field-hint")
            yield Label("Type", classes="field-label")
            types = [(t, t) for t in self.app.services.vehicle_types]
            yield Select(types, prompt="vehicle type", id="entry-type", allow_blank=not types)
            yield Static("the last type used stays selected", classes="field-hint")
            yield Label("Spot", classes="field-label")
            yield Input(placeholder="auto", id="entry-spot")
            yield Static("empty: the first free spot of that type", id="entry-spot-hint", classes="field-hint")
        yield Static("[b]Enter[/b] register from any field    [b]Esc[/b] clear for the next car", id="entry-keys")
        with Vertical(id="entry-result"):
            yield Digits("", id="entry-result-spot")
            yield Static("", id="entry-result-text")

    def on_mount(self) -> None:
        self.query_one("#entry-plate", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_register()

    def action_register(self) -> None:
        self.not_connected("Registering a car")

    def action_clear(self) -> None:
        for input_ in self.query(Input):
            input_.value = ""
        self.query_one("#entry-plate", Input).focus()
