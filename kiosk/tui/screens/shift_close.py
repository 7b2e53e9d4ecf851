"""Closing a shift: the blind count, then what the booth expected, then the Z report.

Blind: the attendant types the cash counted (a total or per note and coin) and the card
terminal's batch total before seeing anything the booth expected. Enter checks them, Enter
again records the count (once: it cannot be redone to fit). Only then the result: expected
cash, counted, the variance, and card expected against the batch. A variance within the
threshold closes the shift at once with its Z report; above it, a supervisor signs it off
with a variance reason code (the override dialog asks them when the signed-in role may not),
and the shift closes then. Escape before the count is recorded cancels; after it, the count
is kept and the shift stays open (no money can be taken) until it is signed off.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.worker import Worker, WorkerState

from ...booth import Actor, BoothError, Permission, format_money, parse_money
from ..widgets.cash_count import CashCount
from ..widgets.field_hint import FieldHint
from ..widgets.kiosk_input import KioskInput
from .shift_dialogs import CodeList, Refused

CARD_HINT = "the card terminal's batch total (0.00: none)"


def result_lines(result, symbol: str) -> list[str]:
    """The close's result as the attendant reads it, one figure a line."""
    def money(amount) -> str:
        return format_money(amount, symbol) if amount is not None else "—"

    def signed(amount) -> str:
        return ("+" if amount is not None and amount > 0 else "") + money(amount)

    return [
        f"{'cash expected':<16}{money(result.expected_cash):>12}",
        f"{'cash counted':<16}{money(result.counted_cash):>12}",
        f"{'variance':<16}{signed(result.variance):>12}",
        f"{'card expected':<16}{money(result.expected_card):>12}",
        f"{'card batch':<16}{money(result.card_batch):>12}",
        f"{'card variance':<16}{signed(result.card_variance):>12}",
    ]


