"""The Shift screen's dialogs: a cash drop or payout (amount and reason code), and an X or Z
report as printed (P prints it; a Z report printed again says REPRINT).

Reason codes come from the booth (`Booth.reason_codes(kind)`: the shipped list overlaid by
the site's edits); a number key picks one. Every booth call runs in a thread worker and a
refusal is shown beside the field it names; Escape cancels and nothing is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...booth import BoothError, format_money, parse_money
from ..widgets.field_hint import FieldHint
from ..widgets.kiosk_input import KioskInput

MOVEMENTS = {
    # kind -> (title, the booth call's name, what the amount is)
    "drop": ("Cash drop to the safe", "cash_drop", "amount dropped"),
    "payout": ("Payout from the drawer", "payout", "amount paid out"),
}


class CodeList(OptionList):
    """Reason codes as numbered options: a number key picks one, as Enter on it does. Option ids
    are the codes; the screen is told with OptionList.OptionSelected."""

    def __init__(self, choices=(), **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_choices(choices)

    def set_choices(self, choices) -> None:
        self.choices = list(choices)
        self.set_options(Option(f"{i} {c.label}", id=c.code) for i, c in enumerate(self.choices, 1))
        self.highlighted = 0 if self.choices else None

    def label_of(self, code: str | None) -> str:
        return next((c.label for c in self.choices if c.code == code), code or "")

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= min(9, len(self.choices)):
            event.stop()
            event.prevent_default()
            self.highlighted = int(event.character) - 1
            self.action_select()


@dataclass
class Refused(Message):
    field: str | None
    message: str


class MovementDialog(ModalScreen):
    """`MovementDialog("drop" | "payout", symbol)`: dismisses with (the booth's Movement, its reason's
    label), or None."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="movement.cancel"),
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),  # as read: bursts of keys
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    @dataclass
    class Loaded(Message):
        choices: list

    @dataclass
    class Done(Message):
        movement: object

    def __init__(self, kind: str, symbol: str) -> None:
        super().__init__()
        self.kind = kind
        self.symbol = symbol
        self._reason: str | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        title, _call, what = MOVEMENTS[self.kind]
        with Vertical(id="movement-dialog", classes="dialog"):
            yield Label(title, classes="dialog-title")
            with Horizontal(classes="movement-row"):
                yield Label("Amount", classes="field-label")
                box = KioskInput(id="movement-amount", max_length=12, compact=True, select_on_focus=False)
                box.cursor_blink = False
                yield box
                yield FieldHint(f"the {what}, e.g. 50.00", id="movement-amount-hint")
            yield Label("Reason", classes="field-label")
            yield CodeList(id="movement-reasons", classes="dialog-reasons")
            yield FieldHint("reading the reason codes…", id="movement-message", classes="dialog-message field-hint")
            yield Static("[b]Enter[/b] amount → reason  [b]1-9[/b] pick a reason and record  [b]Esc[/b] cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#movement-amount", Input))
        self._load()

    @work(thread=True, exit_on_error=False, group="movement", description="reading the reason codes")
    def _load(self) -> None:
        choices = self.app.services.call(lambda b: b.reason_codes(self.kind))
        self.post_message(self.Loaded(list(choices)))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.query_one(CodeList).set_choices(event.choices)
        self._say("type the amount, Enter, then the reason" if event.choices else
                  "no reason code is active for this: a manager adds one in Configuration", "" if event.choices else "error")

    def _say(self, text: str, kind: str = "") -> None:
        self.query_one("#movement-message", FieldHint).say(text, kind)

    def _amount(self) -> Decimal | None:
        hint = self.query_one("#movement-amount-hint", FieldHint)
        _title, _call, what = MOVEMENTS[self.kind]
        try:
            amount = parse_money(self.query_one("#movement-amount", Input).value, "amount", what=what,
                                 minimum=Decimal("0.01"))
        except BoothError as exc:
            hint.say(exc.message, "error")
            self.set_focus(self.query_one("#movement-amount", Input))
            return None
        hint.say(f"= {format_money(amount, self.symbol)}", "ok")
        return amount

    @on(Input.Changed, "#movement-amount")
    def _amount_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._amount()
            self.set_focus(event.input)  # _amount moves focus only on Enter's refusal

    @on(Input.Submitted, "#movement-amount")
    def _amount_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._amount() is not None:
            self.set_focus(self.query_one(CodeList))
            self._say("the reason: 1-9, or ↑↓ and Enter")

    @on(OptionList.OptionSelected, "#movement-reasons")
    def _reason_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._reason = event.option.id
        amount = self._amount()
        if amount is None or self._busy:
            return
        self._busy = True
        self._say(f"recording {format_money(amount, self.symbol)}: {self.query_one(CodeList).label_of(self._reason)}…")
        self._record(str(amount), self._reason)

    @work(thread=True, exit_on_error=False, group="movement", description="recording the cash movement")
    def _record(self, amount: str, reason: str) -> None:
        call = MOVEMENTS[self.kind][1]
        try:
            movement = self.app.services.call(lambda b: getattr(b, call)(amount, reason))
        except BoothError as exc:
            self.post_message(Refused(exc.field, exc.message))
            return
        self.post_message(self.Done(movement))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.dismiss((event.movement, self.query_one(CodeList).label_of(event.movement.reason)))

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        if event.field == "amount":
            self.query_one("#movement-amount-hint", FieldHint).say(event.message, "error")
            self.set_focus(self.query_one("#movement-amount", Input))
        else:
            self._say(event.message, "error")
            self.set_focus(self.query_one(CodeList))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._busy = False
            self._say("not recorded: see the error notice", "error")
            self.app.report_worker_error(event.worker)


