"""An Input whose editing keys act in the order they were typed.

Textual's Input inserts a printable character as soon as its key event arrives, but
runs its own key bindings (backspace, delete, ctrl+a, ctrl+k, arrows…) only after the
event has bubbled up to the binding check. Keys that arrive in one read (a fast
typist, a scanner, a paste, tmux send-keys) were therefore applied out of order:
`⌫ ⌫ 7` typed after "1,50" gave "7" then deleted it. Here the Input's own bindings
run at once, in the field, before the next key is read.
"""

from __future__ import annotations

from textual import events
from textual.binding import BindingsMap
from textual.widgets import Input

# The Input's own bindings, by key (the same ones Textual would run later).
_OWN = BindingsMap(Input.BINDINGS).key_to_bindings


class KioskInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        bindings = _OWN.get(event.key)
        if bindings and not event.is_printable:
            event.stop()
            event.prevent_default()
            await self.run_action(bindings[0].action)
            return
        await super()._on_key(event)
