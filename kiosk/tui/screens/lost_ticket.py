"""Lost ticket (ctrl+l on Payment): the plate as the customer gives it, the vehicle type, a reason.

The booth quotes it (`Booth.lost_ticket_quote`) as the plate is typed: a plate with a car on
site pays that stay's fee from its recorded entry; any other pays the flat lost-ticket fee of
the type chosen (Configuration, beside the rates). The dialog dismisses with a `LostTicket` plan;
Payment then takes it by cash or card as any other payment (`Booth.pay_lost_ticket`).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static
from textual.worker import get_current_worker

from ...booth import BoothError, format_money, normalise_plate
from ..widgets.field_hint import FieldHint
from ..widgets.formats import span_text, when_text
from ..widgets.kiosk_input import KioskInput
from .reason_dialog import NOTE_PLACEHOLDER, ReasonDialog, ReasonList


@dataclass(frozen=True)
class LostTicket:
    """A lost-ticket payment to take: what Payment shows and passes to Booth.pay_lost_ticket."""

    plate: str
    vehicle_type: str | None
    reason: str
    note: str
    quote: object  # LostTicketQuote


def quote_text(quote, currency: str, zone, now) -> str:
    """What the booth will charge, and why: 'on record since …' or 'not on record: flat fee'."""
    money = format_money(quote.amount, currency)
    if quote.on_record and quote.fee is not None:
        return (f"{quote.plate} is on site: in {when_text(quote.fee.entry_at, zone, now)} "
                f"({span_text(quote.fee.minutes)}), its fee {money}")
    return f"{quote.plate} is not on record: the flat lost-ticket fee, {money}"


class LostTicketDialog(ReasonDialog):
    KIND = "lost_ticket"

    @dataclass
    class Quoted(Message):
        plate: str
        vehicle_type: str | None
        quote: object | None
        problem: str
        currency: str

    def __init__(self, types: tuple[str, ...], vehicle_type: str | None = None, plate: str = "") -> None:
        super().__init__()
        self.types = types
        self.vehicle_type = vehicle_type if vehicle_type in types else (types[0] if types else None)
        self.plate = plate
        self._quote = None
        self._currency = "£"

    def compose(self) -> ComposeResult:
        with Vertical(id="lost-dialog", classes="dialog"):
            yield Label("Lost ticket: charge by the plate", classes="dialog-title")
            with Horizontal(classes="dialog-line"):
                yield Label("Plate", classes="dialog-label")
                yield KioskInput(self.plate, id="lost-plate", max_length=40)
                yield Label("Type", classes="dialog-label")
                yield Select([(t, t) for t in self.types], value=self.vehicle_type or Select.NULL,
                             allow_blank=not self.types, id="lost-type", compact=True)
            yield Static("", id="lost-quote", markup=False)
            yield ReasonList(id="lost-reasons", classes="dialog-reasons")
            yield KioskInput(placeholder=NOTE_PLACEHOLDER, id="lost-note", classes="dialog-note", max_length=200)
            yield FieldHint("the plate as the customer gives it; the type is for a car not on record",
                            classes="dialog-message field-hint")
            yield Static("[b]Tab[/b] next  [b]1-9[/b] reason  [b]Enter[/b] confirms, then C cash or K card  "
                         "[b]Esc[/b] cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#lost-plate", Input).focus()
        self.read_reasons()
        if self.plate:
            self._ask()

    def _typed_plate(self) -> str | None:
        try:
            return normalise_plate(self.query_one("#lost-plate", Input).value)
        except BoothError:
            return None

    def _chosen_type(self) -> str | None:
        value = self.query_one("#lost-type", Select).value
        return None if value is Select.NULL else str(value)

    @on(Input.Changed, "#lost-plate")
    def _plate_changed(self, event: Input.Changed) -> None:
        self._quote = None
        self.query_one("#lost-quote", Static).update("")
        if not event.value.strip():
            return
        try:
            normalise_plate(event.value)
        except BoothError as exc:
            self._say(exc.message, "error")
            return
        self._say("")
        self._ask()

    @on(Select.Changed, "#lost-type")
    def _type_changed(self, event: Select.Changed) -> None:
        if self._typed_plate():
            self._ask()

    @on(Input.Submitted, "#lost-plate")
    def _plate_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.reasons().focus()

    def _ask(self) -> None:
        plate = self._typed_plate()
        if plate is not None:
            self._read_quote(plate, self._chosen_type())

    @work(thread=True, exit_on_error=False, exclusive=True, group="lost-quote", description="quoting the lost ticket")
    def _read_quote(self, plate: str, vehicle_type: str | None) -> None:
        try:
            quote, currency = self.app.services.call(
                lambda b: (b.lost_ticket_quote(plate, vehicle_type), b.config().currency_symbol))
        except BoothError as exc:
            quote, currency, problem = None, self._currency, exc.message
        else:
            problem = ""
        if not get_current_worker().is_cancelled:
            self.post_message(self.Quoted(plate, vehicle_type, quote, problem, currency))

    @on(Quoted)
    def _quoted(self, event: Quoted) -> None:
        if event.plate != self._typed_plate() or event.vehicle_type != self._chosen_type():
            return  # typed on since: a newer quote is coming
        self._currency = event.currency
        if event.problem:
            self._say(event.problem, "error")
            return
        self._quote = event.quote
        self.query_one("#lost-quote", Static).update(quote_text(event.quote, event.currency, self.app.zone,
                                                                self.app.clock.now()))

    def not_ready(self) -> bool:
        if self._typed_plate() is None:
            self._say("type the plate first (2-10 letters and digits)", "error")
            self.query_one("#lost-plate", Input).focus()
            return True
        if self._quote is None:
            self._say("the fee is still being read: press Enter again in a moment")
            return True
        return False

    def confirm(self, reason: str, note: str) -> None:
        quote = self._quote
        self.dismiss(LostTicket(quote.plate, self._chosen_type(), reason, note, quote))

    def refused(self, field: str | None) -> None:
        if field == "plate":
            self.query_one("#lost-plate", Input).focus()
