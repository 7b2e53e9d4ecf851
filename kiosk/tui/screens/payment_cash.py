"""Payment's cash or card: the method chosen (C or K), the cash tendered checked and its change shown
as it is typed, against what this payment takes (`_due`: the fee, with any debt added, or an
exception's amount). PaymentScreen is a CashOrCard."""

from __future__ import annotations

from textual import on
from textual.widgets import Input

from ...booth import BoothError, format_money, parse_money
from ..widgets.field_hint import FieldHint
from ..widgets.method_bar import MethodBar
from .base import KioskScreen

# Payment's own words for a booth with no usable shift (kept here: payment.py imports this module).
NO_SHIFT_SAID = ("no shift of this terminal is open at this booth: F7 Shift opens one (the float counted) or closes "
                 "one left open; then take the payment")


class CashOrCard(KioskScreen):
    def _set_method(self, method: str | None) -> None:
        self.query_one("#pay-methods", MethodBar).method = method
        tendered = self.query_one("#pay-tendered", Input)
        tendered.disabled = method != "cash"
        if method != "cash":
            tendered.value = ""
        self._show_change()

    def action_method(self, method: str) -> None:
        if self._stay is None and self._plan is None:
            self._say("find the car first: type 2-3 characters of its plate", "needed")
            self.focus_now(self.query_one("#pay-plate", Input))
            return
        if self._shift_open is False:  # said on the keys line; here in full
            self._say(NO_SHIFT_SAID, "needed")
            return
        self._set_method(method)
        if method == "cash":
            self.focus_now(self.query_one("#pay-tendered", Input))
        else:
            self.focus_now(self.query_one("#pay-methods"))
            self._say("card: Enter confirms")

    @on(Input.Changed, "#pay-tendered")
    def _tendered_changed(self, event: Input.Changed) -> None:
        self._show_change()

    def _tendered(self) -> tuple[object | None, str | None]:
        """(amount, None) when the cash tendered covers the total, else (None, what is wrong)."""
        text = self.query_one("#pay-tendered", Input).value
        due = self._due()
        if not text.strip():
            total = format_money(due, self._currency) if due is not None else "the total"
            return None, f"type the cash tendered: at least {total}"
        try:
            amount = parse_money(text, "tendered", what="cash tendered")
        except BoothError as exc:
            return None, exc.message
        if due is not None and amount < due:
            short = format_money(due - amount, self._currency)
            return None, (f"= {format_money(amount, self._currency)}: {short} short, "
                          f"take at least {format_money(due, self._currency)}")
        return amount, None

    def _show_change(self) -> None:
        hint = self.query_one("#pay-change", FieldHint)
        method = self.query_one("#pay-methods", MethodBar).method
        due = self._due()
        if method != "cash" or due is None:
            hint.say("" if method != "card" or due is None else f"card: {format_money(due, self._currency)}")
            return
        if not self.query_one("#pay-tendered", Input).value.strip():
            hint.say(f"total {format_money(due, self._currency)}")
            return
        amount, problem = self._tendered()
        if problem:
            hint.say(problem, "error")
        else:
            # The amount as understood, beside what was typed: a misread amount is seen before Enter.
            hint.say(f"= {format_money(amount, self._currency)}: change "
                     f"{format_money(amount - due, self._currency)}", "ok")

    @on(Input.Submitted, "#pay-tendered")
    def _tendered_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()
