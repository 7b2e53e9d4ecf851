"""Reason codes (F8 from Configuration): the codes an attendant picks for a refund, a departed stay,
a void, a fee override, a payout, a drop, a variance or a lost ticket, per kind.

The kiosk ships a list per kind; a manager adds codes, relabels them (and whether a note may be
typed with one) or retires them. A retired code is no longer offered but keeps its label on the
old rows that name it: codes are never deleted. Every change needs a manager (or a manager's
approval for that one change); the booth checks each field again and its refusal is shown here.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...booth import BoothError, Permission, ReasonChoice
from ...booth.reasons import CODE_RULE, KINDS, LABEL_MAX, check_code
from ...booth.text import clean_label
from ..widgets.field_hint import FieldHint
from ..widgets.field_row import FieldRow
from .base import KioskScreen

KIND_TEXT = {
    "refund": "refund", "departed": "departed", "void": "void", "override": "fee override",
    "payout": "payout", "drop": "cash drop", "variance": "variance", "lost_ticket": "lost ticket",
}
# ✎ in the list: a note may be typed with the code.
KEYS = ("[b]↑↓[/b] choose  [b]r[/b] relabel  [b]x[/b] retire/restore  [b]^n[/b] add  "
        "[b]Tab[/b] next list/field  [b]Esc[/b] back")
LABEL_RULE = f"1-{LABEL_MAX} characters"
ROW_ACTIONS = ("relabel", "toggle")


def code_problem(value: str) -> str:
    try:
        check_code(value)
    except BoothError as exc:
        return exc.message
    return ""


def label_problem(value: str) -> str:
    try:
        clean_label(value, "label", "reason label", LABEL_MAX)
    except BoothError as exc:
        return exc.message
    return ""


class ReasonCodesScreen(KioskScreen):
    TITLE = "Reason codes"
    GATED = {"relabel": Permission.CONFIGURE, "toggle": Permission.CONFIGURE, "add": Permission.CONFIGURE}

    BINDINGS = [
        Binding("escape", "back", "Back", id="reasons.back"),
        Binding("ctrl+n", "add", "Add", show=False, priority=True, id="reasons.add"),
        # On the code list only (letters typed into a field are text): said on the keys line.
        Binding("r", "relabel", "Relabel", show=False, id="reasons.relabel"),
        Binding("x", "toggle", "Retire/restore", show=False, id="reasons.toggle"),
    ]

    @dataclass
    class Loaded(Message):
        kind: str
        codes: list[ReasonChoice]
        said: str = ""

    @dataclass
    class Refused(Message):
        field: str | None
        message: str

    def __init__(self, approval=None) -> None:
        super().__init__()
        self.kind = KINDS[0]
        self.codes: list[ReasonChoice] = []
        self.approval = approval  # a manager's approval F4 brought, for the first change
        self._busy = False

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="reasons-body"):
            yield OptionList(*(Option(KIND_TEXT[k], id=k) for k in KINDS), id="reasons-kinds")
            with Vertical(id="reasons-main"):
                yield DataTable(id="reasons-table", cursor_type="row", zebra_stripes=True)
                yield Label("Add a code, or relabel one (r fills this in)", classes="config-section")
                yield FieldRow("code", "Code", "a-z 0-9 _ (32)", id="reasons-code", max_length=40,
                               classes="reasons-form")
                yield FieldRow("label", "Label", LABEL_RULE, id="reasons-label", max_length=80, classes="reasons-form")
                yield Checkbox("a note may be typed with it", id="reasons-note", compact=True)
                yield FieldHint("", id="reasons-message")
        yield Static(KEYS, id="reasons-keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("code", 18), ("label", 26), ("✎", 1), ("state", 7)):
            table.add_column(label, width=width)
        kinds = self.query_one("#reasons-kinds", OptionList)
        kinds.highlighted = 0
        table.focus()
        self.load(self.kind)

    # ---- the list ------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, exclusive=True, group="reasons-load", description="reading the reason codes")
    def load(self, kind: str, said: str = "") -> None:
        codes = self.app.services.call(lambda booth: booth.reason_codes(kind, include_retired=True))
        self.post_message(self.Loaded(kind, codes, said))

    @on(OptionList.OptionHighlighted, "#reasons-kinds")
    def _kind_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        kind = event.option.id or KINDS[0]
        if kind != self.kind:
            self.kind = kind
            self.load(kind)

    @on(OptionList.OptionSelected, "#reasons-kinds")
    def _kind_selected(self, event: OptionList.OptionSelected) -> None:
        self.focus_now(self.query_one(DataTable))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.kind != self.kind:
            return  # another kind was chosen meanwhile
        self.codes = event.codes
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for c in event.codes:
            table.add_row(c.code, c.label, "✎" if c.note_allowed else "", "active" if c.active else "retired",
                          key=c.code)
        if event.codes:
            table.move_cursor(row=min(keep, len(event.codes) - 1))
        table.border_title = f"{KIND_TEXT[event.kind]} reasons"
        if event.said:
            self._say(event.said, "ok")

    def _say(self, text: str, kind: str = "") -> None:
        self.query_one("#reasons-message", FieldHint).say(text, kind)

    def chosen(self) -> ReasonChoice | None:
        table = self.query_one(DataTable)
        if not self.codes or table.cursor_row is None or table.cursor_row >= len(self.codes):
            return None
        return self.codes[table.cursor_row]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ROW_ACTIONS:  # letters act on the list only: in a field they are text
            return isinstance(self.focused, DataTable)
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    # ---- changes (each needs a manager) --------------------------------------------------------
    def _gated(self, then) -> None:
        def go(acting) -> None:
            if acting is not None:
                self.approval = acting
            then(acting)

        self.app.session.gated(Permission.CONFIGURE, go, approval=self.approval)

    def action_toggle(self) -> None:
        code = self.chosen()
        if code is None or self._busy:
            return
        kind, active = self.kind, not code.active
        done = (f"{code.code} restored: offered again" if active
                else f"{code.code} retired: no longer offered (old records keep its label)")
        self._gated(lambda acting: self._start(kind, code.code, code.label, code.note_allowed, active, done, acting))

    def action_relabel(self) -> None:
        code = self.chosen()
        if code is None:
            return
        rows = self._rows()
        rows["code"].value, rows["label"].value = code.code, code.label
        self.query_one("#reasons-note", Checkbox).value = code.note_allowed
        self.focus_now(rows["label"].input)
        self._say(f"the new label for {code.code}; Enter saves")

    def action_add(self) -> None:
        rows = self._rows()
        for row in rows.values():
            row.value = ""
            row.clear_error()
        self.query_one("#reasons-note", Checkbox).value = False
        self.focus_now(rows["code"].input)
        self._say(f"a new {KIND_TEXT[self.kind]} code and its label; Enter adds it")

    def _rows(self) -> dict[str, FieldRow]:
        return {f: self.query_one(f"#reasons-{f}", FieldRow) for f in ("code", "label")}

    @on(Input.Changed, "FieldRow.reasons-form Input")
    def _typed(self, event: Input.Changed) -> None:
        row = event.input.parent
        if isinstance(row, FieldRow):
            wrong = (code_problem if row.field == "code" else label_problem)(row.value) if row.value else ""
            row.show_error(wrong) if wrong else row.clear_error()

    @on(Input.Submitted, "FieldRow.reasons-form Input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        rows = self._rows()
        for field, check in (("code", code_problem), ("label", label_problem)):
            row = rows[field]
            wrong = check(row.value) if row.value else f"type the {field}: " + (CODE_RULE if field == "code" else LABEL_RULE)
            if wrong:
                row.show_error(wrong)
                self.focus_now(row.input)
                return
        if self._busy:
            return
        code = check_code(rows["code"].value)
        existing = next((c for c in self.codes if c.code == code), None)
        note = self.query_one("#reasons-note", Checkbox).value
        active = existing.active if existing is not None else True
        done = f"{code} relabelled" if existing is not None else f"{code} added to the {KIND_TEXT[self.kind]} reasons"
        kind, label = self.kind, rows["label"].value
        self._gated(lambda acting: self._start(kind, code, label, note, active, done, acting))

    def _start(self, *args) -> None:
        self._busy = True
        self._set(*args)

    @work(thread=True, exit_on_error=False, group="reasons-change", description="changing a reason code")
    def _set(self, kind: str, code: str, label: str, note: bool, active: bool, done: str, acting=None) -> None:
        try:
            self.app.services.call(lambda booth: booth.set_reason_code(kind, code, label, note, active), acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        codes = self.app.services.call(lambda booth: booth.reason_codes(kind, include_retired=True))
        self.app.call_from_thread(self._changed, kind, codes, done)

    def _changed(self, kind: str, codes: list[ReasonChoice], done: str) -> None:
        self._busy = False
        for row in self._rows().values():
            row.value = ""
            row.clear_error()
        self.query_one("#reasons-note", Checkbox).value = False
        self.post_message(self.Loaded(kind, codes, done))
        self.focus_now(self.query_one(DataTable))

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        rows = self._rows()
        if event.field in rows:
            rows[event.field].show_error(event.message)
            self.focus_now(rows[event.field].input)
        self._say(event.message, "error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._busy = False
        super().on_worker_state_changed(event)
