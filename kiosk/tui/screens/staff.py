"""Staff (F6 from Configuration, for a manager): the accounts, and adding, disabling, enabling,
renaming, a new PIN and a new role.

The list shows each account's role, state (active, disabled, locked for a while after wrong
PINs) and last sign-in; never a PIN or its hash. The add form checks each field as it is typed
by the booth's own rules; the booth checks again (a name already taken, the last manager) and
its refusal is shown beside the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from ...booth import BoothError, Permission, Role, Secret, StaffMember, localtime
from ..widgets.field_hint import FieldHint
from ..widgets.field_row import FieldRow
from .base import KioskScreen
from .staff_dialogs import NAME_RULE, PinDialog, RenameDialog, RoleDialog, check_rows, new_name_problem, pin_problem, same_pin

KEYS = ("[b]↑↓[/b] choose  [b]d[/b] disable/enable  [b]r[/b] rename  [b]p[/b] new PIN  [b]o[/b] role  "
        "[b]^n[/b] add  [b]Esc[/b] back")
PIN_HINT = "4-8 digits, or a passphrase"
ROW_ACTIONS = ("toggle", "rename", "pin", "role")


def state_text(member: StaffMember, now, zone) -> str:
    if not member.active:
        return f"disabled {localtime.day_hm(member.disabled_at, zone)}" if member.disabled_at else "disabled"
    if member.locked_until is not None and member.locked_until > now:
        return f"locked to {localtime.hm(member.locked_until, zone, seconds=True)}"
    return "active"


class StaffScreen(KioskScreen):
    TITLE = "Staff"
    GATED = {action: Permission.STAFF for action in (*ROW_ACTIONS, "add")}

    BINDINGS = [
        Binding("escape", "back", "Back", id="staff.back"),
        Binding("ctrl+n", "add", "Add", show=False, priority=True, id="staff.add"),
        # On the staff list (letters typed into a field are text): on the keys line.
        Binding("d", "toggle", "Disable/enable", show=False, id="staff.toggle"),
        Binding("r", "rename", "Rename", show=False, id="staff.rename"),
        Binding("p", "pin", "New PIN", show=False, id="staff.pin"),
        Binding("o", "role", "Role", show=False, id="staff.role"),
    ]

    @dataclass
    class Loaded(Message):
        members: list[StaffMember]
        said: str = ""

    @dataclass
    class Refused(Message):
        field: str | None
        message: str

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.members: list[StaffMember] = []
        self._busy = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="staff-body"):
            yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
            yield Label("Add a staff member", classes="config-section")
            yield FieldRow("name", "Name", NAME_RULE, id="staff-add-name", max_length=160, classes="staff-add")
            with Horizontal(id="staff-add-role-row", classes="staff-add-role"):
                yield Label("Role", classes="row-label")
                yield Select([(r.value, r.value) for r in Role], value=Role.ATTENDANT.value, allow_blank=False,
                             id="staff-add-role", compact=True)
            yield FieldRow("pin", "PIN", PIN_HINT, id="staff-add-pin", max_length=128, password=True, classes="staff-add")
            yield FieldRow("again", "PIN again", "the same PIN once more", id="staff-add-again", max_length=128,
                           password=True, classes="staff-add")
            yield FieldHint("", id="staff-message")
            yield Static(KEYS, id="staff-keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("name", 22), ("role", 11), ("state", 22), ("last sign-in", 12)):
            table.add_column(label, width=width)
        table.focus()
        self.load()

    # ---- the list -------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, exclusive=True, group="staff-load", description="reading the staff")
    def load(self, said: str = "") -> None:
        members = self.app.services.call(lambda booth: booth.staff_list())
        self.post_message(self.Loaded(members, said))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.members = event.members
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        now, zone = self.app.clock.now(), self.app.zone
        for m in event.members:
            last = localtime.day_hm(m.last_sign_in_at, zone) if m.last_sign_in_at else "never"
            table.add_row(m.name, str(m.role), state_text(m, now, zone), last, key=str(m.staff_id))
        if event.members:
            table.move_cursor(row=min(keep, len(event.members) - 1))
        if event.said:
            self._say(event.said, "ok")

    def _say(self, text: str, kind: str = "") -> None:
        self.query_one("#staff-message", FieldHint).say(text, kind)

    def chosen(self) -> StaffMember | None:
        table = self.query_one(DataTable)
        if not self.members or table.cursor_row is None or table.cursor_row >= len(self.members):
            return None
        return self.members[table.cursor_row]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ROW_ACTIONS:  # letters act on the list only: in a field they are text
            return isinstance(self.focused, DataTable)
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    # ---- the chosen account -------------------------------------------------------------------
    def _changed(self, member: StaffMember | None, what: str) -> None:
        if member is not None:
            self.load(what.format(name=member.name))

    def action_toggle(self) -> None:
        member = self.chosen()
        if member is None:
            return
        sid, active = member.staff_id, member.active
        self._run(lambda booth: booth.disable_staff(sid) if active else booth.enable_staff(sid),
                  "{name} disabled: they can no longer sign in (d enables)" if active
                  else "{name} enabled: they can sign in again")

    def action_rename(self) -> None:
        if (member := self.chosen()) is not None:
            self.app.push_screen(RenameDialog(member), lambda m: self._changed(m, "renamed: now {name}"))

    def action_pin(self) -> None:
        if (member := self.chosen()) is not None:
            self.app.push_screen(PinDialog(member), lambda m: self._changed(m, "{name} has a new PIN (any lock is cleared)"))

    def action_role(self) -> None:
        if (member := self.chosen()) is not None:
            self.app.push_screen(RoleDialog(member), lambda m: self._changed(m, "{name} is now " + (m.role if m else "")))

    @work(thread=True, exit_on_error=False, group="staff-change", description="changing the staff account")
    def _run(self, call, said: str) -> None:
        try:
            member = self.app.services.call(call)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Loaded(self.app.services.call(lambda booth: booth.staff_list()), said.format(name=member.name)))

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        rows = self._add_rows()
        if event.field in rows:
            rows[event.field].show_error(event.message)
            rows[event.field].input.focus()
        self._say(event.message, "error")

    # ---- adding ------------------------------------------------------------------------------------
    def _add_rows(self) -> dict[str, FieldRow]:
        return {f: self.query_one(f"#staff-add-{f}", FieldRow) for f in ("name", "pin", "again")}

    def _checks(self) -> dict:
        pin = self._add_rows()["pin"].value
        return {"name": new_name_problem, "pin": pin_problem,
                "again": lambda v: "" if same_pin(v, pin) else "the two PINs differ: type the same PIN again"}

    def action_add(self) -> None:
        self.focus_now(self._add_rows()["name"].input)
        self._say("the new person's name, role and PIN (twice); Enter adds them")

    @on(Input.Changed, "FieldRow.staff-add Input")
    def _typed(self, event: Input.Changed) -> None:
        rows = self._add_rows()
        checks = self._checks()
        for field, row in rows.items():
            wrong = checks[field](row.value) if row.value else ""
            row.show_error(wrong) if wrong else row.clear_error()

    @on(Input.Submitted, "FieldRow.staff-add Input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        rows = self._add_rows()
        first = check_rows(rows, self._checks())
        if first is not None:
            self.focus_now(rows[first].input)
            if not rows[first].value:
                self._say(f"type the {rows[first].label.lower()}", "needed")
            return
        if self._busy:
            return
        self._busy = True
        role = str(self.query_one("#staff-add-role", Select).value)
        name, pin = rows["name"].value, Secret(rows["pin"].value)
        self._say("adding…")
        self._add(name, role, pin)

    @work(thread=True, exit_on_error=False, group="staff-change", description="adding the staff member")
    def _add(self, name: str, role: str, pin: Secret) -> None:
        try:
            member = self.app.services.call(lambda booth: booth.add_staff(name, role, pin))
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        members = self.app.services.call(lambda booth: booth.staff_list())
        self.app.call_from_thread(self._added, member, members)

    def _added(self, member: StaffMember, members: list[StaffMember]) -> None:
        self._busy = False
        for row in self._add_rows().values():
            row.value = ""
            row.clear_error()
        self.post_message(self.Loaded(members, f"{member.name} added as {Role(member.role).label}: they can sign in now"))
        self.focus_now(self._add_rows()["name"].input)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._busy = False
        super().on_worker_state_changed(event)
