"""The lock screen: after some minutes without a key it covers the whole terminal.

It shows nothing of the screens beneath (no plate, driver or phone: its background is opaque,
and notices wait until it is gone), keeps everything typed in them, and opens again for the
person signed in (their PIN) or for another person who signs in over it (relief at the
window: the terminal then acts for them, and what was typed stays). It dismisses with the
booth acting for whoever signed in; kiosk.tui.session does the rest.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static
from textual.worker import Worker, WorkerState

from ...booth import Actor, Secret
from ..widgets.booth_footer import BoothFooter
from ..widgets.booth_header import BoothHeader
from ..widgets.credentials import Credentials
from .sign_in import Refused, SignedIn, ask


class LockScreen(ModalScreen):
    """Dismisses with the Booth acting for whoever signed in (the same person, or a relief)."""

    SHOWN_OVER_LOCK = True
    BINDINGS = [
        Binding("enter", "unlock", "Unlock", priority=True, id="lock.unlock"),
        Binding("escape", "mine", "My name", id="lock.mine"),
    ]

    def __init__(self, actor: Actor | None, minutes: int) -> None:
        super().__init__()
        self.actor = actor
        self.minutes = minutes

    def compose(self) -> ComposeResult:
        yield BoothHeader("Locked", id="header")
        name = self.actor.name if self.actor is not None else ""
        with Vertical(id="lock-body", classes="signin-body"):
            yield Label("Locked", classes="signin-title")
            after = f"after {self.minutes} minute{'s' if self.minutes != 1 else ''} without a key"
            yield Static(f"This terminal locked {after}. What was being typed is kept.", classes="signin-note",
                         markup=False)
            yield Static(f"{name}: type your PIN to go on. Someone else: type your own name and PIN.",
                         classes="signin-note", markup=False)
            yield Credentials(name, id="lock")
            yield Static("[b]Enter[/b] next field / unlock   [b]Esc[/b] back to my name", classes="signin-keys")
        yield BoothFooter(compact=True)

    @property
    def form(self) -> Credentials:
        return self.query_one(Credentials)

    def on_mount(self) -> None:
        self.form.focus_pin()
        self._load_names()

    @work(thread=True, exit_on_error=False, group="lock", description="reading the staff names")
    def _load_names(self) -> None:
        names = self.app.services.call(lambda booth: booth.sign_in_names())
        self.app.call_from_thread(self.form.set_names, names)

    def action_unlock(self) -> None:
        self.form.enter()

    def action_mine(self) -> None:
        """Back to the locked person's name, the PIN next."""
        if self.actor is not None:
            self.form.picker.value = self.actor.name
        self.form.focus_pin()

    @on(Credentials.Submitted)
    def _submitted(self, event: Credentials.Submitted) -> None:
        event.stop()
        self._sign_in(event.name, event.pin)

    @work(thread=True, exit_on_error=False, group="lock", description="unlocking")
    def _sign_in(self, name: str, pin: Secret) -> None:
        ask(self, lambda: self.app.services.sign_in(name, pin), SignedIn)

    @on(SignedIn)
    def _signed_in(self, event: SignedIn) -> None:
        self.form.done()
        self.dismiss(event.booth)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self.form.refused(event.field, event.message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            if event.worker.description == "unlocking":  # said here: notices wait for the unlock
                self.form.refused(None, f"not unlocked: {event.worker.error or 'an unexpected error'}; try again")
            self.app.report_worker_error(event.worker)
