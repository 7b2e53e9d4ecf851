"""Payment (F3): find the car by 2-3 characters of its plate, show the fee, take cash or card.

Keys for a card payment: the plate's first characters, Enter (the top match), K, Enter; the
receipt stays up until the next plate is typed (no key to close it).
Cash: Enter, C, the amount tendered (the amount as understood and the change shown as it is typed), Enter. The receipt is
shown, written under receipts/ and then sent to the printer (a cash payment opens the drawer); the spot
is freed. F8 refunds a recent payment;
ctrl+d closes an overstay as departed (both need a supervisor: for an attendant, the key asks one
to approve it first). The exceptions (payment_exceptions.py): ctrl+l a lost ticket, ctrl+z a void,
ctrl+o a fee override or free exit (a supervisor), D adds the plate's unpaid drive-offs to this
payment. Every Booth call runs in a thread worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...booth import BoothError, FeeBreakdown, OpenStay, Permission, Receipt, format_money, normalise_plate
from ..widgets.field_hint import FieldHint
from ..widgets.fee_text import breakdown_rows, stay_line
from ..widgets.formats import columns, payment_cells, when_text
from ..widgets.method_bar import MethodBar
from ..widgets.recent_panel import ROWS, RecentPanel
from .fee_override import Override
from .lost_ticket import LostTicket
from .payment_cash import CashOrCard
from .payment_exceptions import PaymentExceptions, exception_rows
from .receipt import ReceiptScreen
from ..widgets.kiosk_input import KioskInput

MATCHES = 8  # open stays listed under the plate while typing
PAY_GROUP = "pay-confirm"
FIND_HINT = "type 2-3 characters of the plate: the cars on site that match are listed"
# The keys line says what the keys do now: finding a car, or paying for the one picked.
KEYS = "[b]Enter[/b] pick  [b]^L[/b] lost ticket  [b]^Z[/b] void  [b]F8[/b] refund{needs}  [b]Esc[/b] clear"
PAY_KEYS = "[b]Enter[/b] confirm  [b]C[/b] cash  [b]K[/b] card{shift}  [b]^O[/b] override{needs}  [b]Esc[/b] clear"
NO_SHIFT = ": open a shift first (F7)"
NO_SHIFT_KEYS = "taking money{shift}  [b]Esc[/b] clear"


def needs_note(role) -> str:
    """': needs a supervisor' after a key beyond the signed-in role; '' when the role allows it."""
    return f": needs {role.label}" if role is not None else ""


class PaymentScreen(PaymentExceptions, CashOrCard):
    TITLE = "Payment"
    GATED = {"refund": Permission.REFUND, "departed": Permission.CLOSE_DEPARTED, "override": Permission.FEE_OVERRIDE}

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", id="pay.confirm", show=False),  # on the keys line: F10 keeps its room
        # Shown on the method bar and the keys line; the footer keeps room for the screens' keys.
        Binding("c,f6", "method('cash')", "Cash", key_display="C", show=False, id="pay.cash"),
        Binding("k", "method('card')", "Card", key_display="K", show=False, id="pay.card"),  # F7 is Shift
        Binding("down", "move(1)", "Next match", show=False),
        Binding("up", "move(-1)", "Previous match", show=False),
        # On the keys line (which says when it needs a supervisor): the footer keeps room for F9 and F10.
        Binding("f8", "refund", "Refund", key_display="F8", show=False, id="pay.refund"),
        Binding("ctrl+d", "departed", "Departed", show=False, id="pay.departed"),  # said beside an overstay picked
        Binding("escape", "clear", "Clear", show=False, id="pay.clear"),  # on the keys line: room for F10 at 80 columns
        # The exceptions, on the keys line (payment_exceptions.py).
        Binding("ctrl+l", "lost_ticket", "Lost ticket", show=False, id="pay.lost_ticket"),
        Binding("ctrl+z", "void", "Void", show=False, id="pay.void"),
        Binding("ctrl+o", "override", "Override / free exit", show=False, id="pay.override"),
        Binding("d", "collect_debts", "Add the debt", key_display="D", show=False, id="pay.debts"),  # on the method bar
    ]

    @dataclass
    class Found(Message):
        prefix: str
        stays: list[OpenStay]

    @dataclass
    class Quoted(Message):
        stay_id: int
        fee: FeeBreakdown
        currency: str
        debts: tuple = ()  # the plate's unpaid drive-offs (DebtRow)

    @dataclass
    class Paid(Message):
        receipt: Receipt
        path: str | None
        file_error: str | None
        print_job: int = 0  # its job in the print queue (0: no printer)

    @dataclass
    class Refused(Message):
        field: str | None
        message: str

    @dataclass
    class ShiftRead(Message):
        open: bool  # a shift of this run is open at this booth: money can be taken

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._matches: list[OpenStay] = []
        self._prefix = ""
        self._pick_when_found: str | None = None  # a plate to pick as soon as it is listed, or "" for the top
        self._stay: OpenStay | None = None
        self._fee: FeeBreakdown | None = None
        self._currency = "£"
        self._txn = ""  # one transaction id per chosen stay: a repeated Enter can never charge twice
        self._busy = False
        self._said_about_search = False
        self._debts: tuple = ()  # the picked plate's unpaid drive-offs
        self._collect = False  # D: they are added to this payment
        self._plan: LostTicket | Override | None = None  # an exception to take instead of the plain fee
        self._shift_open: bool | None = None  # None until read

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="pay-body"):
            with Vertical(id="pay-main"):
                yield from self._compose_payment()
            yield RecentPanel("Latest payments", self._read_payments, empty="no payment yet", id="pay-recent")

    def _read_payments(self, booth) -> list[str]:  # in a worker (RecentPanel)
        now, symbol = self.app.clock.now(), booth.config().currency_symbol
        rows = [payment_cells(p, now, format_money(p.amount, symbol), self.app.zone) for p in booth.recent_payments(ROWS)]
        return columns(rows, right=(2,))

    def _compose_payment(self) -> ComposeResult:
        with Horizontal(id="pay-find"):
            yield Label("Plate", classes="field-label")
            yield KioskInput(id="pay-plate", max_length=40)
            yield Static("", id="pay-stay", markup=False)
        yield OptionList(id="pay-matches")
        yield Static("", id="pay-breakdown")
        with Horizontal(id="pay-method"):
            yield MethodBar(id="pay-methods")
            yield Label("Tendered", classes="field-label")
            yield KioskInput(placeholder="C first", id="pay-tendered", max_length=20, disabled=True)
            yield FieldHint("", id="pay-change")
        yield FieldHint(FIND_HINT, id="pay-message")
        yield Static(KEYS.format(needs="", shift=""), id="pay-keys")

    def on_mount(self) -> None:
        self.watch(self.app, "spots_version", lambda _v: self.query_one(RecentPanel).reload(), init=False)
        self.query_one("#pay-matches", OptionList).can_focus = False  # the plate keeps focus; ↑↓ move the highlight
        self.query_one("#pay-breakdown").border_title = "Fee"
        self._show_stay()
        self.query_one("#pay-plate", Input).focus()

    def _show_keys(self) -> None:
        session = getattr(self.app, "session", None)
        paying = self._stay is not None or self._plan is not None
        permission = Permission.FEE_OVERRIDE if paying else Permission.REFUND
        role = session.needs(permission) if session is not None else None
        shift = NO_SHIFT if self._shift_open is False else ""
        keys = PAY_KEYS if paying else (NO_SHIFT_KEYS if shift else KEYS)  # no shift: nothing here takes money
        self.query_one("#pay-keys", Static).update(keys.format(needs=needs_note(role), shift=shift))

    @work(thread=True, exit_on_error=False, exclusive=True, group="pay-shift", description="reading the shift")
    def _read_shift(self) -> None:
        shift = self.app.services.call(lambda b: b.current_shift())
        usable = shift is not None and not shift.left_open and not shift.counted
        self.post_message(self.ShiftRead(usable))

    def on_payment_screen_shift_read(self, event: ShiftRead) -> None:
        self._shift_open = event.open
        self._show_keys()

    def on_screen_resume(self) -> None:
        self._show_keys()  # the person signed in may have changed (relief at the lock screen)
        if self.app.services.connected:
            self._read_shift()  # opened or closed on the Shift screen meanwhile
        self.query_one(RecentPanel).reload()
        spot, plate = self.app.take_payment_request()
        if not self.app.services.connected:
            if spot:
                self.query_one("#pay-stay", Static).update(f"spot {spot} (from the map)")
            return
        if plate or spot:
            self._reset()
            if plate:
                self._lookup_plate(plate)
            else:
                self._say(f"looking up the car in spot {spot}…")
                self._resolve_spot(spot)
        if self._stay is None and self._plan is None:
            self.query_one("#pay-plate", Input).focus()

    # ---- helpers ----------------------------------------------------------------------
    def _say(self, text: str, kind: str = "", *, about_search: bool = False) -> None:
        self._said_about_search = about_search  # such a message goes when the plate is cleared; an outcome stays
        self.query_one("#pay-message", FieldHint).say(text, kind)

    def _now(self):
        return self.app.clock.now()

    def _lookup_plate(self, plate: str) -> None:
        self._pick_when_found = plate
        self.query_one("#pay-plate", Input).value = plate  # Changed -> the search, then picked when listed

    def _show_stay(self) -> None:
        stay, fee, plan = self._stay, self._fee, self._plan
        self._show_keys()
        self.query_one("#pay-matches").set_class(stay is None and plan is None and bool(self._matches), "-shown")
        self.query_one("#pay-breakdown").set_class(stay is not None or plan is not None, "-shown")
        line = stay_line(stay, self._now(), self.app.zone) if stay else ""
        if isinstance(plan, LostTicket):
            quote = plan.quote
            line = (f"LOST TICKET  {plan.plate}  " +
                    (f"in {when_text(quote.fee.entry_at, self.app.zone, self._now())} (on record)"
                     if quote.on_record and quote.fee is not None else "(not on record)"))
        self.query_one("#pay-stay", Static).update(line)
        if stay is None and plan is None:
            return
        if isinstance(plan, LostTicket):
            fee = plan.quote.fee
        elif fee is None:
            self.query_one("#pay-breakdown", Static).update("reading the fee…")
            return
        rows = breakdown_rows(fee, self._currency, self._now(), self.app.zone) if fee is not None else []
        rows = rows[:-1] + exception_rows(plan, self._debts, self._collect, self._due(), self._currency, self.app.zone)
        width = max(16, *(len(label) for label, _ in rows))  # "rate (motorcycle)" is 17
        lines = [Content.from_markup("$label  $value", label=f"{label:<{width}}", value=value) for label, value in rows[:-1]]
        lines.append(Content.from_markup("[b]$label  $value[/b]", label=f"{'TOTAL':<{width}}", value=rows[-1][1]))
        self.query_one("#pay-breakdown", Static).update(Content("\n").join(lines))

    # ---- find the stay: type-ahead over the open stays --------------------------------------
    # Not textual-autocomplete: it ranks candidates on the UI thread from a list held in memory,
    # while a site has up to 10,000 cars on site and every match here comes from the plate index
    # in a worker. Textual's OptionList under the field shows each match's spot and time on site.
    @on(Input.Changed, "#pay-plate")
    def _plate_changed(self, event: Input.Changed) -> None:
        if self._stay is not None and event.value == self._stay.plate:
            return  # the picked plate written back into the field
        if isinstance(self._plan, LostTicket) and event.value == self._plan.plate:
            return  # a lost ticket's plate, likewise
        self._unpick()
        text = event.value.strip()
        if not text:
            self._matches, self._prefix = [], ""
            self._show_stay()
            if self._said_about_search:
                self._say(FIND_HINT)
            return
        try:
            prefix = normalise_plate(text, partial=True)
        except BoothError as exc:
            self._say(exc.message, "error", about_search=True)
            return
        self._prefix = prefix
        if self.app.services.connected:
            self._find(prefix)

    @work(thread=True, exit_on_error=False, exclusive=True, group="pay-find", description="looking up the plate")
    def _find(self, prefix: str) -> None:
        stays = self.app.services.call(lambda b: b.open_stays(prefix, MATCHES))
        if not get_current_worker().is_cancelled:
            self.post_message(self.Found(prefix, stays))

    def on_payment_screen_found(self, event: Found) -> None:
        if event.prefix != self._prefix or self._stay is not None:
            return
        self._matches = event.stays
        matches = self.query_one("#pay-matches", OptionList)
        now = self._now()
        matches.set_options(stay_line(s, now, self.app.zone) for s in event.stays)
        matches.highlighted = 0 if event.stays else None
        self._show_stay()
        wanted, self._pick_when_found = self._pick_when_found, None
        if not event.stays:
            self._say(f"no car on site has a plate starting {event.prefix}: check the plate, or the Spot map (F2)",
                      "error", about_search=True)
        elif wanted == "" or (wanted and any(s.plate == normalise_plate(wanted) for s in event.stays)):
            self._pick(next((s for s in event.stays if wanted and s.plate == normalise_plate(wanted)), event.stays[0]))
        else:
            count = "1 car matches" if len(event.stays) == 1 else f"{len(event.stays)} cars match"
            self._say(f"{count}: Enter takes the highlighted one (↑↓ to move)", about_search=True)

    def action_move(self, step: int) -> None:
        matches = self.query_one("#pay-matches", OptionList)
        if self._stay is None and self._matches:
            matches.highlighted = ((matches.highlighted or 0) + step) % len(self._matches)

    @on(Input.Submitted, "#pay-plate")
    def _plate_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._stay is not None:
            self.focus_now(self.query_one("#pay-methods"))
            return
        highlighted = self.query_one("#pay-matches", OptionList).highlighted
        if any(w.group == "pay-find" and not w.is_finished for w in self.workers):
            self._pick_when_found = ""  # Enter before the list arrived: take the top match when it does
        elif self._matches and highlighted is not None:
            self._pick(self._matches[highlighted])
        elif not event.value.strip():
            self._say(FIND_HINT, "needed")

    @on(OptionList.OptionSelected, "#pay-matches")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self._pick(self._matches[event.option_index])

    def _pick(self, stay: OpenStay) -> None:
        self._plan, self._debts, self._collect = None, (), False
        self._stay, self._fee, self._txn = stay, None, self.app.services.new_transaction_id()
        self.query_one("#pay-plate", Input).value = stay.plate
        self._set_method(None)
        self._show_stay()
        departed = needs_note(self.app.session.needs(Permission.CLOSE_DEPARTED)) if stay.overstay else ""
        extra = f"  ctrl+d: departed without paying{departed}" if stay.overstay else ""
        self._say(f"{stay.plate}: C cash or K card, then Enter{extra}", "warn" if stay.overstay else "")
        self.focus_now(self.query_one("#pay-methods"))
        self._quote(stay.stay_id, stay.plate)
        self.refresh_bindings()

    def _unpick(self) -> None:
        if self._stay is not None or self._plan is not None:
            self._stay, self._fee, self._plan, self._debts, self._collect = None, None, None, (), False
            self._set_method(None)
            self.refresh_bindings()

    @work(thread=True, exit_on_error=False, exclusive=True, group="pay-quote", description="reading the fee")
    def _quote(self, stay_id: int, plate: str) -> None:
        try:
            fee, currency, debts = self.app.services.call(
                lambda b: (b.quote(stay_id), b.config().currency_symbol, tuple(b.debts_for(plate))))
        except BoothError as exc:  # paid or closed at another booth since it was listed
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Quoted(stay_id, fee, currency, debts))

    def on_payment_screen_quoted(self, event: Quoted) -> None:
        if self._stay is None or self._stay.stay_id != event.stay_id:
            return
        self._fee, self._currency, self._debts = event.fee, event.currency, event.debts
        self._show_stay()
        self._show_change()
        if event.debts:
            self._say_debts()

    @work(thread=True, exit_on_error=False, group="pay-find", description="looking up the car in the spot")
    def _resolve_spot(self, spot: str) -> None:
        def find(booth):
            state = booth.spot_state(spot)
            return state.plate if state is not None and state.stay_id is not None else None

        plate = self.app.services.call(find)
        self.app.call_from_thread(self._spot_resolved, spot, plate)

    def _spot_resolved(self, spot: str, plate: str | None) -> None:
        if plate:
            self._lookup_plate(plate)
        else:
            self._say(f"spot {spot} has no car on it: nothing to pay", "error")
            self.focus_now(self.query_one("#pay-plate", Input))

    def action_confirm(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Taking a payment")
            return
        method = self.query_one("#pay-methods", MethodBar).method
        if self._busy:
            return
        if self._stay is None and self._plan is None:
            self._say("find the car first: type 2-3 characters of its plate", "needed")
            self.focus_now(self.query_one("#pay-plate", Input))
            return
        if self._due() is None:
            self._say("the fee is still being read: press Enter again in a moment")
            return
        if method is None:
            self._say("how does the customer pay? C cash or K card", "needed")
            self.focus_now(self.query_one("#pay-methods"))
            return
        tendered = None
        if method == "cash":
            tendered, problem = self._tendered()
            if problem:  # refused here, before anything is written
                self.query_one("#pay-change", FieldHint).say(problem, "error")
                self.focus_now(self.query_one("#pay-tendered", Input))
                return
            tendered = str(tendered)
        due = self._due()
        self._say(f"taking {format_money(due, self._currency)} by {method}…")
        if self._plan is not None:
            self.take_exception(self._plan, method, tendered)
            return
        self._busy = True
        stay_id, txn, collect = self._stay.stay_id, self._txn, self._collect
        self._run_payment(lambda b: b.pay(stay_id, method, tendered, transaction_id=txn, collect_debts=collect))

    def _due(self):
        """What this payment takes: the fee (with the debts when added), an override's amount or a
        lost ticket's quote; None while the fee is being read."""
        if isinstance(self._plan, Override):
            return self._plan.amount
        if isinstance(self._plan, LostTicket):
            return self._plan.quote.amount
        if self._fee is None:
            return None
        return self._fee.total + (sum((d.amount for d in self._debts), Decimal(0)) if self._collect else Decimal(0))

    def _run_payment(self, call, acting=None) -> None:
        self._busy = True
        self._pay(call, acting)

    @work(thread=True, exit_on_error=False, group=PAY_GROUP, description="taking the payment")
    def _pay(self, call, acting=None) -> None:
        services = self.app.services
        try:
            receipt = services.call(call, acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        path, error = services.save_receipt(receipt)
        # Committed and on file first; the printer (and a cash payment's drawer) only then, in its own thread.
        job = self.app.print_receipt(receipt)
        self.post_message(self.Paid(receipt, path, error, job))

    def on_payment_screen_paid(self, event: Paid) -> None:
        self._busy = False
        r = event.receipt
        self._reset()
        self._say(f"paid {format_money(r.amount, r.currency)} by {r.method} for {r.plate}"
                  f"{f': spot {r.spot} is free' if r.spot else ''}", "ok")
        self.app.refresh_spots_now()
        self.query_one(RecentPanel).reload()
        self.app.push_screen(ReceiptScreen(r.text(), event.path, event.file_error, receipt=r, print_job=event.print_job),
                             self._receipt_closed)

    def _receipt_closed(self, typed: str | None) -> None:
        plate = self.query_one("#pay-plate", Input)
        self.focus_now(plate)
        if typed:  # the next car's plate began on the receipt
            plate.insert_text_at_cursor(typed)

    def on_payment_screen_refused(self, event: Refused) -> None:
        self._busy = False
        if event.field == "tendered":
            self.query_one("#pay-change", FieldHint).say(event.message, "error")
            self.focus_now(self.query_one("#pay-tendered", Input))
            return
        if event.field == "stay":  # closed at another booth: start again
            self._reset()
        if event.field == "shift":  # closed, or left open, since the screen was shown
            self._shift_open = False
            self._show_keys()
        self._say(event.message, "error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == PAY_GROUP and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False
            self._say("the payment was not taken: see the error notice; nothing was charged", "error")
        super().on_worker_state_changed(event)

    # ---- which keys act now, clear ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "departed":
            return self._stay is not None and self._stay.overstay  # offered only for an overstay
        if action == "collect_debts":  # a letter: only on the method bar, with a debt to add
            return bool(self._debts) and self._plan is None and not isinstance(self.focused, Input)
        return True

    def _reset(self) -> None:
        self._stay, self._fee, self._matches, self._prefix = None, None, [], ""
        self._plan, self._debts, self._collect = None, (), False
        self._pick_when_found = None
        self.query_one("#pay-plate", Input).value = ""
        self._set_method(None)
        self._show_stay()
        self.refresh_bindings()
        self.focus_now(self.query_one("#pay-plate", Input))

    def action_clear(self) -> None:
        self._reset()
        self._say(FIND_HINT)
