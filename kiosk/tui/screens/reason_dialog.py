"""What the dialogs that need a reason code share (refund, departed, void, fee override, lost ticket).

The codes are the site's own list (`Booth.reason_codes(kind)`: the shipped defaults as a
manager has edited them in Configuration), read in a worker when the dialog opens. A number key
picks one (as Enter on it does). A code whose note is allowed moves on to the note (free text
kept with the stay, removed with its personal data); for any other code the note is closed and
Enter on the code confirms, so a reason with no note is still two keys (its number, Enter).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ..widgets.field_hint import FieldHint

NOTE_PLACEHOLDER = "optional note, expires with stay"  # fits the dialog at 80 columns
NO_NOTE = "no note with this reason"


def code_of(reason) -> str:
    """A ReasonChoice's code (or a shipped enum member's value)."""
    return str(getattr(reason, "code", reason))


def note_allowed(reason) -> bool:
    return bool(getattr(reason, "note_allowed", True))


class ReasonList(OptionList):
    """The reason codes as numbered options: a number key picks one of the first nine (as Enter on it does)."""

    def __init__(self, reasons=(), **kwargs) -> None:
        super().__init__(**kwargs)
        self.reasons: list = []
        self.set_reasons(reasons)

    def set_reasons(self, reasons) -> None:
        self.reasons = list(reasons)
        self.set_options(Option(f"{i if i < 10 else ' '} {r.label}", id=code_of(r))
                         for i, r in enumerate(self.reasons, 1))
        self.highlighted = 0 if self.reasons else None

    def reason(self, code: str):
        return next((r for r in self.reasons if code_of(r) == code), None)

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= min(9, len(self.reasons)):
            event.stop()
            event.prevent_default()
            self.highlighted = int(event.character) - 1
            self.action_select()


class ReasonDialog(ModalScreen):
    """Shared: the reason list (read for KIND), an optional note, a message line, worker failures
    reported inside the dialog. Subclasses compose a `ReasonList.dialog-reasons`, an
    `Input.dialog-note` and a `FieldHint.dialog-message`, and implement `confirm(reason, note)`."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    KIND = "refund"
    _reason: str | None = None
    _busy = False

    @dataclass
    class Refused(Message):
        field: str | None
        message: str

    @dataclass
    class ReasonsRead(Message):
        reasons: list

    def reasons(self) -> ReasonList:
        return self.query_one(".dialog-reasons", ReasonList)

    def read_reasons(self) -> None:
        self._read_reasons(self.KIND)

    @work(thread=True, exit_on_error=False, group="reasons", description="reading the reason codes")
    def _read_reasons(self, kind: str) -> None:
        self.post_message(self.ReasonsRead(self.app.services.call(lambda b: b.reason_codes(kind))))

    @on(ReasonsRead)
    def _reasons_read(self, event: ReasonsRead) -> None:
        self.reasons().set_reasons(event.reasons)
        self.reasons_shown()

    def reasons_shown(self) -> None:
        """After the list arrived (a subclass may say what to do next)."""

    def count_text(self) -> str:
        n = min(9, len(self.reasons().reasons))
        return f"1-{n}, or ↑↓ and Enter" if n else "↑↓ and Enter"

    def _say(self, text: str, kind: str = "") -> None:
        self.query_one(".dialog-message", FieldHint).say(text, kind)

    def _note(self) -> Input:
        return self.query_one(".dialog-note", Input)

    def note_text(self) -> str:
        note = self._note()
        return "" if note.disabled else note.value

    @on(OptionList.OptionSelected, ".dialog-reasons")
    def _reason_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        reason = self.reasons().reason(event.option.id or "")
        if reason is None:
            return
        again = self._reason == code_of(reason)
        self._reason = code_of(reason)
        note = self._note()
        note.disabled = not note_allowed(reason)
        note.placeholder = NOTE_PLACEHOLDER if note_allowed(reason) else NO_NOTE
        if note.disabled:
            note.value = ""
            if again:  # Enter on the code already chosen: no note to type, so it confirms
                self._confirm()
                return
            self._say(f"reason: {reason.label}. Enter confirms")
            return
        self._say(f"reason: {reason.label}. Type a note if needed; Enter confirms")
        note.focus()

    @on(Input.Submitted, ".dialog-note")
    def _note_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    def _confirm(self) -> None:
        if self._busy or self.not_ready():
            return
        if self._reason is None:
            self._say(f"choose the reason first ({self.count_text()})", "error")
            self.reasons().focus()
            return
        self.confirm(self._reason, self.note_text())

    def not_ready(self) -> bool:
        """True (after saying what is missing) when something must be chosen before the reason."""
        return False

    def confirm(self, reason: str, note: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        self._say(event.message, "error")
        if event.field == "reason":
            self.reasons().focus()
        elif event.field == "note" and not self._note().disabled:
            self._note().focus()
        self.refused(event.field)

    def refused(self, field: str | None) -> None:
        """A subclass puts focus on its own field at fault."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # unexpected: the app's one handler, and the dialog stays usable
            self._busy = False
            self._say("not done: see the error notice", "error")
            self.app.report_worker_error(event.worker)
