"""Edit one vehicle type's rate (or add a new type) in a dialog; Booth.set_rate decides what is valid."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from ...booth import Actor, BoothError, Permission, Rate, check_rate_field, format_money, is_rate_amount
from ..widgets.field_row import FieldRow

# field (as BoothError.field names it), label, what is allowed
RATE_FIELDS = (
    ("type", "Vehicle type", "lower-case word, e.g. car"),
    ("rate", "Rate per hour", "0.01-1000.00 per hour started"),
    ("minimum_hours", "Minimum hours", "0-24 hours charged at least"),
    ("grace_minutes", "Grace (minutes)", "0-59 free minutes"),
    ("daily_cap", "Daily cap", "empty: none; else 0.01-100000.00"),
    ("lost_ticket", "Lost ticket fee", "plate not on record; empty: a day, capped"),
)


def rate_values(rate: Rate | None) -> dict[str, str]:
    if rate is None:
        return {"type": "", "rate": "", "minimum_hours": "1", "grace_minutes": "0", "daily_cap": "", "lost_ticket": ""}
    return {
        "type": rate.vehicle_type,
        "rate": f"{rate.rate_per_hour:.2f}",
        "minimum_hours": str(rate.minimum_hours),
        "grace_minutes": str(rate.grace_minutes),
        "daily_cap": "" if rate.daily_cap is None else f"{rate.daily_cap:.2f}",
        "lost_ticket": "" if rate.lost_ticket is None else f"{rate.lost_ticket:.2f}",
    }


class RateDialog(ModalScreen[Rate | None]):
    """Dismisses with the saved Rate, or None on Escape. Errors stay in the dialog, beside the field."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "save", "Save rate"),
    ]

    @dataclass
    class Saved(Message):
        rate: Rate

    @dataclass
    class Refused(Message):
        field: str | None
        message: str

    def __init__(self, services, rate: Rate | None = None, currency: str = "£", acting: Actor | None = None) -> None:
        """`services`: the app's KioskServices, which saves the rate in its worker's connection.
        `acting`: the signed-in person with a manager's approval, when their role may not set rates."""
        super().__init__()
        self.services = services
        self.rate = rate
        self.currency = currency
        self.acting = acting

    def compose(self) -> ComposeResult:
        values = rate_values(self.rate)
        title = f"Rate for {self.rate.vehicle_type}" if self.rate else "New vehicle type and its rate"
        with Vertical(id="rate-dialog"):
            yield Label(title, id="rate-title")
            for field, label, hint in RATE_FIELDS:
                row = FieldRow(field, label, hint, value=values[field], id=f"rate-{field}", max_length=40)
                row.disabled = field == "type" and self.rate is not None  # a type is renamed by adding a new one
                yield row
            yield Static("", id="rate-error")
            yield Static("[b]Enter[/b] save    [b]Esc[/b] cancel", id="rate-keys")

    def on_mount(self) -> None:
        first = "rate-rate" if self.rate else "rate-type"
        self.query_one(f"#{first}", FieldRow).input.focus()

    def row(self, field: str) -> FieldRow:
        return self.query_one(f"#rate-{field}", FieldRow)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        """Each field is checked as it is typed, by the booth's own rules; an amount is echoed as it
        will be saved. An empty required field is not wrong yet (said on save)."""
        row = event.input.parent
        if not isinstance(row, FieldRow):
            return
        self.query_one("#rate-error", Static).update("")
        value = event.value.strip()
        if not value:
            row.clear_error()
            row.show_note(row.hint)
            return
        try:
            checked = check_rate_field(row.field, value)
        except BoothError as exc:
            row.show_error(exc.message)
            return
        row.clear_error()
        if is_rate_amount(row.field) and checked is not None:
            per = {"rate": " per hour", "daily_cap": " a day"}.get(row.field, "")
            row.show_note(f"= {format_money(checked, self.currency)}{per}")

    def action_save(self) -> None:
        values = {f: self.row(f).value for f, _, _ in RATE_FIELDS}
        self.query_one("#rate-error", Static).update("")

        def go(acting: Actor | None) -> None:
            self.acting = acting if acting is not None else self.acting
            self._save(values, acting)

        session = getattr(self.app, "session", None)
        if session is None:
            go(None)
        else:  # an approval used by a refused save is asked for again
            session.gated(Permission.CONFIGURE, go, approval=self.acting)

    @work(thread=True, exit_on_error=False, exclusive=True, group="rate-save", description="saving the rate")
    def _save(self, values: dict[str, str], acting: Actor | None = None) -> None:
        try:
            rate = self.services.call(lambda booth: booth.set_rate(
                values["type"], values["rate"], values["minimum_hours"], values["grace_minutes"],
                values["daily_cap"].strip() or None, lost_ticket=values["lost_ticket"].strip() or None), acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Saved(rate))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # not a refusal: the app's one handler says what failed
            self.app.report_worker_error(event.worker)

    def on_rate_dialog_saved(self, message: Saved) -> None:
        self.dismiss(message.rate)

    def on_rate_dialog_refused(self, message: Refused) -> None:
        if message.field in {f for f, _, _ in RATE_FIELDS}:
            row = self.row(message.field)
            row.show_error(message.message)
            row.input.focus()
        else:  # e.g. the database is busy: nothing was saved, say so under the form
            self.query_one("#rate-error", Static).update(f"✗ {message.message}")
