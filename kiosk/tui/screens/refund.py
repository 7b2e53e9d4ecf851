"""Refund a recent payment; close an overstay as departed. Each with a reason code and an optional note.

Both are dialogs over Payment: Escape cancels, the Booth's refusal is shown inside the dialog,
and the work runs in a thread worker. Both need a supervisor: `acting` is the attendant with a
supervisor's approval (OverrideDialog), used by the one call; should that call be refused, the
next Enter asks for an approval again. The reason is picked from a fixed list (a number key
picks one); the audit trail keeps only its code. The note is free text kept with the stay
and removed with the stay's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...booth import (Actor, BoothError, DepartedReason, OpenStay, Permission, PaymentRow, PaymentStatus, Refund,
                      RefundReason, day_hm, format_money)
from ..widgets.field_hint import FieldHint
from ..widgets.kiosk_input import KioskInput

NOTE_PLACEHOLDER = "optional note, expires with stay"  # fits the dialog at 80 columns


def payment_line(row: PaymentRow, currency: str, zone) -> str:
    state = "refund" if row.refund_of is not None else "refunded" if row.refunded else row.method or ""
    return (f"#{row.payment_id:<5} {day_hm(row.paid_at, zone)}  {row.plate or '(expired)':<10} "
            f"{format_money(row.amount, currency):>9}  {state}")


class ReasonList(OptionList):
    """The reason codes as numbered options: a number key picks one (as Enter on it does)."""

    def __init__(self, reasons, **kwargs) -> None:
        self.reasons = list(reasons)
        super().__init__(*(Option(f"{i} {r.label}", id=str(r)) for i, r in enumerate(self.reasons, 1)), **kwargs)

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(self.reasons):
            event.stop()
            event.prevent_default()
            self.highlighted = int(event.character) - 1
            self.action_select()


class _ReasonDialog(ModalScreen):
    """Shared: a reason list, an optional note, a message line, worker failures reported inside the dialog."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    REASONS: type = RefundReason

    @dataclass
    class Refused(Message):
        field: str | None
        message: str

    _reason: str | None = None

    def _say(self, text: str, kind: str = "") -> None:
        self.query_one(".dialog-message", FieldHint).say(text, kind)

    def _note(self) -> Input:
        return self.query_one(".dialog-note", Input)

    @on(OptionList.OptionSelected, ".dialog-reasons")
    def _reason_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._reason = event.option.id
        label = self.REASONS(event.option.id).label
        self._say(f"reason: {label}. Type a note if needed; Enter confirms")
        self._note().focus()

    def _need_reason(self) -> bool:
        if self._reason is None:
            self._say(f"choose the reason first (1-{len(self.REASONS)}, or ↑↓ and Enter)", "error")
            self.query_one(".dialog-reasons", ReasonList).focus()
            return True
        return False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # unexpected: the app's one handler, and the dialog stays usable
            self._busy = False
            self._say("not done: see the error notice", "error")
            self.app.report_worker_error(event.worker)


