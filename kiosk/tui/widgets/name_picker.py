"""A staff name, typed or picked: type-ahead over the names that may sign in, and the list itself.

Textual's own parts: an Input with a suggester (the rest of the first matching name shown
greyed; → accepts it) and an OptionList of the names that match what is typed (all of them
while nothing is). ↑↓ move the highlight while the Input keeps focus, so typing never stops;
Enter takes the name typed if it is one, else the highlighted one (`chosen`).
Names are shown as text, never as markup (a name may hold brackets).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from .kiosk_input import KioskInput

SHOWN = 6  # names listed at most; the list scrolls for more


def matching(names: list[str], typed: str) -> list[str]:
    """Names starting with `typed` (any case) first, then names with a word starting with it."""
    key = " ".join(typed.split()).casefold()
    if not key:
        return list(names)
    first = [n for n in names if n.casefold().startswith(key)]
    words = [n for n in names if n not in first and any(w.startswith(key) for w in n.casefold().split())]
    return first + words


class NamePicker(Vertical):
    """`NamePicker(id="signin-name")`: its Input's id is `<id>-input`; `names` are set by the screen."""

    DEFAULT_CSS = """
    NamePicker {
        height: auto;
        width: 30;
        & > OptionList { height: auto; max-height: 6; border: none; padding: 0; background: $surface; }
        & > OptionList.-empty { display: none; }
    }
    """

    BINDINGS = [
        Binding("down", "move(1)", "Next name", show=False),
        Binding("up", "move(-1)", "Previous name", show=False),
    ]

    def __init__(self, value: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._value = value
        self.names: list[str] = []
        self._shown: list[str] = []
        self._moved = False  # ↑↓ pressed since the last keystroke: Enter takes the highlighted name

    def compose(self) -> ComposeResult:
        field = KioskInput(self._value, id=f"{self.id}-input", max_length=160, select_on_focus=False,
                           placeholder="type your name")
        field.cursor_blink = False
        yield field
        names = OptionList(id=f"{self.id}-list", classes="-empty")
        names.can_focus = False  # the Input keeps focus; ↑↓ move the highlight
        yield names

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        return self.input.value

    @value.setter
    def value(self, text: str) -> None:
        self.input.value = text

    def set_names(self, names: list[str]) -> None:
        self.names = list(names)
        self.input.suggester = SuggestFromList(self.names, case_sensitive=False)
        self._show(self.input.value)

    def _show(self, typed: str) -> None:
        self._shown = matching(self.names, typed)[:50]
        options = self.query_one(OptionList)
        options.set_options(Option(Content(name)) for name in self._shown)
        options.set_class(not self._shown, "-empty")
        exact = next((i for i, n in enumerate(self._shown) if n.casefold() == typed.strip().casefold()), None)
        options.highlighted = exact if exact is not None else (0 if self._shown and typed.strip() else None)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._moved = False
        self._show(event.value)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.input.value = self._shown[event.option_index]
        self.post_message(Input.Submitted(self.input, self.input.value))

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self._shown:
            self._moved = True
            options.highlighted = ((options.highlighted if options.highlighted is not None else -step) + step) % len(self._shown)

    def chosen(self) -> str:
        """The name typed if it is one (any case), else the one picked with ↑↓, else the first that
        matches what is typed, else what was typed. Worked out from the typed text itself: the
        list may not have caught up with the last keys yet."""
        typed = " ".join(self.input.value.split())
        exact = next((n for n in self.names if n.casefold() == typed.casefold()), None)
        if exact is not None:
            return exact
        highlighted = self.query_one(OptionList).highlighted
        if self._moved and highlighted is not None and highlighted < len(self._shown):
            return self._shown[highlighted]
        matches = matching(self.names, typed) if typed else []
        return matches[0] if matches else typed
