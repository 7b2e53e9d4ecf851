"""Void (ctrl+z on Payment): cancel a payment taken by mistake in this shift, before the car left.

The booth decides what may be voided (`Booth.void_payment`: a payment of this run's open shift
whose car can be put back on its spot) and says otherwise that a refund, which needs a
supervisor, is the way; that refusal is shown here. A void records a negative row against the
payment, with a reason code, and puts the car back on site. Any attendant may void.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ...booth import BoothError, PaymentRow, PaymentStatus, Refund, format_money
from ..widgets.field_hint import FieldHint
from ..widgets.kiosk_input import KioskInput
from .reason_dialog import NOTE_PLACEHOLDER, ReasonDialog, ReasonList
from .refund import payment_line


def voidable(row: PaymentRow) -> bool:
    """What the list offers; the booth checks the shift and the car again."""
    return row.refund_of is None and not row.refunded and row.status == PaymentStatus.PAID and row.amount > 0


class VoidDialog(ReasonDialog):
    """Pick a payment of this shift, then the reason. Dismisses with the void's Refund, or None."""

    KIND = "void"

    @dataclass
    class Loaded(Message):
        rows: list[PaymentRow]
        currency: str

    @dataclass
    class Done(Message):
        void: Refund

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[PaymentRow] = []
        self._chosen: PaymentRow | None = None
        self._currency = "£"

    def compose(self) -> ComposeResult:
        with Vertical(id="void-dialog", classes="dialog"):
            yield Label("Void a payment taken by mistake (this shift, car still here)", classes="dialog-title")
            yield OptionList(id="void-payments")
            yield ReasonList(id="void-reasons", classes="dialog-reasons")
            yield KioskInput(placeholder=NOTE_PLACEHOLDER, id="void-note", classes="dialog-note", max_length=200)
            yield FieldHint("reading this shift's payments…", classes="dialog-message field-hint")
            yield Static("↑↓ [b]Enter[/b] pick  [b]1-9[/b] reason  [b]Enter[/b] voids, car back on its spot  "
                         "[b]Esc[/b] cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#void-payments", OptionList).focus()
        self.read_reasons()
        self._load()

    @work(thread=True, exit_on_error=False, group="void", description="reading recent payments")
    def _load(self) -> None:
        rows, currency = self.app.services.call(lambda b: (b.recent_payments(20), b.config().currency_symbol))
        self.post_message(self.Loaded(rows, currency))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self._rows, self._currency = event.rows, event.currency
        options = self.query_one("#void-payments", OptionList)
        options.set_options(Option(payment_line(r, event.currency, self.app.zone), id=str(r.payment_id),
                                   disabled=not voidable(r)) for r in event.rows)
        if not any(voidable(r) for r in event.rows):
            self._say("no payment to void: a payment already refunded or voided cannot be")
            return
        self._say("choose the payment, then the reason")
        options.highlighted = next(i for i, r in enumerate(event.rows) if voidable(r))

    @on(OptionList.OptionSelected, "#void-payments")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._chosen = next(r for r in self._rows if str(r.payment_id) == event.option.id)
        money = format_money(self._chosen.amount, self._currency)
        self._say(f"void {money} of payment {self._chosen.payment_id} ({self._chosen.plate or 'expired'}): "
                  f"the reason ({self.count_text()})?")
        self.reasons().focus()

    def not_ready(self) -> bool:
        if self._chosen is None:
            self._say("choose the payment to void first (↑↓ then Enter)", "error")
            self.query_one("#void-payments", OptionList).focus()
            return True
        return False

    def confirm(self, reason: str, note: str) -> None:
        assert self._chosen is not None
        self._busy = True
        self._void(self._chosen.payment_id, reason, note)

    @work(thread=True, exit_on_error=False, group="void", description="voiding the payment")
    def _void(self, payment_id: int, reason: str, note: str) -> None:
        try:
            void = self.app.services.call(lambda b: b.void_payment(payment_id, reason, note or None))
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Done(void))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.dismiss(event.void)

    def refused(self, field: str | None) -> None:
        if field in ("payment", "payment_id", "shift", None):
            self.query_one("#void-payments", OptionList).focus()
