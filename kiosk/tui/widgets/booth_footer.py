"""The footer of every screen: Textual's Footer, rebuilt only when the keys it shows change.

A key beyond the signed-in role stays in the footer (pressing it asks a supervisor to approve):
it is marked (class -needs-approval) and its tooltip says who it needs ("needs a supervisor").
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class BoothFooter(Footer):
    """Every bindings change (focus moving, a screen shown) makes Textual's Footer re-create
    all its keys after the next refresh. Several changes come together when a screen starts
    (three before the Entry screen was usable, 10-25 ms each), and most change nothing the
    footer shows (the focused field's own keys are hidden). Here the changes before a refresh
    share one rebuild, and a rebuild that would show the same keys is skipped.
    """

    _queued = False
    _shown: tuple | None = None  # the keys on display: (key, description, action, enabled, tooltip)

    def _needs(self, action: str) -> str:
        """'a supervisor' when the key's action is beyond the signed-in role; '' otherwise."""
        key_needs = getattr(self.app, "key_needs", None)
        return key_needs(self.screen, action) if key_needs is not None else ""

    def _keys(self) -> tuple:
        bindings = self.screen.active_bindings.values()
        shown = tuple((b.key, b.description, b.action, enabled, tooltip, self._needs(b.action))
                      for _, b, enabled, tooltip in bindings if b.show)
        return shown, self.app.ENABLE_COMMAND_PALETTE and self.show_command_palette

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and (needs := self._needs(widget.action)):
                widget.add_class("-needs-approval")
                widget.tooltip = f"needs {needs}: pressing it asks them to approve"
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not (self.is_attached and screen is self.screen):
            return
        if not self._queued:
            self._queued = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._queued = False
        if not self.is_attached:  # its screen was thrown away meanwhile (sign-out forgets screens)
            return
        keys = self._keys()
        if keys != self._shown:
            self._shown = keys
            await self.recompose()
