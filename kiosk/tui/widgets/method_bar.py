"""How the customer pays: C cash, K card. Focusable, so those single letters work while it has focus."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

LABELS = (("cash", "C", "cash"), ("card", "K", "card"))


class MethodBar(Widget, can_focus=True):
    """Shows the two methods with the chosen one highlighted; the screen's bindings set `method`."""

    DEFAULT_CSS = """
    MethodBar {
        width: 24;
        height: 3;
        border: tall $panel-lighten-2;
        padding: 0 1;
        &:focus { border: tall $accent; }
    }
    """

    method: reactive[str | None] = reactive(None)

    def render(self) -> Content:
        parts = []
        for value, key, label in LABELS:
            style = "bold reverse $accent" if value == self.method else "$text-muted"
            parts.append(Content.from_markup(f"[{style}] [b]$key[/b] $label [/]", key=key, label=label))
        return Content(" ").join(parts)
