"""Supervisor override: an action beyond the signed-in role, approved at that moment by a
supervisor or manager typing their own name and PIN.

The dialog asks the booth for the approval (`Booth.approve`, which checks the PIN with the same
lockout as a sign-in and that the approver's role allows the action), and dismisses with the
signed-in person carrying it. The action then runs once with it: the booth uses the approval up
on that one call and its audit row records both people. Escape cancels; nothing is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, Static
from textual.worker import Worker, WorkerState

from ...booth import Actor, Permission, Secret, role_needed
from ...booth.actors import PERMISSION_TEXT
from ..widgets.credentials import Credentials
from .sign_in import Refused, ask


def needs_text(permission: Permission, what: str = "") -> str:
    """'A refund needs a supervisor' (or a manager)."""
    text = what or PERMISSION_TEXT[permission]
    return f"{text[:1].upper()}{text[1:]} needs {role_needed(permission).label}"


@dataclass
class Approved(Message):
    acting: Actor


class OverrideDialog(ModalScreen[Actor | None]):
    """Dismisses with the signed-in Actor carrying a one-time approval, or None (Escape)."""

    BINDINGS = [
        Binding("enter", "approve", "Approve", priority=True, id="override.approve"),
        Binding("escape", "dismiss(None)", "Cancel", id="override.cancel"),
    ]

    def __init__(self, permission: Permission, actor: Actor | None, what: str = "") -> None:
        super().__init__()
        self.permission = permission
        self.actor = actor
        self.what = what

    def compose(self) -> ComposeResult:
        needed = role_needed(self.permission)
        who = f"{self.actor.name} is {self.actor.role.label}" if self.actor and self.actor.role else "You"
        approver = "a supervisor or a manager" if needed.value == "supervisor" else "a manager"
        with Vertical(id="override-dialog", classes="dialog"):
            yield Label(needs_text(self.permission, self.what), classes="dialog-title", markup=False)
            yield Static(f"{who}. {approver[:1].upper()}{approver[1:]} types their own name and PIN to approve "
                         "it once; the record names you both.", classes="override-why", markup=False)
            yield Credentials(id="override", pin_hint="their PIN; Enter approves")
            yield Static("[b]Enter[/b] next field / approve   [b]Esc[/b] cancel: nothing is done", classes="dialog-keys")

    @property
    def form(self) -> Credentials:
        return self.query_one(Credentials)

    def on_mount(self) -> None:
        self.form.focus_name()
        self._load_names()

    @work(thread=True, exit_on_error=False, group="override", description="reading the staff names")
    def _load_names(self) -> None:
        names = self.app.services.call(lambda booth: booth.sign_in_names())
        me = self.actor.name if self.actor is not None else None
        self.app.call_from_thread(self.form.set_names, [n for n in names if n != me])

    def action_approve(self) -> None:
        self.form.enter()

    @on(Credentials.Submitted)
    def _submitted(self, event: Credentials.Submitted) -> None:
        event.stop()
        self._approve(event.name, event.pin)

    @work(thread=True, exit_on_error=False, group="override", description="checking the approval")
    def _approve(self, name: str, pin: Secret) -> None:
        ask(self, lambda: self.app.services.approve(name, pin, self.permission), Approved)

    @on(Approved)
    def _approved(self, event: Approved) -> None:
        self.form.done()
        self.dismiss(event.acting)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self.form.refused(event.field, event.message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            if event.worker.description == "checking the approval":
                self.form.refused(None, "not approved: see the error notice")
            self.app.report_worker_error(event.worker)
