"""Refund a recent payment; close an overstay as departed. Each with a reason code and, where the
code allows one, a note.

Both are dialogs over Payment: Escape cancels, the Booth's refusal is shown inside the dialog,
and the work runs in a thread worker. Both need a supervisor: `acting` is the attendant with a
supervisor's approval (OverrideDialog), used by the one call; should that call be refused, the
next Enter asks for an approval again. The reason codes are the site's (reason_dialog.py); the
audit trail keeps only the code. Closing a stay as "left without paying" records a debt against
the plate, which the dialog dismisses with, so Payment can say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...booth import Actor, BoothError, OpenStay, Permission, PaymentRow, PaymentStatus, Refund, day_hm, format_money
from ..widgets.field_hint import FieldHint
from ..widgets.kiosk_input import KioskInput
from .reason_dialog import NOTE_PLACEHOLDER, ReasonDialog, ReasonList


def payment_line(row: PaymentRow, currency: str, zone) -> str:
    state = "refund" if row.refund_of is not None else "refunded" if row.refunded else row.method or ""
    return (f"#{row.payment_id:<5} {day_hm(row.paid_at, zone)}  {row.plate or '(expired)':<10} "
            f"{format_money(row.amount, currency):>9}  {state}")


@dataclass
class Departed:
    """What DepartedDialog dismisses with: the stay closed, and the debt recorded (or None)."""

    debt: object | None


class RefundDialog(ReasonDialog):
    """Pick a recent payment, then the reason, Enter. Dismisses with the Refund, or None."""

    BINDINGS = [*ReasonDialog.BINDINGS, Binding("ctrl+o", "toggle_reopen", "Put back on site")]
    KIND = "refund"

    @dataclass
    class Loaded(Message):
        rows: list[PaymentRow]
        currency: str

    @dataclass
    class Done(Message):
        refund: Refund

    def __init__(self, acting: Actor | None = None) -> None:
        super().__init__()
        self.acting = acting  # with a supervisor's approval, when the signed-in role may not refund
        self._rows: list[PaymentRow] = []
        self._chosen: PaymentRow | None = None
        self._currency = "£"

    def compose(self) -> ComposeResult:
        with Vertical(id="refund-dialog", classes="dialog"):
            yield Label("Refund a payment made in error", classes="dialog-title")
            yield OptionList(id="refund-payments")
            with Horizontal(classes="dialog-reason-row"):
                yield ReasonList(id="refund-reasons", classes="dialog-reasons")
                with Vertical(classes="dialog-side"):
                    yield KioskInput(placeholder=NOTE_PLACEHOLDER, id="refund-note", classes="dialog-note", max_length=200)
                    yield Checkbox("car back on site (ctrl+o)", id="refund-reopen")
            yield FieldHint("reading recent payments…", classes="dialog-message field-hint")
            yield Static("↑↓ choose  [b]Enter[/b] pick  [b]1-9[/b] reason  [b]Enter[/b] confirms  "
                         "[b]Esc[/b] cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#refund-payments", OptionList).focus()
        self.read_reasons()
        self._load()

    @work(thread=True, exit_on_error=False, group="refund", description="reading recent payments")
    def _load(self) -> None:
        rows, currency = self.app.services.call(lambda b: (b.recent_payments(20), b.config().currency_symbol))
        self.post_message(self.Loaded(rows, currency))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self._rows, self._currency = event.rows, event.currency
        options = self.query_one("#refund-payments", OptionList)
        options.set_options(
            Option(payment_line(r, event.currency, self.app.zone), id=str(r.payment_id),
                   disabled=r.refund_of is not None or r.refunded or r.status != PaymentStatus.PAID)
            for r in event.rows
        )
        if not event.rows:
            self._say("no payments yet: nothing to refund")
        else:
            self._say("choose the payment, then the reason")
            options.highlighted = next((i for i, r in enumerate(event.rows) if not options.get_option_at_index(i).disabled), None)

    @on(OptionList.OptionSelected, "#refund-payments")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._chosen = next(r for r in self._rows if str(r.payment_id) == event.option.id)
        money = format_money(self._chosen.amount, self._currency)
        self._say(f"refund {money} of payment {self._chosen.payment_id} ({self._chosen.plate or 'expired'}): "
                  f"the reason ({self.count_text()})?")
        self.reasons().focus()

    def action_toggle_reopen(self) -> None:
        self.query_one("#refund-reopen", Checkbox).toggle()

    def not_ready(self) -> bool:
        if self._chosen is None:
            self._say("choose the payment to refund first (↑↓ then Enter)", "error")
            self.query_one("#refund-payments", OptionList).focus()
            return True
        return False

    def confirm(self, reason: str, note: str) -> None:
        assert self._chosen is not None
        payment_id, reopen = self._chosen.payment_id, self.query_one("#refund-reopen", Checkbox).value

        def go(acting: Actor | None) -> None:
            self.acting, self._busy = acting, True
            self._refund(payment_id, reason, note, reopen, acting)

        self.app.session.gated(Permission.REFUND, go, approval=self.acting)

    @work(thread=True, exit_on_error=False, group="refund", description="recording the refund")
    def _refund(self, payment_id: int, reason: str, note: str, reopen: bool, acting: Actor | None) -> None:
        try:
            refund = self.app.services.call(lambda b: b.refund(payment_id, reason, note or None, reopen=reopen),
                                            acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Done(refund))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.dismiss(event.refund)

    def refused(self, field: str | None) -> None:
        if field == "payment":
            self.query_one("#refund-payments", OptionList).focus()


class DepartedDialog(ReasonDialog):
    """Close an open stay whose car left without paying (an overstay). Dismisses with Departed, or None."""

    KIND = "departed"

    @dataclass
    class Done(Message):
        debt: object | None

    def __init__(self, stay: OpenStay, acting: Actor | None = None) -> None:
        super().__init__()
        self.stay = stay
        self.acting = acting  # with a supervisor's approval, when the signed-in role may not close a stay

    def compose(self) -> ComposeResult:
        with Vertical(id="departed-dialog", classes="dialog"):
            yield Label(f"Close {self.stay.plate} at {self.stay.spot or '?'} as departed without paying",
                        classes="dialog-title", markup=False)
            yield ReasonList(id="departed-reasons", classes="dialog-reasons")
            yield KioskInput(placeholder=NOTE_PLACEHOLDER, id="departed-note", classes="dialog-note", max_length=200)
            yield FieldHint("reading the reasons…", classes="dialog-message field-hint")
            yield Static("[b]1-9[/b] reason  [b]Enter[/b] closes the stay and frees the spot  "
                         "[b]Esc[/b] cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.reasons().focus()
        self.read_reasons()

    def reasons_shown(self) -> None:
        self._say(f"the reason ({self.count_text()})? Left without paying records a debt on the plate")

    def confirm(self, reason: str, note: str) -> None:
        stay_id = self.stay.stay_id

        def go(acting: Actor | None) -> None:
            self.acting, self._busy = acting, True
            self._close(stay_id, reason, note, acting)

        self.app.session.gated(Permission.CLOSE_DEPARTED, go, approval=self.acting)

    @work(thread=True, exit_on_error=False, group="departed", description="closing the stay")
    def _close(self, stay_id: int, reason: str, note: str, acting: Actor | None) -> None:
        try:
            debt = self.app.services.call(lambda b: b.close_departed(stay_id, reason, note or None), acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Done(debt))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.dismiss(Departed(event.debt))
