"""Entry (F1): register the next car in as few keys as possible.

The rules live in kiosk.booth; this screen says what they found, beside the field at fault,
as soon as it is known: a bad character as it is typed, a plate already on site or a full
car park as soon as they are chosen. Every Booth call runs in a thread worker; results come
back as messages. One Enter registers, shows the spot in large type and readies the next car.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...booth import (BoothError, OpenStay, PlateReading, Registration, clean_name, day_hm, format_money, format_phone,
                      is_incomplete, normalise_plate, normalise_spot, read_plate)
from ...errors import ErrorCode
from ..widgets.big_text import big
from ..widgets.field_hint import FieldHint
from ..widgets.formats import arrival_cells, clock_text, columns, span_text, when_text
from ..widgets.recent_panel import ROWS, RecentPanel
from ..widgets.type_select import TypeSelect
from .base import KioskScreen
from ..widgets.kiosk_input import KioskInput

FIELDS = (
    # id, label, what is allowed (shown beside the field until something else is known). No
    # placeholders: an example in an empty field reads like the last car's data on a dim screen.
    ("plate", "Plate", "2-10 letters and digits, e.g. AB12 CDE or MÜ AB 12; spaces and dashes are ignored"),
    ("name", "Name", "the driver's name, as given"),
    ("phone", "Phone", "a national number such as 07400 123456, or +country code and number"),
)
TYPE_HINT = "first letter picks a type; Space lists them"
SPOT_HINT = "empty: the first free spot of the type"
KEYS = "[b]Enter[/b] register (from any field)   [b]Esc[/b] clear   [b]F3[/b] pay a parked car"
SPOT_PREFIX = re.compile(r"[A-Z]{0,3}[0-9]{0,4}", re.ASCII)  # what a spot number looks like half typed
REGISTER_GROUP = "entry-register"


class EntryScreen(KioskScreen):
    TITLE = "Entry"

    BINDINGS = [
        Binding("enter", "register", "Register", id="entry.register"),
        Binding("escape", "clear", "Clear", id="entry.clear"),
        Binding("f3", "pay_parked", "Pay", key_display="F3", id="entry.pay"),
    ]

    # ---- results of the workers ------------------------------------------------------
    @dataclass
    class FormRead(Message):
        region: str
        types: tuple[str, ...]
        vehicle_type: str | None
        free: int
        total: int
        suggested: str | None
        currency: str = "£"

    @dataclass
    class PlateChecked(Message):
        plate: str
        parked: OpenStay | None
        lookalikes: tuple[str, ...]

    @dataclass
    class SpotChecked(Message):
        spot: str
        vehicle_type: str | None
        problem: str  # '' when the spot can be given to this type

    @dataclass
    class Registered(Message):
        registration: Registration
        spot_big: str  # the spot in large type, drawn in the worker

    @dataclass
    class Refused(Message):
        field: str | None
        message: str
        parked: OpenStay | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._region: str | None = None  # the phone region, once read
        self._currency = "£"
        self._type_read: str | None = None  # the type whose free count is on screen
        self._free: int | None = None
        self._last_type: str | None = None  # the type of the last car registered here
        self._parked: OpenStay | None = None  # the plate typed is on site already
        self._busy = False  # a registration is under way: a second Enter must not start another
        self._spot_timer = None
        self._change_seen: str | None = None  # the plate as typed whose changed letters were shown at Enter

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="entry-body"):
            with Vertical(id="entry-main"):
                yield from self._compose_form()
            yield RecentPanel("Latest arrivals", self._read_arrivals, empty="no car yet", id="entry-recent")

    def _compose_form(self) -> ComposeResult:
        types = list(self.app.services.vehicle_types)
        with Grid(id="entry-form"):
            for field_id, label, allowed in FIELDS:
                yield Label(label, classes="field-label")
                yield KioskInput(id=f"entry-{field_id}", max_length=80)
                yield FieldHint(allowed, id=f"entry-{field_id}-hint")
            yield Label("Type", classes="field-label")
            yield TypeSelect([(t, t) for t in types], id="entry-type", allow_blank=not types,
                             value=types[0] if types else Select.NULL, type_to_search=True)
            yield FieldHint(TYPE_HINT, id="entry-type-hint")
            yield Label("Spot", classes="field-label")
            yield KioskInput(placeholder="auto", id="entry-spot", max_length=20)
            yield FieldHint(SPOT_HINT, id="entry-spot-hint")
        yield Static(KEYS, id="entry-keys")
        with Vertical(id="entry-result"):
            with Horizontal(id="entry-result-band"):
                yield Static("", id="entry-result-big", markup=False)
                yield Static("", id="entry-result-text", markup=False)
            yield Static("", id="entry-result-note", markup=False)

    def _read_arrivals(self, booth) -> list[str]:  # in a worker (RecentPanel)
        now = self.app.clock.now()
        return columns([arrival_cells(row, now, self.app.zone) for row in booth.recent_stays(ROWS)])

    def on_mount(self) -> None:
        self.query_one("#entry-plate", Input).focus()
        # Other booths' cars arrive in the list as the spot feed sees them.
        self.watch(self.app, "spots_version", lambda _v: self.query_one(RecentPanel).reload(), init=False)

    def on_screen_resume(self) -> None:
        # Shown (first time or back from another screen): free counts may have changed meanwhile.
        # The first read picks the type; later ones keep the attendant's choice.
        if self.app.services.connected:
            self._read_form(self._selected_type() if self._region is not None else None)
            self.query_one(RecentPanel).reload()

    # ---- helpers ----------------------------------------------------------------------
    def _hint(self, field: str) -> FieldHint:
        return self.query_one(f"#entry-{field}-hint", FieldHint)

    def _value(self, field: str) -> str:
        return self.query_one(f"#entry-{field}", Input).value

    def _selected_type(self) -> str | None:
        value = self.query_one("#entry-type", TypeSelect).value
        return None if value is Select.NULL else value

    def _focus(self, field: str) -> None:
        self.focus_now(self.query_one(f"#entry-{field}", Input if field != "type" else TypeSelect))

    def _parked_text(self, stay: OpenStay) -> str:
        now = self.app.clock.now()
        minutes = int((now.replace(tzinfo=None) - stay.entry_at.replace(tzinfo=None)).total_seconds() // 60)
        return (f"{stay.plate} is already parked at {stay.spot or 'an unknown spot'} since "
                f"{when_text(stay.entry_at, self.app.zone, now)} ({span_text(minutes)}): F3 takes its payment")

    # ---- what the attendant types, checked as it is typed --------------------------------
    @on(Input.Changed, "#entry-plate")
    def _plate_changed(self, event: Input.Changed) -> None:
        self._parked = None
        hint = self._hint("plate")
        if not event.value.strip():
            hint.reset()
            return
        try:
            reading = read_plate(event.value, partial=True)
        except BoothError as exc:
            hint.say(exc.message, "error")  # a character that can never be in a plate: said at once
            return
        plate = reading.plate
        if plate:
            hint.say(self._plate_echo(reading), "warn" if reading.changed else "")
        else:
            hint.say(hint.allowed)
        if len(plate) >= 2 and self.app.services.connected:
            self._check_plate(plate)

    @staticmethod
    def _plate_echo(reading: PlateReading, more: str = "") -> str:
        """'→ IAB12', and any letter read as another ('ı → I'): seen before the car is registered."""
        changed = f" · read {', '.join(reading.changed)}: check the plate" if reading.changed else ""
        return f"→ {reading.plate}{changed}{more}"

    @on(Input.Blurred, "#entry-plate")
    def _plate_left(self, event: Input.Blurred) -> None:
        if event.value.strip() and self._hint("plate").kind != "error":
            try:
                normalise_plate(event.value)
            except BoothError as exc:
                self._hint("plate").say(exc.message, "error")

    @work(thread=True, exit_on_error=False, exclusive=True, group="entry-plate", description="checking the plate")
    def _check_plate(self, plate: str) -> None:
        parked, similar = self.app.services.call(lambda b: (b.open_stay_for(plate), b.lookalikes(plate)))
        if not get_current_worker().is_cancelled:
            self.post_message(self.PlateChecked(plate, parked, tuple(similar)))

    def on_entry_screen_plate_checked(self, event: PlateChecked) -> None:
        try:
            reading = read_plate(self._value("plate"))
        except BoothError:
            return
        if reading.plate != event.plate:
            return  # typed on since: a newer check is coming
        hint = self._hint("plate")
        if event.parked is not None:
            self._parked = event.parked
            hint.say(self._parked_text(event.parked), "error")
        elif event.lookalikes:
            hint.say(self._plate_echo(reading, f" · {', '.join(event.lookalikes)} is parked: check O/0 and I/1"), "warn")
        else:
            hint.say(self._plate_echo(reading), "warn" if reading.changed else "ok")

    @on(Input.Changed, "#entry-phone")
    def _phone_changed(self, event: Input.Changed) -> None:
        self._show_phone(event.value)

    def _show_phone(self, value: str) -> None:
        hint = self._hint("phone")
        if not value.strip() or self._region is None:
            hint.reset()
            return
        try:
            _e164, national = format_phone(value, self._region)
        except BoothError as exc:
            # Half a number is not wrong yet (said when the field is left); a letter, too many
            # digits, or a number as long as one can be that is still not valid, is.
            hint.reset() if is_incomplete(value, self._region) else hint.say(exc.message, "error")
            return
        hint.say(f"→ {national}", "ok")

    @on(Input.Blurred, "#entry-phone")
    def _phone_left(self, event: Input.Blurred) -> None:
        if event.value.strip() and self._region is not None:
            try:
                format_phone(event.value, self._region)
            except BoothError as exc:
                self._hint("phone").say(exc.message, "error")

    @on(Input.Changed, "#entry-name")
    def _name_changed(self, event: Input.Changed) -> None:
        if self._hint("name").kind:
            self._hint("name").reset()

    @on(Input.Changed, "#entry-spot")
    def _spot_changed(self, event: Input.Changed) -> None:
        self._check_spot_typed()

    def _check_spot_typed(self) -> None:
        """A spot that can never be one is said at once; a whole one is looked up (its type, free
        or not) once the typing pauses; half a spot number is not wrong yet."""
        if self._spot_timer is not None:
            self._spot_timer.stop()
            self._spot_timer = None
        hint, text = self._hint("spot"), self._value("spot").strip()
        if not text:
            hint.reset()
            return
        try:
            spot = normalise_spot(text)
        except BoothError as exc:
            hint.reset() if SPOT_PREFIX.fullmatch(text.upper()) else hint.say(exc.message, "error")
            return
        hint.say(f"→ {spot}: looking it up…")
        if not self.app.services.connected:
            return
        delay = self.app.typing_delay
        if delay <= 0:
            self._look_up_spot(spot, self._selected_type())
        else:
            self._spot_timer = self.set_timer(delay, partial(self._look_up_spot, spot, self._selected_type()))

    @work(thread=True, exit_on_error=False, exclusive=True, group="entry-spot", description="looking up the spot")
    def _look_up_spot(self, spot: str, vehicle_type: str | None) -> None:
        state = self.app.services.call(lambda b: b.spot_state(spot))
        if state is None:
            problem = f"there is no spot {spot}: pick one from the spot map (F2)"
        elif vehicle_type and state.vehicle_type != vehicle_type:
            problem = f"spot {spot} is for {state.vehicle_type or 'no type'}, not {vehicle_type}: choose a {vehicle_type} spot"
        elif state.state != "free":
            problem = f"spot {spot} is {state.state}: choose a free spot, or leave the field empty"
        else:
            problem = ""
        if not get_current_worker().is_cancelled:
            self.post_message(self.SpotChecked(spot, vehicle_type, problem))

    def on_entry_screen_spot_checked(self, event: SpotChecked) -> None:
        try:
            current = normalise_spot(self._value("spot"))
        except BoothError:
            return
        if current != event.spot or event.vehicle_type != self._selected_type():
            return  # typed on, or the type changed, since: a newer check is coming
        if event.problem:
            self._hint("spot").say(event.problem, "error")
        else:
            self._hint("spot").say(f"→ {event.spot}: free {event.vehicle_type or ''} spot".replace("  ", " "), "ok")

    # ---- vehicle type: free spots said as soon as it is chosen ----------------------------
    @on(Select.Changed, "#entry-type")
    def _type_changed(self, event: Select.Changed) -> None:
        if self._region is None:
            return  # the first read of the form decides the type (the last one used)
        if event.value is not Select.NULL and event.value != self._type_read:
            self._hint("type").say(f"{event.value}: counting free spots…")
            self._read_form(event.value)

    @work(thread=True, exit_on_error=False, exclusive=True, group="entry-form", description="reading free spots")
    def _read_form(self, wanted: str | None) -> None:
        def read(booth):
            types = tuple(booth.vehicle_types())
            chosen = wanted if wanted in types else self._last_type if self._last_type in types else None
            if chosen is None:  # a fresh start: the booth's default
                chosen = booth.default_vehicle_type()
            free, total = booth.free_counts().get(chosen, (0, 0))
            suggested = booth.suggest_spot(chosen) if chosen and free else None
            config = booth.config()
            return self.FormRead(config.phone_region, types, chosen, free, total, suggested, config.currency_symbol)

        result = self.app.services.call(read)
        if not get_current_worker().is_cancelled:
            self.post_message(result)

    def on_entry_screen_form_read(self, event: FormRead) -> None:
        self._region, self._currency = event.region, event.currency
        select = self.query_one("#entry-type", TypeSelect)
        if select.types() != list(event.types):
            select.set_options([(t, t) for t in event.types])
        self._type_read, self._free = event.vehicle_type, event.free
        if event.vehicle_type is not None and select.value != event.vehicle_type:
            select.value = event.vehicle_type
        spot_input = self.query_one("#entry-spot", Input)
        hint = self._hint("type")
        if event.vehicle_type is None:
            hint.say("no vehicle types yet: set a rate in Configuration (F4)", "error")
        elif event.total == 0:
            hint.say(f"there are no {event.vehicle_type} spots: add some in Configuration (F4)", "error")
        elif event.free == 0:
            hint.say(f"FULL: all {event.total} {event.vehicle_type} spots are taken", "error")
        else:
            hint.say(f"{event.free} of {event.total} {event.vehicle_type} spots free", "ok")
        spot_input.placeholder = f"{event.suggested} (auto)" if event.suggested else "none free"
        self._hint("spot").allowed = (f"{event.suggested}: first free {event.vehicle_type} spot; type another to choose"
                                      if event.suggested else SPOT_HINT)
        self._check_spot_typed()  # a spot typed by hand is checked again for the type now chosen
        self._show_phone(self._value("phone"))

    # ---- register --------------------------------------------------------------------
    @on(Input.Submitted)
    @on(TypeSelect.Submitted)
    def _submitted(self, event: Message) -> None:
        event.stop()
        self.action_register()

    def _check_form(self) -> str | None:
        """The first field that stops the registration (shown at the field), or None: send it."""
        problems: list[str] = []
        blank = [f for f in ("plate", "name", "phone") if not self._value(f).strip()]
        checks = {
            "plate": lambda v: normalise_plate(v),
            "name": clean_name,
            "phone": (lambda v: format_phone(v, self._region)) if self._region else (lambda v: v),
            "spot": lambda v: normalise_spot(v) if v.strip() else v,
        }
        for field, check in checks.items():
            if field in blank:
                continue
            try:
                check(self._value(field))
            except BoothError as exc:
                self._hint(field).say(exc.message, "error")
                problems.append(field)
        if self._parked is not None:
            self._hint("plate").say(self._parked_text(self._parked), "error")
            problems.append("plate")
        elif "plate" not in problems and "plate" not in blank:
            typed = self._value("plate")
            reading = read_plate(typed)
            if reading.changed and self._change_seen != typed:
                # A letter read as another is registered only once the attendant has seen it: this Enter
                # shows it (keys sent in one burst may not have let the hint be read), the next registers.
                self._change_seen = typed
                self._hint("plate").say(self._plate_echo(reading, f" · Enter again registers {reading.plate}"), "warn")
                problems.append("plate")
        vehicle_type = self._selected_type()
        if vehicle_type is None or (vehicle_type == self._type_read and self._free == 0):
            problems.append("type")  # its hint already says why
        for field in blank:  # Enter on an empty field's predecessor moves on to it: a soft word, not an error
            self._hint(field).say(f"needed: {self._hint(field).allowed}", "needed")
        order = ("plate", "name", "phone", "type", "spot")
        return next((f for f in order if f in problems or f in blank), None)

    def action_register(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Registering a car")
            return
        if self._busy:
            return
        stop = self._check_form()
        if stop is not None:
            self._focus(stop)
            return
        self._busy = True
        spot = self._value("spot").strip() or None
        self._register(self._value("plate"), self._value("name"), self._value("phone"), self._selected_type(), spot)

    @work(thread=True, exit_on_error=False, group=REGISTER_GROUP, description="registering the car")
    def _register(self, plate: str, name: str, phone: str, vehicle_type: str, spot: str | None) -> None:
        services = self.app.services
        try:
            reg = services.call(lambda b: b.register(plate, name, phone, vehicle_type, spot))
        except BoothError as exc:
            parked = None
            if exc.code in (ErrorCode.ALREADY_PARKED, ErrorCode.CONFLICT):  # e.g. parked at another booth a moment ago: say where
                try:
                    parked = services.call(lambda b: b.open_stay_for(plate))
                except BoothError:
                    parked = None
            self.post_message(self.Refused(exc.field, exc.message, parked))
            return
        self.post_message(self.Registered(reg, big(reg.spot)))

    def on_entry_screen_registered(self, event: Registered) -> None:
        self._busy = False
        reg = event.registration
        self._last_type = reg.vehicle_type
        self.query_one("#entry-result-big", Static).update(event.spot_big)
        self.query_one("#entry-result-text", Static).update(
            f"{reg.plate}  →  spot {reg.spot}   ({clock_text(reg.entry_at, self.app.zone)})")
        notes = [*reg.warnings, *self._debt_notes(reg)]
        self.query_one("#entry-result-note", Static).update(" · ".join(notes))
        self.query_one("#entry-result").set_class(True, "-shown").set_class(bool(notes), "-warned")
        self._clear_fields()
        self._type_read = None  # one spot fewer: read the count again
        self._read_form(reg.vehicle_type)
        self.app.refresh_spots_now()
        self.query_one(RecentPanel).reload()

    def _debt_notes(self, reg: Registration) -> list[str]:
        """The plate's unpaid drive-offs, each with its amount and date: collected at payment (D)."""
        if not reg.debts:
            return []
        owed = ", ".join(f"{format_money(d.amount, self._currency)} from {day_hm(d.created_at, self.app.zone)}"
                         for d in reg.debts)
        return [f"{reg.plate} left without paying before: owes {owed}. Collect it at payment (F3, then D)"]

    def on_entry_screen_refused(self, event: Refused) -> None:
        self._busy = False
        field = event.field if event.field in ("plate", "name", "phone", "type", "spot") else None
        if field is None:
            self.notify(event.message, title="Not registered", severity="error")
            return
        self._parked = event.parked if field == "plate" else self._parked
        message = self._parked_text(event.parked) if field == "plate" and event.parked else event.message
        self._hint(field).say(message, "error")
        if field == "type":
            self._free = 0 if "full" in event.message else self._free
        self._focus(field)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == REGISTER_GROUP and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False  # the central handler says what went wrong; the form stays as typed
        super().on_worker_state_changed(event)

    # ---- clear, pay ------------------------------------------------------------------
    def _clear_fields(self) -> None:
        for field in ("plate", "name", "phone", "spot"):
            self.query_one(f"#entry-{field}", Input).value = ""
            if field != "spot" or self._hint("spot").kind == "error":
                self._hint(field).reset()
        self._parked = None
        self._change_seen = None
        self.focus_now(self.query_one("#entry-plate", Input))

    def action_clear(self) -> None:
        self._clear_fields()

    def action_pay_parked(self) -> None:
        parked = self._parked
        if parked is not None:
            self.app.open_payment(parked.spot, plate=parked.plate)
        else:
            self.app.switch_mode("payment")
