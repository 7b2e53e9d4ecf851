"""The vehicle-type picker of the entry form: Enter registers, a letter picks a type, Space or ↓ lists them."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Select


class TypeSelect(Select[str]):
    """A Select whose Enter submits the form (like every other field), so one key registers a car."""

    BINDINGS = [
        Binding("down,space,up", "show_overlay", "List types", show=False),
        Binding("enter", "submit", "Register", show=False),
    ]

    @dataclass
    class Submitted(Message):
        select: "TypeSelect"

        @property
        def control(self) -> "TypeSelect":
            return self.select

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self))

    def types(self) -> list[str]:
        return [value for _prompt, value in self._options if value is not Select.NULL]

    def on_key(self, event: events.Key) -> None:
        # 'c' for car, 'v' for van; pressed again, the next type with that letter.
        char = (event.character or "").lower()
        if not char or not char.isalnum() or self.expanded:
            return
        event.stop()
        event.prevent_default()
        matching = [t for t in self.types() if t.startswith(char)]
        if not matching:
            self.app.bell()
            return
        after = matching.index(self.value) + 1 if self.value in matching else 0
        self.value = matching[after % len(matching)]