class CloseShiftScreen(ModalScreen):
    """Dismisses with the booth's CloseResult (its `report` is the Z report once closed), or None
    when nothing was recorded. `signoff_only`: the count was recorded earlier and awaits a sign-off."""

    BINDINGS = [
        # Priority: focus moves as Tab is read, so counts typed in one burst land in their own fields.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
        Binding("enter", "next", "Next", priority=False, id="close.next"),
        Binding("escape", "back", "Back / cancel", id="close.back"),
    ]

    @dataclass
    class Closed(Message):
        result: object
        choices: list

    def __init__(self, shift, denominations: tuple[int, ...], symbol: str, *, signoff_only: bool = False) -> None:
        super().__init__()
        self.shift = shift
        self.denominations = denominations
        self.symbol = symbol
        self.step = "signoff" if signoff_only else "count"  # count -> confirm -> result [-> signoff]
        self.result = None
        self._busy = False
        self._args: tuple[str | None, dict[int, str] | None, str] | None = None
        self._acting: Actor | None = None

    def compose(self) -> ComposeResult:
        left = " (left open by an earlier run)" if self.shift.left_open else ""
        with Vertical(id="close-dialog", classes="dialog"):
            yield Label(f"Close shift {self.shift.id}{left}: blind count", classes="dialog-title", markup=False)
            yield CashCount(self.denominations, self.symbol, field="counted", what="cash counted", id="close-cash",
                            total_label="Cash")
            with Horizontal(id="close-card-row"):
                yield Label("Card batch", classes="count-label")
                box = KioskInput(id="close-card", max_length=12, compact=True, select_on_focus=False)
                box.cursor_blink = False
                yield box
                yield FieldHint(CARD_HINT, id="close-card-hint")
            yield Static("", id="close-result", markup=False)
            yield CodeList(id="close-reasons", classes="dialog-reasons")
            yield FieldHint("", id="close-message", classes="dialog-message field-hint")
            yield Static("", id="close-keys")

    def on_mount(self) -> None:
        self._show_step()
        if self.step == "count":
            self.query_one(CashCount).focus_first()
        else:
            self._signoff_choices()

    # ---- what each step shows --------------------------------------------------------------
    def _show_step(self) -> None:
        counting = self.step in ("count", "confirm")
        self.query_one(CashCount).display = counting
        self.query_one("#close-card-row").display = counting
        self.query_one("#close-result").display = not counting and self.result is not None
        self.query_one(CodeList).display = self.step == "signoff"
        for box in self.query(Input):
            box.disabled = self.step != "count"
        keys = {
            "count": "[b]Tab[/b] next count  [b]Enter[/b] check the count  [b]Esc[/b] cancel: nothing recorded",
            "confirm": "[b]Enter[/b] record the count (it cannot be changed)  [b]Esc[/b] back to the count",
            "result": "[b]Enter[/b] the Z report",
            "signoff": "[b]1-9[/b] the variance reason: a supervisor signs off  [b]Esc[/b] later (shift stays open)",
        }[self.step]
        self.query_one("#close-keys", Static).update(keys)

    def _say(self, text: str, kind: str = "") -> None:
        self.query_one("#close-message", FieldHint).say(text, kind)

    # ---- Enter and Escape -----------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def action_next(self) -> None:
        if self._busy:
            return
        if self.step == "count":
            self._check_count()
        elif self.step == "confirm":
            self._busy = True
            self._say("recording the count…")
            total, pieces, card = self._args  # type: ignore[misc]
            self._close(total, pieces, card)
        elif self.step == "result":
            self.dismiss(self.result)

    def action_back(self) -> None:
        if self._busy:
            return
        if self.step == "confirm":
            self.step = "count"
            self._show_step()
            self._say("")
            self.query_one(CashCount).focus_first()
        elif self.step == "count":
            self.dismiss(None)
        else:  # the count is recorded: the shift stays open, counted, until it is signed off
            self.dismiss(self.result)

    def _check_count(self) -> None:
        count_box = self.query_one(CashCount)
        try:
            count = count_box.read()
        except BoothError as exc:
            count_box.show_error(exc.message)
            count_box.focus_first()
            return
        card_input = self.query_one("#close-card", Input)
        try:
            if not card_input.value.strip():
                raise BoothError(f"type the card terminal's batch total: {CARD_HINT}", field="card_batch")
            card = parse_money(card_input.value, "card_batch", what="card batch total")
        except BoothError as exc:
            self.query_one("#close-card-hint", FieldHint).say(exc.message, "error")
            self.set_focus(card_input)
            return
        total, pieces = count_box.call_args()
        self._args = (total, pieces, str(card))
        self.step = "confirm"
        self._show_step()
        self.set_focus(None)
        cash = format_money(Decimal(count.cents) / 100, self.symbol)
        self._say(f"cash counted {cash}, card batch {format_money(card, self.symbol)}: Enter records it; "
                  "the count cannot be changed afterwards", "warn")

    # ---- the booth ----------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="close-shift", description="recording the count")
    def _close(self, total: str | None, pieces: dict[int, str] | None, card: str) -> None:
        def close(b):
            result = b.close_shift(counted_total=total, counted_pieces=pieces, card_batch=card)
            choices = b.reason_codes("variance") if result.needs_signoff else []
            return result, list(choices)

        try:
            result, choices = self.app.services.call(close)
        except BoothError as exc:
            self.post_message(Refused(exc.field, exc.message))
            return
        self.post_message(self.Closed(result, choices))

    @work(thread=True, exit_on_error=False, group="close-shift", description="reading the variance reasons")
    def _signoff_choices(self) -> None:
        choices = self.app.services.call(lambda b: b.reason_codes("variance"))
        self.post_message(self.Closed(None, list(choices)))

    @on(Closed)
    def _on_closed(self, event: Closed) -> None:
        self._busy = False
        if self.step == "signoff" and event.result is not None and not event.result.needs_signoff:
            self.dismiss(event.result)  # signed off: the result was shown before the sign-off; now the Z report
            return
        if event.result is not None:
            self.result = event.result
            self.query_one("#close-result", Static).update("\n".join(result_lines(event.result, self.symbol)))
        needs = self.result is None or self.result.needs_signoff
        self.step = "signoff" if needs else "result"
        self._show_step()
        if needs:
            self.query_one(CodeList).set_choices(event.choices)
            self.set_focus(self.query_one(CodeList))
            self._say("the variance is over the threshold: a supervisor or manager signs it off with the reason",
                      "warn")
        else:
            self.set_focus(None)
            self._say(f"shift {self.shift.id} closed: Z report No. {self.result.report.number}", "ok")

    @on(OptionList.OptionSelected, "#close-reasons")
    def _reason_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self._busy:
            return
        code = event.option.id

        def go(acting: Actor | None) -> None:
            self._acting, self._busy = acting, True
            self._say("signing off…")
            self._sign_off(code, acting)

        self.app.session.gated(Permission.SIGN_OFF, go, approval=self._acting,
                               what="signing off a variance over the threshold")

    @work(thread=True, exit_on_error=False, group="close-shift", description="signing off the variance")
    def _sign_off(self, code: str, acting: Actor | None) -> None:
        try:
            result = self.app.services.call(lambda b: b.sign_off_shift(code), acting=acting)
        except BoothError as exc:
            self.post_message(Refused(exc.field, exc.message))
            return
        self.post_message(self.Closed(result, []))

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        self._acting = None  # used up by the refused call
        if self.step == "confirm":  # the count was not recorded: back to it, the refusal beside its field
            self.step = "count"
            self._show_step()
            if event.field == "card_batch":
                self.query_one("#close-card-hint", FieldHint).say(event.message, "error")
                self.set_focus(self.query_one("#close-card", Input))
                return
            if event.field == "counted":
                self.query_one(CashCount).show_error(event.message)
                self.query_one(CashCount).focus_first()
                return
        self._say(event.message, "error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._busy = False
            self._say("not done: see the error notice", "error")
            self.app.report_worker_error(event.worker)
