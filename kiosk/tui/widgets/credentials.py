"""Name and PIN, as the sign-in, lock and supervisor-override screens ask for them.

Enter (the screen's priority binding calls `enter`, so focus moves as the key is read and keys
typed in the same burst land in the next field) in the name takes the name typed or the
highlighted one and moves to the PIN; in the PIN it posts `Credentials.Submitted`. The screen checks them with the booth (in a worker) and
says what was wrong beside the field at fault (`refused`). The PIN is a password field, is
never shown back, and is cleared after every try.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from ...booth import PIN_RULE, Secret
from .field_hint import FieldHint
from .kiosk_input import KioskInput
from .name_picker import NamePicker

NAME_HINT = "type the first letters (↑↓ pick from the list), then Enter"
PIN_HINT = "4-8 digits, or your passphrase; Enter"


class Credentials(Vertical):
    """`Credentials(id="signin")`: the name picker is `#<id>-name`, the PIN input `#<id>-pin`."""

    @dataclass
    class Submitted(Message):
        credentials: "Credentials"
        name: str
        pin: Secret  # shown as *** wherever it is printed (a log, a traceback)

    def __init__(self, name: str = "", *, id: str, classes: str | None = None, pin_hint: str = PIN_HINT) -> None:
        super().__init__(id=id, classes=classes)
        self._name = name
        self._pin_hint = pin_hint
        self.busy = False

    def compose(self) -> ComposeResult:
        with Horizontal(id=f"{self.id}-name-row"):
            yield Label("Name", classes="field-label")
            yield NamePicker(self._name, id=f"{self.id}-name")
            yield FieldHint(NAME_HINT, id=f"{self.id}-name-hint")
        with Horizontal(id=f"{self.id}-pin-row", classes="-pin-row"):
            yield Label("PIN", classes="field-label")
            pin = KioskInput(id=f"{self.id}-pin", password=True, max_length=128, select_on_focus=False)
            pin.cursor_blink = False
            yield pin
            yield FieldHint(self._pin_hint, id=f"{self.id}-pin-hint")

    # ---- parts ------------------------------------------------------------------------------
    @property
    def picker(self) -> NamePicker:
        return self.query_one(NamePicker)

    @property
    def pin_input(self) -> Input:
        return self.query_one(f"#{self.id}-pin", Input)

    def hint(self, field: str) -> FieldHint:
        return self.query_one(f"#{self.id}-{field}-hint", FieldHint)

    def set_names(self, names: list[str]) -> None:
        self.picker.set_names(names)

    def focus_name(self) -> None:
        self.screen.set_focus(self.picker.input)

    def focus_pin(self) -> None:
        self.screen.set_focus(self.pin_input)

    # ---- keys ---------------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:  # a name clicked in the list
        event.stop()
        self.enter(pin=event.input is self.pin_input)

    def enter(self, pin: bool | None = None) -> None:
        """Enter: from the name to the PIN, or from the PIN (`pin`; default: where focus is) send them.

        Focus moves at once; what is read from a field waits until the field has taken the keys
        typed before the Enter (`call_later` on the field: its queue is behind them)."""
        if pin is None:
            pin = self.screen.focused is self.pin_input
        if pin:
            self.pin_input.call_later(self.submit)
            return
        self.focus_pin()
        self.picker.input.call_later(self._take_name)

    def _take_name(self) -> None:
        name = self.picker.chosen()
        self.picker.value = name
        if not name:
            self.hint("name").say(f"type your name: {NAME_HINT}", "needed")
            self.focus_name()
        else:
            self.hint("name").reset()

    def submit(self) -> None:
        if self.busy:
            return
        name = self.picker.chosen()
        if not name:
            self.hint("name").say(f"type your name: {NAME_HINT}", "needed")
            self.focus_name()
            return
        pin = Secret(self.pin_input.value)
        if not pin.reveal():
            self.hint("pin").say(f"type your PIN: {PIN_RULE}", "needed")
            self.focus_pin()
            return
        self.picker.value = name
        self.pin_input.value = ""  # never kept on screen, whatever the answer
        self.busy = True
        self.hint("name").reset()
        self.hint("pin").say("checking…")
        self.post_message(self.Submitted(self, name, pin))

    def refused(self, field: str | None, message: str) -> None:
        """The booth's answer: shown beside the name or the PIN (the PIN when no field is named)."""
        self.busy = False
        at = "name" if field == "name" else "pin"
        self.hint("pin" if at == "name" else "name").reset()
        self.hint(at).say(message, "error")
        self.focus_name() if at == "name" else self.focus_pin()

    def done(self) -> None:
        self.busy = False
        self.hint("pin").reset()