class RefundDialog(_ReasonDialog):
    """Pick a recent payment, type the reason, Enter. Dismisses with the Refund, or None."""

    BINDINGS = [*_ReasonDialog.BINDINGS, Binding("ctrl+o", "toggle_reopen", "Put back on site")]

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
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="refund-dialog", classes="dialog"):
            yield Label("Refund a payment made in error", classes="dialog-title")
            yield OptionList(id="refund-payments")
            with Horizontal(classes="dialog-reason-row"):
                yield ReasonList(RefundReason, id="refund-reasons", classes="dialog-reasons")
                with Vertical(classes="dialog-side"):
                    yield KioskInput(placeholder=NOTE_PLACEHOLDER, id="refund-note", classes="dialog-note", max_length=200)
                    yield Checkbox("car back on site (ctrl+o)", id="refund-reopen")
            yield FieldHint("reading recent payments…", classes="dialog-message field-hint")
            yield Static("↑↓ choose  [b]Enter[/b] pick  [b]1-7[/b] reason  [b]Enter[/b] in the note confirms  "
                         "[b]Esc[/b] cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#refund-payments", OptionList).focus()
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
                  f"the reason (1-{len(RefundReason)})?")
        self.query_one("#refund-reasons", ReasonList).focus()

    def action_toggle_reopen(self) -> None:
        self.query_one("#refund-reopen", Checkbox).toggle()

    @on(Input.Submitted, "#refund-note")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        if self._chosen is None:
            self._say("choose the payment to refund first (↑↓ then Enter)", "error")
            self.query_one("#refund-payments", OptionList).focus()
            return
        if self._need_reason() or self._busy:
            return
        payment_id, reason, reopen = self._chosen.payment_id, self._reason, self.query_one("#refund-reopen", Checkbox).value

        def go(acting: Actor | None) -> None:
            self.acting, self._busy = acting, True
            self._refund(payment_id, reason, event.value, reopen, acting)

        self.app.session.gated(Permission.REFUND, go, approval=self.acting)

    @work(thread=True, exit_on_error=False, group="refund", description="recording the refund")
    def _refund(self, payment_id: int, reason: str, note: str, reopen: bool, acting: Actor | None) -> None:
        try:
            refund = self.app.services.call(lambda b: b.refund(payment_id, reason, note, reopen=reopen), acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Done(refund))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.dismiss(event.refund)

    @on(_ReasonDialog.Refused)
    def _refused(self, event: _ReasonDialog.Refused) -> None:
        self._busy = False
        self._say(event.message, "error")
        if event.field == "reason":
            self.query_one("#departed-reasons", ReasonList).focus()
        if event.field == "payment":
            self.query_one("#refund-payments", OptionList).focus()
        elif event.field == "reason":
            self.query_one("#refund-reasons", ReasonList).focus()


class DepartedDialog(_ReasonDialog):
    """Close an open stay whose car left without paying (an overstay). Dismisses True when closed."""

    REASONS = DepartedReason

    @dataclass
    class Done(Message):
        pass

    def __init__(self, stay: OpenStay, acting: Actor | None = None) -> None:
        super().__init__()
        self.stay = stay
        self.acting = acting  # with a supervisor's approval, when the signed-in role may not close a stay
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="departed-dialog", classes="dialog"):
            yield Label(f"Close {self.stay.plate} at {self.stay.spot or '?'} as departed without paying",
                        classes="dialog-title", markup=False)
            yield ReasonList(DepartedReason, id="departed-reasons", classes="dialog-reasons")
            yield KioskInput(placeholder=NOTE_PLACEHOLDER, id="departed-note", classes="dialog-note", max_length=200)
            yield FieldHint(f"the reason (1-{len(DepartedReason)})?", classes="dialog-message field-hint")
            yield Static("[b]1-5[/b] reason  [b]Enter[/b] in the note closes the stay and frees the spot  "
                         "[b]Esc[/b] cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#departed-reasons", ReasonList).focus()

    @on(Input.Submitted, "#departed-note")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        if self._need_reason() or self._busy:
            return
        stay_id, reason, note = self.stay.stay_id, self._reason, event.value

        def go(acting: Actor | None) -> None:
            self.acting, self._busy = acting, True
            self._close(stay_id, reason, note, acting)

        self.app.session.gated(Permission.CLOSE_DEPARTED, go, approval=self.acting)

    @work(thread=True, exit_on_error=False, group="departed", description="closing the stay")
    def _close(self, stay_id: int, reason: str, note: str, acting: Actor | None) -> None:
        try:
            self.app.services.call(lambda b: b.close_departed(stay_id, reason, note), acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Done())

    @on(Done)
    def _done(self, event: Done) -> None:
        self.dismiss(True)

    @on(_ReasonDialog.Refused)
    def _refused(self, event: _ReasonDialog.Refused) -> None:
        self._busy = False
        self._say(event.message, "error")
        if event.field == "reason":
            self.query_one("#departed-reasons", ReasonList).focus()
