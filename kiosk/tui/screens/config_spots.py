"""Configuration's spots (add a range such as A31-A40, retype or remove a free spot), and the
manager's approval that Configuration's changes share. `ConfigurationScreen` is a SpotsSection.

Changing anything in Configuration needs a manager. For anyone else F4 asks a manager first
(OverrideDialog); the screen keeps that approval (`approval`) for its first change, and each
change after it asks again: the booth uses an approval up on one call.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from ...booth import Actor, BoothError, Config, Permission
from ..widgets.kiosk_input import KioskInput
from ..widgets.spot_ranges import TypeSpots, by_type
from .base import KioskScreen

SPOT_HINT = "a range such as A31-A40 to add; one free spot (A07) to retype or remove"


class SpotsSection(KioskScreen):
    @dataclass
    class SpotsChanged(Message):
        done: str
        spots: list[TypeSpots]

    @dataclass
    class SpotsRefused(Message):
        field: str | None
        message: str

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.saved: Config | None = None  # the configuration as read (None: not read yet)
        # A manager's approval for one change, when the signed-in role may not configure (F4's).
        self.approval: Actor | None = None

    # ---- a manager's approval ----------------------------------------------------------------
    def on_screen_resume(self) -> None:
        handed = self.app.session.take_handover() if hasattr(self.app, "session") else None
        if handed is not None:  # F4 was approved by a manager: that approval serves the first change
            self.approval = handed

    def _gated(self, permission: Permission, then) -> None:
        """`then(acting)` once the change may be made: at once for a manager, else with the approval
        F4 brought (unused), else after a manager approves this one change."""

        def go(acting: Actor | None) -> None:
            if acting is not None:
                self.approval = acting
            then(acting)

        self.app.session.gated(permission, go, approval=self.approval)

    # ---- the spots -----------------------------------------------------------------------------
    def compose_spots(self) -> ComposeResult:
        yield Label("Spots", classes="config-section")
        yield Static("", id="config-spots")
        with Horizontal(id="config-spot-form"):
            yield Label("Spot(s)", classes="spot-label")
            spot_input = KioskInput(placeholder="A31-A40", id="config-spot-input", compact=True, max_length=40)
            spot_input.cursor_blink = False
            yield spot_input
            yield Label("as", classes="spot-label")
            yield Select([], prompt="type", id="config-spot-type", compact=True)
            yield Button("Add", id="config-spot-add", compact=True)
            yield Button("Retype", id="config-spot-retype", compact=True)
            yield Button("Remove", id="config-spot-remove", compact=True, variant="error")
        yield Static(SPOT_HINT, id="config-spot-hint", classes="spot-hint")

    def _show_spots(self, spots: list[TypeSpots]) -> None:
        text = "\n".join(s.text() for s in spots) or "no spots yet: add a range below"
        self.query_one("#config-spots", Static).update(text)

    def _show_spot_types(self, types: list[str]) -> None:
        select = self.query_one("#config-spot-type", Select)
        current = select.value
        select.set_options([(t, t) for t in types])
        if types:
            select.value = current if current in types else types[0]

    def _clear_spot_form(self) -> None:
        self._clear_spot_hint()
        self.query_one("#config-spot-input", Input).value = ""

    @on(Input.Submitted, "#config-spot-input")
    def _spot_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._spot_action("add")

    @on(Input.Changed, "#config-spot-input")
    def _spot_typed(self, event: Input.Changed) -> None:
        self._clear_spot_hint()

    @on(Button.Pressed, "#config-spot-form Button")
    def _spot_button(self, event: Button.Pressed) -> None:
        event.stop()
        self._spot_action((event.button.id or "").rsplit("-", 1)[-1])

    def action_retype_spot(self) -> None:
        self._spot_action("retype")

    def action_remove_spot(self) -> None:
        self._spot_action("remove")

    def _clear_spot_hint(self) -> None:
        hint = self.query_one("#config-spot-hint", Static)
        hint.update(SPOT_HINT)
        hint.remove_class("-error")

    def _spot_action(self, action: str) -> None:
        if self.saved is None:
            return
        self._clear_spot_hint()
        select = self.query_one("#config-spot-type", Select)
        text = self.query_one("#config-spot-input", Input).value
        vtype = "" if select.is_blank() else str(select.value)
        self._gated(Permission.SPOTS, lambda acting: self._change_spots(action, text, vtype, acting))

    @work(thread=True, exit_on_error=False, group="config-spots", description="changing the spots")
    def _change_spots(self, action: str, text: str, vtype: str, acting: Actor | None = None) -> None:
        def change(booth):
            if action == "add":
                numbers = booth.add_spots(text, vtype)
                first_last = numbers[0] if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
                done = f"Added {len(numbers):,} {vtype} spot{'s' if len(numbers) > 1 else ''}: {first_last}."
            elif action == "retype":
                booth.retype_spot(text, vtype)
                done = f"Spot {text.strip().upper()} is now a {vtype} spot."
            else:
                booth.remove_spot(text)
                done = f"Spot {text.strip().upper()} removed."
            return done, by_type(booth.spot_states(), booth.vehicle_types())

        try:
            done, spots = self.app.services.call(change, acting=acting)
        except BoothError as exc:
            self.post_message(self.SpotsRefused(exc.field, exc.message))
            return
        self.post_message(self.SpotsChanged(done, spots))

    @on(SpotsChanged)
    def _spots_changed(self, message: SpotsChanged) -> None:
        self._show_spots(message.spots)
        self._clear_spot_form()
        self.notify(message.done, title="Spots changed")
        self.app.refresh_spots_now()  # header counts and the map follow at once

    @on(SpotsRefused)
    def _spots_refused(self, message: SpotsRefused) -> None:
        hint = self.query_one("#config-spot-hint", Static)
        hint.update(f"✗ {message.message}")
        hint.add_class("-error")
        target = "#config-spot-type" if message.field == "type" else "#config-spot-input"
        self.query_one(target).focus()
