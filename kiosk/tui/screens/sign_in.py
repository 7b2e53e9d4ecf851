"""The first screen of a terminal on a database: sign in with a name and PIN, or, on a site with
no staff account yet, create the first manager (who is then signed in).

Both are the sign-in mode's screen (kiosk.tui.session): no other screen can be reached from
them, and the function keys to the others are not shown. The booth checks the PIN, counts wrong
ones and locks a name after five (BoothError LOCKED_OUT carries the seconds); this screen says
what it answered beside the field at fault.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from ...booth import PIN_RULE, Booth, BoothError, Secret, check_new_pin, clean_staff_name
from ..widgets.credentials import Credentials
from ..widgets.field_hint import FieldHint
from ..widgets.kiosk_input import KioskInput
from .base import KioskScreen

SIGN_IN_GROUP = "sign-in"
NAME_RULE = "1-40 characters with a letter; unique"
T = TypeVar("T")


@dataclass
class SignedIn(Message):
    booth: Booth


@dataclass
class Refused(Message):
    field: str | None
    message: str
    code: str = ""


def ask(screen: Screen, call: Callable[[], T], done: Callable[[T], Message]) -> None:
    """In a worker thread: the booth's answer posted as `done(answer)`, or its refusal as `Refused`
    (shown beside the field it names)."""
    try:
        answer = call()
    except BoothError as exc:
        screen.post_message(Refused(exc.field, exc.message, str(exc.code)))
        return
    screen.post_message(done(answer))


class SignInScreen(KioskScreen):
    """Name (type-ahead, or picked from the list), PIN, Enter."""

    TITLE = "Sign in"
    # Priority: focus moves as Enter is read, so the PIN typed right after it lands in its field.
    BINDINGS = [Binding("enter", "sign_in", "Sign in", priority=True, id="signin.go")]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="signin-body", classes="signin-body"):
            yield Label("Sign in with your name and PIN", classes="signin-title")
            yield Credentials(id="signin")
            yield Static("", id="signin-message", classes="signin-message", markup=False)
            yield Static("[b]Enter[/b] next field / sign in   [b]↑↓[/b] pick a name   [b]F10[/b] quit",
                         classes="signin-keys")

    @property
    def form(self) -> Credentials:
        return self.query_one(Credentials)

    def on_mount(self) -> None:
        self.form.focus_name()
        if self.app.services.connected:
            self._load_names()

    def say(self, text: str) -> None:
        """A line under the form (e.g. why this screen replaced the first-manager one)."""
        self.query_one("#signin-message", Static).update(text)

    @work(thread=True, exit_on_error=False, group=SIGN_IN_GROUP, description="reading the staff names")
    def _load_names(self) -> None:
        names = self.app.services.call(lambda booth: booth.sign_in_names())
        self.app.call_from_thread(self.form.set_names, names)

    def action_sign_in(self) -> None:
        self.form.enter()

    @on(Credentials.Submitted)
    def _submitted(self, event: Credentials.Submitted) -> None:
        event.stop()
        self._sign_in(event.name, event.pin)

    @work(thread=True, exit_on_error=False, group=SIGN_IN_GROUP, description="signing in")
    def _sign_in(self, name: str, pin: Secret) -> None:
        ask(self, lambda: self.app.services.sign_in(name, pin), SignedIn)

    @on(SignedIn)
    def _signed_in(self, event: SignedIn) -> None:
        self.form.done()
        self.app.session.signed_in_as(event.booth, self.app.after_sign_in)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self.form.refused(event.field, event.message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.description == "signing in":
            self.form.refused(None, "not signed in: see the error notice")
        super().on_worker_state_changed(event)


# ---- the first start ------------------------------------------------------------------------
FIRST_FIELDS = (
    # id, label, what is allowed
    ("name", "Name", NAME_RULE),
    ("pin", "PIN", PIN_RULE),
    ("again", "PIN again", "the same PIN once more"),
)


def _same(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


class FirstManagerScreen(KioskScreen):
    """No staff account yet: the first manager's name and PIN (twice). Each field is checked as it
    is typed, by the booth's own rules; Enter moves to the next field to fill, then creates the
    account and signs it in."""

    TITLE = "First start"
    BINDINGS = [Binding("enter", "create", "Next / create", priority=True, id="first.go")]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._busy = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="first-body", classes="signin-body"):
            yield Label("This site has no staff account yet: create the first manager", classes="signin-title")
            yield Static("The manager can then add attendants and supervisors (F4 Configuration, F6 Staff).",
                         classes="signin-note")
            for field, label, hint in FIRST_FIELDS:
                with Horizontal(classes="first-row"):
                    yield Label(label, classes="field-label")
                    box = KioskInput(id=f"first-{field}", password=field != "name", max_length=160 if field == "name" else 128,
                                     select_on_focus=False)
                    box.cursor_blink = False
                    yield box
                    yield FieldHint(hint, id=f"first-{field}-hint")
            yield Static("[b]Enter[/b] next field / create and sign in   [b]F10[/b] quit", classes="signin-keys")

    def on_mount(self) -> None:
        self.set_focus(self.field("name"))

    def field(self, name: str) -> Input:
        return self.query_one(f"#first-{name}", Input)

    def hint(self, name: str) -> FieldHint:
        return self.query_one(f"#first-{name}-hint", FieldHint)

    def problem(self, name: str) -> str:
        """What is wrong with a field now ('' when nothing); an empty field is not wrong yet."""
        value = self.field(name).value
        if not value:
            return ""
        try:
            if name == "name":
                clean_staff_name(value)
            elif name == "pin":
                check_new_pin(value)  # its messages never repeat the PIN
            elif not _same(value, self.field("pin").value):
                return "the two PINs differ: type the same PIN again"
        except BoothError as exc:
            return exc.message
        return ""

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("first-")
        for checked in (name, "again") if name == "pin" else (name,):
            wrong = self.problem(checked)
            if wrong:
                self.hint(checked).say(wrong, "error")
            elif self.field(checked).value:
                self.hint(checked).say("✓", "ok")
            else:
                self.hint(checked).reset()

    def action_create(self) -> None:
        """Enter: to the next field at once (what is typed next belongs there); in the last one,
        once it has taken the keys typed before the Enter, check all three and create."""
        order = [self.field(name) for name, _, _ in FIRST_FIELDS]
        focused = self.focused
        if focused in order[:-1]:
            self.set_focus(order[order.index(focused) + 1])
            return
        (focused or self).call_later(self._create_if_ready)

    def _create_if_ready(self) -> None:
        if self._busy:
            return
        for name, label, _ in FIRST_FIELDS:
            wrong = self.problem(name)
            if wrong or not self.field(name).value:
                self.hint(name).say(wrong or f"type the {label.lower()}", "error" if wrong else "needed")
                self.set_focus(self.field(name))
                return
        self._busy = True
        self.hint("again").say("creating the account…")
        self._create(self.field("name").value, Secret(self.field("pin").value))

    @work(thread=True, exit_on_error=False, group=SIGN_IN_GROUP, description="creating the first manager")
    def _create(self, name: str, pin: Secret) -> None:
        ask(self, lambda: self.app.services.create_first_manager(name, pin), SignedIn)

    @on(SignedIn)
    def _signed_in(self, event: SignedIn) -> None:
        self._busy = False
        self.app.session.signed_in_as(event.booth, self.app.after_sign_in)

    @on(Refused)
    def _refused(self, event: Refused) -> None:
        self._busy = False
        if event.field in ("name", "pin"):
            self.hint(event.field).say(event.message, "error")
            self.hint("again").reset()
            self.set_focus(self.field(event.field))
            return
        # Another booth created the first account meanwhile: sign in instead (over this screen; both
        # go once someone has signed in).
        self.app.services.first_start = False
        screen = SignInScreen()
        self.app.push_screen(screen)
        screen.call_after_refresh(screen.say, event.message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._busy = False
            self.hint("again").say("not created: see the error notice", "error")
        super().on_worker_state_changed(event)
