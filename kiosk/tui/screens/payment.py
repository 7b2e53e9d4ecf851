"""Payment (F3): find the stay by plate, show the fee, take cash or card. Layout and keys for now."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from .base import KioskScreen

BREAKDOWN = ("entry time", "time on site", "hours started", "rate", "minimum", "total")


class PaymentScreen(KioskScreen):
    TITLE = "Payment"

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", id="pay.confirm"),
        Binding("f6", "method('cash')", "Cash", key_display="F6", show=False, id="pay.cash"),
        Binding("f7", "method('card')", "Card", key_display="F7", show=False, id="pay.card"),
        Binding("f8", "refund", "Refund", key_display="F8", id="pay.refund"),
        Binding("escape", "clear", "Clear", show=False, id="pay.clear"),
    ]

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="pay-find"):
            yield Label("Plate", classes="field-label")
            yield Input(placeholder="type 2-3 characters", id="pay-plate")
            yield Static("", id="pay-stay")
        with Grid(id="pay-breakdown"):
            for row in BREAKDOWN:
                yield Label(row, classes="fee-label")
                yield Static("—", id=f"pay-{row.replace(' ', '-')}", classes="fee-value")
        with Horizontal(id="pay-method"):
            with RadioSet(id="pay-methods"):
                yield RadioButton("Cash  F6", id="pay-cash", value=True)
                yield RadioButton("Card  F7", id="pay-card")
            yield Label("Tendered", classes="field-label")
            yield Input(placeholder="0.00", id="pay-tendered")
            yield Static("change —", id="pay-change")
        yield Static("[b]Enter[/b] confirm    [b]F8[/b] refund a payment    [b]Esc[/b] clear", id="pay-keys")

    def on_mount(self) -> None:
        self.query_one("#pay-plate", Input).focus()

    def on_screen_resume(self) -> None:
        # A spot handed over from the map (F3 there): shown until the booth layer finds its stay.
        spot, _plate = self.app.take_payment_request()
        if spot:
            self.query_one("#pay-stay", Static).update(f"spot {spot} (from the map)")
        self.query_one("#pay-plate", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_method(self, method: str) -> None:
        self.query_one(f"#pay-{method}", RadioButton).value = True

    def action_confirm(self) -> None:
        self.not_connected("Taking a payment")

    def action_refund(self) -> None:
        self.not_connected("Refunding a payment")

    def action_clear(self) -> None:
        for input_ in self.query(Input):
            input_.value = ""
        self.query_one("#pay-stay", Static).update("")
        self.query_one("#pay-plate", Input).focus()
