"""A cash count as typed at the window: a total, or how many of each note and coin.

Used for the float a shift opens with and the blind count it closes with. One line for the
total, then a compact grid of the site's denominations (Tab moves from one count to the next),
then the running total as understood, or what is wrong. The checks are the booth's own
(kiosk.booth.cash_count.parse_count), run as typed; the booth runs them again on the call.
"""

from __future__ import annotations

from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Input, Label

from ...booth import BoothError, format_money
from ...booth.cash_count import Count, parse_count
from .field_hint import FieldHint
from .kiosk_input import KioskInput

COLUMNS = 4  # denominations per row: twelve fit in three rows at 80 columns


def denomination_text(cents: int, symbol: str) -> str:
    """'£50', '£0.50': short enough for the grid, and no currency's coin name is guessed."""
    return f"{symbol}{cents // 100}" if cents % 100 == 0 else format_money(Decimal(cents) / 100, symbol)


class CashCount(Vertical):
    """`CashCount(denominations, symbol, field="float", what="float", id=...)`. The total is
    `#<id>-total`, the count of one denomination `#<id>-n<cents>`, the line below `#<id>-sum`."""

    DEFAULT_CSS = """
    CashCount {
        height: auto;
        & > .count-total-row { height: 1; }
        & .count-label { width: 11; height: 1; color: $text-muted; }
        & Input { background: $boost; }
        & .count-total-row > Input { width: 14; }
        & .count-total-row > .count-or { width: 1fr; height: 1; padding: 0 0 0 1; color: $text-muted; }
        & > Grid { grid-size: 8; grid-columns: 7 9; grid-gutter: 0 1; height: auto; margin: 1 0 0 0; }
        & Grid > Label { width: 7; height: 1; content-align: right middle; color: $text-muted; }
        & Grid > Input { width: 9; }
        & > .count-sum { height: 2; padding: 0; margin: 1 0 0 0; content-align-vertical: top; }
    }
    """

    def __init__(self, denominations: tuple[int, ...], symbol: str, *, field: str, what: str, id: str,
                 total_label: str = "Total") -> None:
        super().__init__(id=id)
        self.denominations = tuple(denominations)
        self.symbol = symbol
        self.field = field
        self.what = what
        self.total_label = total_label

    @property
    def allowed(self) -> str:
        return (f"the {self.what}: type the total, or how many of each note and coin (Tab moves on); "
                "the total counted shows here")

    def compose(self) -> ComposeResult:
        with Horizontal(classes="count-total-row"):
            yield Label(self.total_label, classes="count-label")
            yield self._input(f"{self.id}-total", 12)
            yield Label("or per note and coin:", classes="count-or")
        with Grid():
            for cents in self.denominations:
                yield Label(denomination_text(cents, self.symbol))
                yield self._input(f"{self.id}-n{cents}", 6)
        yield FieldHint(self.allowed, id=f"{self.id}-sum", classes="field-hint count-sum")

    @staticmethod
    def _input(id: str, max_length: int) -> Input:
        box = KioskInput(id=id, max_length=max_length, compact=True, select_on_focus=False)
        box.cursor_blink = False  # a steady cursor: seen at a glance from the booth chair
        return box

    # ---- what was typed ---------------------------------------------------------------
    def total_text(self) -> str:
        return self.query_one(f"#{self.id}-total", Input).value.strip()

    def pieces_typed(self) -> dict[int, str]:
        """The denominations whose count is not blank, as typed."""
        typed = {}
        for cents in self.denominations:
            text = self.query_one(f"#{self.id}-n{cents}", Input).value.strip()
            if text:
                typed[cents] = text
        return typed

    def call_args(self) -> tuple[str | None, dict[int, str] | None]:
        """(total, pieces) as the booth takes them: exactly one is given when something was typed."""
        pieces = self.pieces_typed()
        return (self.total_text() or None), (pieces or None)

    def read(self) -> Count:
        """The count, or BoothError (field = this count's field) saying what is wrong."""
        total, pieces = self.call_args()
        return parse_count(total, pieces, self.denominations, field=self.field, what=self.what)

    @property
    def typed_anything(self) -> bool:
        total, pieces = self.call_args()
        return total is not None or pieces is not None

    # ---- the line below ------------------------------------------------------------------
    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.show_sum()

    def show_sum(self) -> None:
        hint = self.query_one(f"#{self.id}-sum", FieldHint)
        if not self.typed_anything:
            hint.reset(self.allowed)
            return
        try:
            count = self.read()
        except BoothError as exc:
            hint.say(exc.message, "error")
            return
        how = "as a total" if count.pieces is None else "per note and coin"
        hint.say(f"= {format_money(Decimal(count.cents) / 100, self.symbol)} counted {how}", "ok")

    def show_error(self, message: str) -> None:
        """The booth's refusal, beside the count."""
        self.query_one(f"#{self.id}-sum", FieldHint).say(message, "error")

    def focus_first(self) -> None:
        self.screen.set_focus(self.query_one(f"#{self.id}-total", Input))

    def clear(self) -> None:
        for box in self.query(Input):
            box.value = ""
        self.show_sum()
