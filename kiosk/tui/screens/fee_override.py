"""Fee override or free exit (ctrl+o on Payment, for the car picked): a supervisor's decision.

The amount to charge instead of the fee (empty or 0: a free exit), with the waived amount shown
as it is typed, a reason code and, where the code allows one, a note. A free exit is recorded
here at once (`Booth.free_exit`); an amount comes back to Payment as an `Override`, taken by
cash or card there (`Booth.override_fee`). Both use the supervisor's approval `acting` carries
(asked for by Payment's key): one booth call; a refused one asks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from ...booth import Actor, BoothError, OpenStay, Permission, Receipt, format_money, parse_money
from ..widgets.field_hint import FieldHint
from ..widgets.kiosk_input import KioskInput
from .reason_dialog import NOTE_PLACEHOLDER, ReasonDialog, ReasonList


@dataclass(frozen=True)
class Override:
    """An override to take by cash or card on Payment (Booth.override_fee)."""

    stay_id: int
    amount: Decimal
    waived: Decimal
    reason: str
    reason_label: str
    note: str
    acting: Actor | None


@dataclass(frozen=True)
class FreeExit:
    """A free exit, already recorded: its receipt."""

    receipt: Receipt


class FeeOverrideDialog(ReasonDialog):
    KIND = "override"

    @dataclass
    class Done(Message):
        receipt: Receipt

    def __init__(self, stay: OpenStay, fee: Decimal, currency: str, acting: Actor | None = None) -> None:
        super().__init__()
        self.stay = stay
        self.fee = fee
        self.currency = currency
        self.acting = acting

    def compose(self) -> ComposeResult:
        money = format_money(self.fee, self.currency)
        with Vertical(id="override-fee-dialog", classes="dialog"):
            yield Label(f"Override the fee of {self.stay.plate} ({money}), or a free exit", classes="dialog-title",
                        markup=False)
            with Horizontal(classes="dialog-line"):
                yield Label("Charge", classes="dialog-label")
                yield KioskInput(id="override-amount", max_length=20)
                yield Static(f"empty or 0: free exit, {money} waived", id="override-waived", markup=False)
            yield ReasonList(id="override-reasons", classes="dialog-reasons")
            yield KioskInput(placeholder=NOTE_PLACEHOLDER, id="override-note", classes="dialog-note", max_length=200)
            yield FieldHint("the amount to charge, Tab, then the reason", classes="dialog-message field-hint")
            yield Static("[b]Tab[/b] next  [b]1-9[/b] reason  [b]Enter[/b] confirms  [b]Esc[/b] cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#override-amount", Input).focus()
        self.read_reasons()

    def amount(self) -> tuple[Decimal | None, str]:
        """(amount to charge, '') or (None, what is wrong): empty is 0, a free exit."""
        text = self.query_one("#override-amount", Input).value
        if not text.strip():
            return Decimal("0.00"), ""
        try:
            amount = parse_money(text, "amount", what="amount to charge")
        except BoothError as exc:
            return None, exc.message
        if amount and amount >= self.fee:
            return None, (f"{format_money(amount, self.currency)} is not less than the fee: charge less than "
                          f"{format_money(self.fee, self.currency)}, or 0 for a free exit")
        return amount, ""

    @on(Input.Changed, "#override-amount")
    def _amount_changed(self, event: Input.Changed) -> None:
        amount, problem = self.amount()
        shown = self.query_one("#override-waived", Static)
        if problem:
            shown.update(f"✗ {problem}")
            shown.add_class("-error")
            return
        shown.remove_class("-error")
        waived = format_money(self.fee - amount, self.currency)
        shown.update(f"empty or 0: free exit, {waived} waived" if not amount
                     else f"= {format_money(amount, self.currency)}: {waived} waived")

    @on(Input.Submitted, "#override-amount")
    def _amount_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.reasons().focus()

    def not_ready(self) -> bool:
        amount, problem = self.amount()
        if problem:
            self._say(problem, "error")
            self.query_one("#override-amount", Input).focus()
            return True
        return False

    def confirm(self, reason: str, note: str) -> None:
        amount, _ = self.amount()
        assert amount is not None
        label = getattr(self.reasons().reason(reason), "label", reason)
        stay_id = self.stay.stay_id

        def go(acting: Actor | None) -> None:
            self.acting = acting
            if amount:
                self.dismiss(Override(stay_id, amount, self.fee - amount, reason, label, note, acting))
                return
            self._busy = True
            self._free_exit(stay_id, reason, note, acting)

        self.app.session.gated(Permission.FEE_OVERRIDE, go, approval=self.acting)

    @work(thread=True, exit_on_error=False, group="free-exit", description="recording the free exit")
    def _free_exit(self, stay_id: int, reason: str, note: str, acting: Actor | None) -> None:
        try:
            receipt = self.app.services.call(lambda b: b.free_exit(stay_id, reason, note or None), acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Done(receipt))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.dismiss(FreeExit(event.receipt))

    def refused(self, field: str | None) -> None:
        if field == "amount":
            self.query_one("#override-amount", Input).focus()
