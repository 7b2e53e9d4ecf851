"""Shift (F7): the attendant's shift at this booth.

- No shift open: count the float into the drawer (a total, or per note and coin: Tab between
  the counts, the running total below) and Enter opens the shift. After a close, F8 signs the
  leaving attendant out so the next one signs in and opens theirs, without quitting.
- A shift left open by an earlier run of the terminal (closed, or the power went): who opened
  it and when, and Enter leads to its blind close; no money can be taken until then.
- The shift open: its summary, X the running totals (printable), D a cash drop, P a payout,
  C close (the blind count, kiosk.tui.screens.shift_close), then the Z report.

Every Booth call runs in a thread worker (KioskServices.call).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from ...booth import BoothError, format_money, localtime
from ..widgets.cash_count import CashCount
from ..widgets.field_hint import FieldHint
from .base import KioskScreen
from .shift_close import CloseShiftScreen
from .shift_dialogs import MovementDialog, Refused, ReportScreen

SHIFT_GROUP = "shift"
KEYS = {
    "none": "[b]Enter[/b] open the shift (from any count)   [b]F8[/b] next attendant: sign out for them",
    "left_open": "[b]Enter[/b] or [b]C[/b] close it with a blind count",
    "open": "[b]X[/b] X report   [b]D[/b] cash drop   [b]P[/b] payout   [b]C[/b] close the shift (blind count)",
    "counted": "[b]C[/b] the supervisor's sign-off of the variance, which closes the shift",
}
# which keys each state offers
ACTIONS = {
    "none": {"open", "relief"},
    "left_open": {"open", "close"},
    "open": {"x_report", "drop", "payout", "close"},
    "counted": {"close"},
}


def shift_state(shift) -> str:
    if shift is None:
        return "none"
    if shift.counted:
        return "counted"
    return "left_open" if shift.left_open else "open"


class ShiftScreen(KioskScreen):
    TITLE = "Shift"

    BINDINGS = [
        Binding("enter", "open", "Open shift", show=False, id="shift.open"),  # said on the keys line
        # On the keys line, which says them for the shift's state: at 80 columns the footer keeps its
        # room for the screens, F9 and F10.
        Binding("x", "x_report", "X report", key_display="X", show=False, id="shift.x"),
        Binding("d", "drop", "Drop", key_display="D", show=False, id="shift.drop"),
        Binding("p", "payout", "Payout", key_display="P", show=False, id="shift.payout"),
        Binding("c", "close", "Close shift", key_display="C", show=False, id="shift.close"),
        Binding("f8", "relief", "Next attendant", key_display="F8", show=False, id="shift.relief"),
    ]

    @dataclass
    class Loaded(Message):
        shift: object  # ShiftInfo | None
        denominations: tuple[int, ...]
        symbol: str
        report: object  # the X report of a shift open in this run, else None

    @dataclass
    class Opened(Message):
        shift: object

    @dataclass
    class XReport(Message):
        report: object

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.state: str | None = None  # None until the first read
        self.shift = None
        self.denominations: tuple[int, ...] = ()
        self.symbol = "£"
        self._busy = False
        self._closed_now = False  # a close just happened here: the relief key is offered

    def compose_body(self) -> ComposeResult:
        with Vertical(id="shift-body"):
            yield Static("reading the shift…", id="shift-status", markup=False)
            yield Vertical(id="shift-count-box")
            yield Static("", id="shift-summary", markup=False)
            yield FieldHint("", id="shift-message")
            yield Static("", id="shift-keys")

    def on_screen_resume(self) -> None:
        if self.app.services.connected:
            self.reload()

    # ---- reading the shift ---------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group=SHIFT_GROUP, description="reading the shift")
    def reload(self) -> None:
        def read(b):
            shift = b.current_shift()
            report = None
            if shift_state(shift) == "open":
                report = b.x_report()
            return shift, tuple(b.denominations()), b.config().currency_symbol, report

        self.post_message(self.Loaded(*self.app.services.call(read)))

    @on(Loaded)
    async def _loaded(self, event: Loaded) -> None:
        self.shift, self.denominations, self.symbol = event.shift, event.denominations, event.symbol
        self.state = shift_state(event.shift)
        box = self.query_one("#shift-count-box")
        if self.state == "none" and not box.query(CashCount):
            await box.mount(CashCount(self.denominations, self.symbol, field="float", what="float", id="float",
                                      total_label="Float"))
        box.display = self.state == "none"
        self.query_one("#shift-status", Static).update(self._status_text())
        self.query_one("#shift-summary", Static).update(self._summary_text(event.report))
        keys = KEYS[self.state]
        if self.state == "none" and not self._closed_now:
            keys = keys.split("   [b]F8")[0]
        self.query_one("#shift-keys", Static).update(keys)
        self.refresh_bindings()
        if self.state == "none":
            self.query_one(CashCount).focus_first()
        else:
            self.set_focus(None)

    def _when(self, moment) -> str:
        return localtime.stamp(moment, self.app.zone) if moment is not None else "?"

    def _status_text(self) -> str:
        shift = self.shift
        if self.state == "none":
            return ("No shift is open at this booth: count the float into the drawer and type it below. "
                    "Payments wait until a shift is open.")
        who = f"Shift {shift.id} (opened by {shift.opened_by_name} at {self._when(shift.opened_at)})"
        if self.state == "left_open":
            return (f"{who} was left open by an earlier run of this terminal (it was closed or lost power). "
                    "Close it with a blind count before taking money.")
        if self.state == "counted":
            return (f"{who} is counted and its variance is over the threshold: a supervisor signs it off "
                    "to close it. No money can be taken until then.")
        return f"{who} is open: float {format_money(shift.float_amount, self.symbol)}."

    def _summary_text(self, report) -> str:
        if report is None:
            return ""
        money = lambda amount: format_money(amount, self.symbol)  # noqa: E731
        cells = [
            [("payments", str(report.payments_count)), ("cash", money(report.cash)), ("card", money(report.card))],
            [("refunds", money(report.refunds)), ("voids", money(report.voids)), ("waived", money(report.waived))],
            [("drops", money(report.drops)), ("payouts", money(report.payouts)),
             ("debts", money(report.debts_collected))],
            [("cars in", str(report.cars_in)), ("cars out", str(report.cars_out))],
        ]
        return "\n".join("   ".join(f"{label:<9}{value:>10}" for label, value in row) for row in cells)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "x_report", "drop", "payout", "close", "relief"):
            return self.state is not None and action in ACTIONS[self.state] and (
                action != "relief" or self._closed_now)
        return True

    def _say(self, text: str, kind: str = "") -> None:
        self.query_one("#shift-message", FieldHint).say(text, kind)

    # ---- opening ------------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        if self.state in ("left_open", "counted"):
            self.action_close()
            return
        if self.state != "none" or self._busy:
            return
        count = self.query_one(CashCount)
        try:
            count.read()
        except BoothError as exc:
            count.show_error(exc.message)
            count.focus_first()
            return
        total, pieces = count.call_args()
        self._busy = True
        self._say("opening the shift…")
        self._open(total, pieces)

    @work(thread=True, exit_on_error=False, group=SHIFT_GROUP, description="opening the shift")
    def _open(self, total: str | None, pieces: dict[int, str] | None) -> None:
        try:
            shift = self.app.services.call(lambda b: b.open_shift(float_total=total, float_pieces=pieces))
        except BoothError as exc:
            self.post_message(Refused(exc.field, exc.message))
            return
        self.post_message(self.Opened(shift))

    @on(Opened)
    def _opened(self, event: Opened) -> None:
        self._busy, self._closed_now = False, False
        self.query_one(CashCount).clear()
        self._say(f"shift {event.shift.id} open with a float of {format_money(event.shift.float_amount, self.symbol)}:"
                  " F1 Entry, F3 Pay", "ok")
        self.app.refresh_bindings()
        self.reload()

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        if event.field == "float" and self.state == "none":
            self.query_one(CashCount).show_error(event.message)
            self.query_one(CashCount).focus_first()
        else:
            self._say(event.message, "error")
            self.reload()  # another terminal may have opened or closed it meanwhile

    # ---- during the shift --------------------------------------------------------------------------
    def action_x_report(self) -> None:
        self._x_report()

    @work(thread=True, exit_on_error=False, group=SHIFT_GROUP, description="reading the X report")
    def _x_report(self) -> None:
        try:
            report = self.app.services.call(lambda b: b.x_report())
        except BoothError as exc:
            self.post_message(Refused(exc.field, exc.message))
            return
        self.post_message(self.XReport(report))

    @on(XReport)
    def _x_read(self, event: XReport) -> None:
        self.app.push_screen(ReportScreen(event.report))

    def action_drop(self) -> None:
        self.app.push_screen(MovementDialog("drop", self.symbol), self._moved)

    def action_payout(self) -> None:
        self.app.push_screen(MovementDialog("payout", self.symbol), self._moved)

    def _moved(self, done) -> None:
        if done is None:
            return
        movement, label = done
        what = "cash drop" if movement.kind == "drop" else "payout"
        self._say(f"{what} of {format_money(movement.amount, self.symbol)} recorded: {label}", "ok")
        self.reload()

    # ---- closing, the Z report, the next attendant ---------------------------------------------
    def action_close(self) -> None:
        if self.shift is None:
            return
        screen = CloseShiftScreen(self.shift, self.denominations, self.symbol, signoff_only=self.state == "counted")
        self.app.push_screen(screen, self._after_close)

    def _after_close(self, result) -> None:
        if result is None:
            self._say("nothing recorded: the shift is still open")
            return
        report = getattr(result, "report", None)
        if report is None:  # counted, awaiting the sign-off
            self._say("the count is recorded; the shift stays open until a supervisor signs off the variance", "warn")
            self.reload()
            return
        self._closed_now = True
        self._say(f"shift {result.shift_id} closed: Z report No. {report.number}. The next attendant: F8, or count "
                  "a new float here", "ok")
        self.app.refresh_bindings()
        self.app.push_screen(ReportScreen(report), lambda _none: self.reload())

    def action_relief(self) -> None:
        # Sign the leaving attendant out: the next signs in, and lands here to open their shift.
        self.app.session.sign_out()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == SHIFT_GROUP and event.state == WorkerState.ERROR:
            self._busy = False
            self._say("not done: see the error notice", "error")
        super().on_worker_state_changed(event)
