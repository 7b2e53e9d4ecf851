"""The footer of every screen: Textual's Footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class BoothFooter(Footer):
    """Every bindings change (focus moving, a screen shown) makes Textual's Footer re-create
    all its keys after the next refresh. Several changes come together when a screen starts
    (three before the Entry screen was usable, 10-25 ms each), and most change nothing the
    footer shows (the focused field's own keys are hidden). Here the changes before a refresh
    share one rebuild, and a rebuild that would show the same keys is skipped.
    """

    _queued = False
    _shown: tuple | None = None  # the keys on display: (key, description, action, enabled, tooltip)

    def _keys(self) -> tuple:
        bindings = self.screen.active_bindings.values()
        shown = tuple((b.key, b.description, b.action, enabled, tooltip) for _, b, enabled, tooltip in bindings if b.show)
        return shown, self.app.ENABLE_COMMAND_PALETTE and self.show_command_palette

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not (self.is_attached and screen is self.screen):
            return
        if not self._queued:
            self._queued = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._queued = False
        keys = self._keys()
        if keys != self._shown:
            self._shown = keys
            await self.recompose()
