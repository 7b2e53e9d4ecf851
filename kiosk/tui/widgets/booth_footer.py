"""The footer of every screen: Textual's Footer, re-created at most once per screen refresh."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class BoothFooter(Footer):
    """Every bindings change (focus moving, a screen shown) queues a re-creation of all the
    footer's keys after the next refresh. Several changes come together when a screen starts
    (three before the Entry screen was usable, 10-25 ms each), and every re-creation but the
    last was thrown away. Here the changes that arrive before a queued one has run share it.
    """

    _recompose_queued = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not (self.is_attached and screen is self.screen):
            return
        if not self._recompose_queued:
            self._recompose_queued = True
            self.call_after_refresh(self._recompose_once)

    async def _recompose_once(self) -> None:
        self._recompose_queued = False
        await self.recompose()
