"""Keys typed in one burst with a screen key land in the screen that key opens.

Textual hands each key to the widget focused when the key is read, and runs a non-priority
binding only once that widget has passed the key up. A scanner, a paste or a fast typist sends
`F3 c d 3` faster than that: `cd3` went into the field of the screen being left, and a new
screen has no focused field until it has mounted. Two rules fix it:

- a function key's binding (the keys that change screens and open dialogs) runs the moment
  the key is read, as the binding the footer shows for it (the focused screen's, else the app's);
- from a screen change until the new screen has settled (mounted, resumed, focus set), keys are
  held, then handed on in order as if just read. A held key that changes the screen again holds
  the rest for the next screen.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.screen import Screen

FUNCTION_KEY = re.compile(r"f\d{1,2}")
SETTLE_LIMIT_S = 2.0  # a screen that never settles (it failed to mount) must not swallow the keyboard


class ScreenKeys:
    """Owned by the app: `read(event)` is called for every key read from the terminal."""

    def __init__(self, app: App, dispatch: Callable[[events.Event], Awaitable[None]]) -> None:
        self.app = app
        self._dispatch = dispatch  # the app's own handling of a key (Textual's App.on_event)
        self._held: deque[events.Event] | None = None
        self._serial = 0  # one per screen change: only the newest change's release counts

    def start(self) -> None:
        # immediate: the hold must begin inside the key's action, before the next key is read
        self.app.screen_change_signal.subscribe(self.app, self._screen_changed, immediate=True)

    @property
    def holding(self) -> bool:
        return self._held is not None

    async def read(self, event: events.Event) -> bool:
        """True when the key was taken care of here (held, or a function key's binding ran)."""
        if self._held is not None:
            self._held.append(event)
            return True
        return await self._run_function_key(event)

    async def _run_function_key(self, event: events.Event) -> bool:
        if not isinstance(event, events.Key) or not FUNCTION_KEY.fullmatch(event.key):
            return False
        active = self.app.screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return False  # Textual's own path: a priority binding runs when read anyway
        return await self.app.run_action(active.binding.action, active.node)

    def _screen_changed(self, screen: Screen) -> None:
        if self._held is None:
            self._held = deque()
        self._serial += 1
        serial = self._serial
        # After the switch has posted the screen's resume: the screen then mounts (first time),
        # resumes, and asks the app to focus its field; the release is queued behind all that.
        self.app.call_later(self._after_switch, serial)
        self.app.set_timer(SETTLE_LIMIT_S, lambda: self.app.call_later(self._release, serial))

    def _after_switch(self, serial: int) -> None:
        if serial == self._serial:
            self.app.screen.call_later(self.app.call_later, self._release, serial)

    async def _release(self, serial: int) -> None:
        if self._held is None or serial != self._serial:
            return
        held, self._held = self._held, None
        while held:
            event = held.popleft()
            if not await self._run_function_key(event):
                await self._dispatch(event)
            if self._held is not None:  # that key changed the screen again: the rest wait for it
                self._held.extendleft(reversed(held))
                return
