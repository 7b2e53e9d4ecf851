"""Payment (F3): find the car by 2-3 characters of its plate, show the fee, take cash or card.

Keys for a card payment: the plate's first characters, Enter (the top match), K, Enter; the
receipt stays up until the next plate is typed (no key to close it).
Cash: Enter, C, the amount tendered (the amount as understood and the change shown as it is typed), Enter. The receipt is
shown and written under receipts/; the spot is freed. F8 refunds a recent payment;
ctrl+d closes an overstay as departed (both need a supervisor: for an attendant, the key asks one
to approve it first). Every Booth call runs in a thread worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...booth import (BoothError, FeeBreakdown, OpenStay, Permission, Receipt, Refund, format_money, normalise_plate,
                      parse_money, reason_label)
from ..widgets.field_hint import FieldHint
from ..widgets.fee_text import breakdown_rows, stay_line
from ..widgets.formats import columns, payment_cells
from ..widgets.method_bar import MethodBar
from ..widgets.recent_panel import ROWS, RecentPanel
from .base import KioskScreen
from .receipt import ReceiptScreen
from .refund import DepartedDialog, RefundDialog
from ..widgets.kiosk_input import KioskInput

MATCHES = 8  # open stays listed under the plate while typing
PAY_GROUP = "pay-confirm"
FIND_HINT = "type 2-3 characters of the plate: the cars on site that match are listed"
KEYS = "[b]Enter[/b] pick / confirm  [b]C[/b] cash  [b]K[/b] card{shift}  [b]F8[/b] refund{needs}  [b]Esc[/b] clear"
NO_SHIFT = ": open a shift first (F7)"
NO_SHIFT_SAID = ("no shift of this terminal is open at this booth: F7 Shift opens one (the float counted) or closes "
                 "one left open; then take the payment")


def needs_note(role) -> str:
    """': needs a supervisor' after a key beyond the signed-in role; '' when the role allows it."""
    return f": needs {role.label}" if role is not None else ""


class PaymentScreen(KioskScreen):
    TITLE = "Payment"
    GATED = {"refund": Permission.REFUND, "departed": Permission.CLOSE_DEPARTED}

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", id="pay.confirm", show=False),  # on the keys line: F10 keeps its room
        # Shown on the method bar and the keys line; the footer keeps room for the screens' keys.
        Binding("c,f6", "method('cash')", "Cash", key_display="C", show=False, id="pay.cash"),
        Binding("k", "method('card')", "Card", key_display="K", show=False, id="pay.card"),
        Binding("down", "move(1)", "Next match", show=False),
        Binding("up", "move(-1)", "Previous match", show=False),
        # On the keys line (which says when it needs a supervisor): the footer keeps room for F9 and F10.
        Binding("f8", "refund", "Refund", key_display="F8", show=False, id="pay.refund"),
        Binding("ctrl+d", "departed", "Departed", show=False, id="pay.departed"),  # said beside an overstay picked
        Binding("escape", "clear", "Clear", show=False, id="pay.clear"),  # on the keys line: room for F10 at 80 columns
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

    @dataclass
    class Paid(Message):
        receipt: Receipt
        path: str | None
        file_error: str | None

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
        needs = getattr(self.app, "session", None)
        role = needs.needs(Permission.REFUND) if needs is not None else None
        shift = NO_SHIFT if self._shift_open is False else ""
        self.query_one("#pay-keys", Static).update(KEYS.format(needs=needs_note(role), shift=shift))

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
        if self._stay is None:
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
        stay, fee = self._stay, self._fee
        self.query_one("#pay-matches").set_class(stay is None and bool(self._matches), "-shown")
        self.query_one("#pay-breakdown").set_class(stay is not None, "-shown")
        self.query_one("#pay-stay", Static).update(stay_line(stay, self._now(), self.app.zone) if stay else "")
        if stay is None:
            return
        if fee is None:
            self.query_one("#pay-breakdown", Static).update("reading the fee…")
            return
        rows = breakdown_rows(fee, self._currency, self._now(), self.app.zone)
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
        self._stay, self._fee, self._txn = stay, None, self.app.services.new_transaction_id()
        self.query_one("#pay-plate", Input).value = stay.plate
        self._set_method(None)
        self._show_stay()
        departed = needs_note(self.app.session.needs(Permission.CLOSE_DEPARTED)) if stay.overstay else ""
        extra = f"  ctrl+d: departed without paying{departed}" if stay.overstay else ""
        self._say(f"{stay.plate}: C cash or K card, then Enter{extra}", "warn" if stay.overstay else "")
        self.focus_now(self.query_one("#pay-methods"))
        self._quote(stay.stay_id)
        self.refresh_bindings()

    def _unpick(self) -> None:
        if self._stay is not None:
            self._stay, self._fee = None, None
            self._set_method(None)
            self.refresh_bindings()

    @work(thread=True, exit_on_error=False, exclusive=True, group="pay-quote", description="reading the fee")
    def _quote(self, stay_id: int) -> None:
        try:
            fee, currency = self.app.services.call(lambda b: (b.quote(stay_id), b.config().currency_symbol))
        except BoothError as exc:  # paid or closed at another booth since it was listed
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Quoted(stay_id, fee, currency))

    def on_payment_screen_quoted(self, event: Quoted) -> None:
        if self._stay is None or self._stay.stay_id != event.stay_id:
            return
        self._fee, self._currency = event.fee, event.currency
        self._show_stay()
        self._show_change()

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

    # ---- cash or card ---------------------------------------------------------------------
    def _set_method(self, method: str | None) -> None:
        self.query_one("#pay-methods", MethodBar).method = method
        tendered = self.query_one("#pay-tendered", Input)
        tendered.disabled = method != "cash"
        if method != "cash":
            tendered.value = ""
        self._show_change()

    def action_method(self, method: str) -> None:
        if self._stay is None:
            self._say("find the car first: type 2-3 characters of its plate", "needed")
            self.focus_now(self.query_one("#pay-plate", Input))
            return
        if self._shift_open is False:
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
        if not text.strip():
            total = format_money(self._fee.total, self._currency) if self._fee else "the total"
            return None, f"type the cash tendered: at least {total}"
        try:
            amount = parse_money(text, "tendered", what="cash tendered")
        except BoothError as exc:
            return None, exc.message
        if self._fee is not None and amount < self._fee.total:
            short = format_money(self._fee.total - amount, self._currency)
            return None, (f"= {format_money(amount, self._currency)}: {short} short, "
                          f"take at least {format_money(self._fee.total, self._currency)}")
        return amount, None

    def _show_change(self) -> None:
        hint = self.query_one("#pay-change", FieldHint)
        method = self.query_one("#pay-methods", MethodBar).method
        if method != "cash" or self._fee is None:
            hint.say("" if method != "card" or self._fee is None else
                     f"card: {format_money(self._fee.total, self._currency)}")
            return
        if not self.query_one("#pay-tendered", Input).value.strip():
            hint.say(f"total {format_money(self._fee.total, self._currency)}")
            return
        amount, problem = self._tendered()
        if problem:
            hint.say(problem, "error")
        else:
            # The amount as understood, beside what was typed: a misread amount is seen before Enter.
            hint.say(f"= {format_money(amount, self._currency)}: change "
                     f"{format_money(amount - self._fee.total, self._currency)}", "ok")

    @on(Input.Submitted, "#pay-tendered")
    def _tendered_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Taking a payment")
            return
        method = self.query_one("#pay-methods", MethodBar).method
        if self._busy:
            return
        if self._stay is None:
            self._say("find the car first: type 2-3 characters of its plate", "needed")
            self.focus_now(self.query_one("#pay-plate", Input))
            return
        if self._fee is None:
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
        self._busy = True
        self._say(f"taking {format_money(self._fee.total, self._currency)} by {method}…")
        self._pay(self._stay.stay_id, method, tendered, self._txn)

    @work(thread=True, exit_on_error=False, group=PAY_GROUP, description="taking the payment")
    def _pay(self, stay_id: int, method: str, tendered: str | None, txn: str) -> None:
        services = self.app.services
        try:
            receipt = services.call(lambda b: b.pay(stay_id, method, tendered, transaction_id=txn))
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        path, error = services.save_receipt(receipt)
        self.post_message(self.Paid(receipt, path, error))

    def on_payment_screen_paid(self, event: Paid) -> None:
        self._busy = False
        r = event.receipt
        self._reset()
        self._say(f"paid {format_money(r.amount, r.currency)} by {r.method} for {r.plate}"
                  f"{f': spot {r.spot} is free' if r.spot else ''}", "ok")
        self.app.refresh_spots_now()
        self.query_one(RecentPanel).reload()
        self.app.push_screen(ReceiptScreen(r.text(), event.path, event.file_error), self._receipt_closed)

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

    # ---- refund, departed, clear ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "departed":
            return self._stay is not None and self._stay.overstay  # offered only for an overstay
        return True

    def action_refund(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Refunding a payment")
            return
        # Beyond an attendant's role: a supervisor approves first, and the refund then uses that approval.
        self.app.session.gated(Permission.REFUND, lambda acting: self.app.push_screen(RefundDialog(acting), self._refunded))

    def _refunded(self, refund: Refund | None) -> None:
        if refund is None:
            return
        back = "; the car is back on site" if refund.reopened else ""
        self._say(f"refunded {format_money(-refund.amount, self._currency)} of payment {refund.payment_id}: "
                  f"{reason_label(None, refund.reason, 'refund')}{back}", "ok")
        self.app.refresh_spots_now()
        self.query_one(RecentPanel).reload()

    def action_departed(self) -> None:
        stay = self._stay
        if stay is not None and stay.overstay:
            self.app.session.gated(Permission.CLOSE_DEPARTED,
                                   lambda acting: self.app.push_screen(DepartedDialog(stay, acting), self._departed))

    def _departed(self, closed: bool | None) -> None:
        if closed:
            stay = self._stay
            self._reset()
            self._say(f"{stay.plate} closed as departed: spot {stay.spot or '?'} is free", "ok")
            self.app.refresh_spots_now()

    def _reset(self) -> None:
        self._stay, self._fee, self._matches, self._prefix = None, None, [], ""
        self._pick_when_found = None
        self.query_one("#pay-plate", Input).value = ""
        self._set_method(None)
        self._show_stay()
        self.refresh_bindings()
        self.focus_now(self.query_one("#pay-plate", Input))

    def action_clear(self) -> None:
        self._reset()
        self._say(FIND_HINT)