class ReportScreen(ModalScreen[None]):
    """An X or Z report as printed. P prints it (a Z report again: its reprint); Enter or Esc closes."""

    BINDINGS = [
        Binding("escape,enter", "dismiss(None)", "Close", key_display="Enter", id="report.close"),
        Binding("p", "print", "Print", key_display="P", id="report.print"),
    ]

    @dataclass
    class Printed(Message):
        message: str
        ok: bool

    def __init__(self, report) -> None:
        super().__init__()
        self.report = report
        self._printed = False

    @property
    def is_z(self) -> bool:
        return self.report.number is not None

    def compose(self) -> ComposeResult:
        title = f"Z report No. {self.report.number}" if self.is_z else "X report (the shift so far)"
        with Horizontal(id="report-dialog"):
            with VerticalScroll(id="report-scroll"):
                yield Static("\n".join(self.report.lines()), id="report-text", markup=False)
            with Vertical(id="report-side"):
                yield Label(title, id="report-title")
                yield FieldHint("", id="report-message", classes="field-hint")
                yield Static("[b]P[/b] print\n[b]↑↓ PgUp PgDn[/b] scroll\n[b]Enter[/b] or [b]Esc[/b] close", id="report-keys")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#report-scroll"))

    def action_print(self) -> None:
        self.query_one("#report-message", FieldHint).say("printing…")
        self._print(self._printed)

    @work(thread=True, exit_on_error=False, group="report-print", description="printing the report")
    def _print(self, again: bool) -> None:
        report = self.report
        if again and self.is_z:  # a Z report printed once more is read back from the booth, marked REPRINT
            report = self.app.services.call(lambda b: b.z_report(self.report.number, reprint=True))
        # The receipt printer's queue (kiosk.tui.printing, mixed into the app): it never blocks, and
        # says in the header when a job fails (F12 prints it again); 0: no printer is set up.
        queue = getattr(self.app, "print_report", None)
        job = queue(report.title, report.lines()) if queue is not None else 0
        if job:
            self.post_message(self.Printed("sent to the printer (the header says if it fails)", True))
        else:
            self.post_message(self.Printed("no receipt printer is set up (a manager chooses it in Configuration): "
                                           "nothing printed; the report is kept", False))

    @on(Printed)
    def _printed_done(self, event: Printed) -> None:
        self._printed = self._printed or event.ok
        self.query_one("#report-message", FieldHint).say(event.message, "ok" if event.ok else "error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.query_one("#report-message", FieldHint).say("not printed: see the error notice", "error")
            self.app.report_worker_error(event.worker)
