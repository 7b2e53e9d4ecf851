"""Dialogs of the Staff screen: rename an account, give it a new PIN, change its role.

Each field is checked as it is typed by the booth's own rules (no database); the booth checks
again when saving and its refusal is shown beside the field. A PIN is typed twice into password
fields and never shown back. Escape cancels; the dialog dismisses with the updated StaffMember.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...booth import PIN_RULE, BoothError, Role, Secret, StaffMember, check_new_pin, clean_staff_name
from ..widgets.field_hint import FieldHint
from ..widgets.field_row import FieldRow

NAME_RULE = "1-40 characters with a letter; unique"
ROLE_TEXT = {
    Role.ATTENDANT: "entry, map, payments, receipts, their own activity",
    Role.SUPERVISOR: "also refunds, departed stays, everyone's activity",
    Role.MANAGER: "also configuration, spots and staff",
}


def new_name_problem(value: str) -> str:
    try:
        clean_staff_name(value)
    except BoothError as exc:
        return exc.message
    return ""


def pin_problem(value: str) -> str:
    try:
        check_new_pin(value)  # its messages never repeat the PIN
    except BoothError as exc:
        return exc.message
    return ""


def same_pin(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


def check_rows(rows: dict[str, FieldRow], checks: dict) -> str | None:
    """Show each row's problem beside it; the first row to fix (empty or refused), or None."""
    first = None
    for field, row in rows.items():
        wrong = checks[field](row.value) if row.value else ""
        row.show_error(wrong) if wrong else row.clear_error()
        if first is None and (wrong or not row.value):
            first = field
    return first


@dataclass
class Saved(Message):
    member: StaffMember


@dataclass
class Refused(Message):
    field: str | None
    message: str


class _StaffDialog(ModalScreen[StaffMember | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="staff-dialog.cancel")]
    TITLE = ""

    def __init__(self, member: StaffMember) -> None:
        super().__init__()
        self.member = member
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog staff-dialog"):
            yield Label(self.TITLE.format(name=self.member.name), classes="dialog-title", markup=False)
            yield from self.compose_fields()
            yield FieldHint("", classes="dialog-message field-hint", id="staff-dialog-message")
            yield Static("[b]Enter[/b] next field / save   [b]Esc[/b] cancel", classes="dialog-keys")

    def compose_fields(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def say(self, text: str, kind: str = "") -> None:
        self.query_one("#staff-dialog-message", FieldHint).say(text, kind)

    def save(self, call) -> None:
        """Run `call(booth) -> StaffMember` in a worker; the dialog closes with its result."""
        if not self._busy:
            self._busy = True
            self.say("saving…")
            self._run(call)

    @work(thread=True, exit_on_error=False, group="staff-dialog", description="changing the staff account")
    def _run(self, call) -> None:
        try:
            member = self.app.services.call(call)
        except BoothError as exc:
            self.post_message(Refused(exc.field, exc.message))
            return
        self.post_message(Saved(member))

    @on(Saved)
    def _saved(self, event: Saved) -> None:
        self.dismiss(event.member)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        self.say(event.message, "error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._busy = False
            self.say("not changed: see the error notice", "error")
            self.app.report_worker_error(event.worker)


class RenameDialog(_StaffDialog):
    TITLE = "Rename {name}"

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("new_name", "New name", NAME_RULE, value=self.member.name, id="staff-new-name", max_length=160)

    def on_mount(self) -> None:
        self.query_one(FieldRow).input.focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        check_rows({"new_name": self.query_one(FieldRow)}, {"new_name": new_name_problem})

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        row = self.query_one(FieldRow)
        if check_rows({"new_name": row}, {"new_name": new_name_problem}) is None:
            sid, name = self.member.staff_id, row.value
            self.save(lambda booth: booth.rename_staff(sid, name))


class PinDialog(_StaffDialog):
    TITLE = "A new PIN for {name}"

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("pin", "New PIN", PIN_RULE, id="staff-new-pin", max_length=128, password=True)
        yield FieldRow("again", "PIN again", "the same PIN once more", id="staff-new-again", max_length=128,
                       password=True)

    def on_mount(self) -> None:
        self.rows()["pin"].input.focus()

    def rows(self) -> dict[str, FieldRow]:
        return {"pin": self.query_one("#staff-new-pin", FieldRow), "again": self.query_one("#staff-new-again", FieldRow)}

    def _checks(self) -> dict:
        pin = self.rows()["pin"].value
        return {"pin": pin_problem, "again": lambda v: "" if same_pin(v, pin) else "the two PINs differ"}

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        check_rows(self.rows(), self._checks())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        rows = self.rows()
        first = check_rows(rows, self._checks())
        if first is not None:
            rows[first].input.focus()
            return
        sid, pin = self.member.staff_id, Secret(rows["pin"].value)
        self.save(lambda booth: booth.reset_pin(sid, pin))


class RoleDialog(_StaffDialog):
    TITLE = "The role of {name}"

    def compose_fields(self) -> ComposeResult:
        yield OptionList(*(Option(f"{i} {role.value:<11} {ROLE_TEXT[role]}", id=role.value)
                           for i, role in enumerate(Role, 1)), id="staff-roles")

    def on_mount(self) -> None:
        roles = self.query_one(OptionList)
        roles.highlighted = list(Role).index(Role(self.member.role))
        roles.focus()
        self.say(f"now {Role(self.member.role).label}: 1-3 or ↑↓ and Enter")

    def on_key(self, event) -> None:
        if event.character and event.character in "123":
            event.stop()
            self._pick(list(Role)[int(event.character) - 1])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(Role(event.option.id))

    def _pick(self, role: Role) -> None:
        sid = self.member.staff_id
        self.save(lambda booth: booth.set_staff_role(sid, role))
