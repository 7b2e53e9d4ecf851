"""Who is at the keyboard, as the terminal sees it: signing in and out, the idle lock, relief at
the window, and keys beyond the signed-in role.

The booth decides every permission (kiosk.booth.guard); here the terminal only asks first, so a
key beyond the role opens the supervisor-override dialog instead of failing, and the footer can
mark such keys before they are pressed.

- Nobody signed in (a terminal on a database): the app shows the sign-in mode, whose screen is
  the sign-in form, or on a site with no staff account the form creating the first manager.
  No other screen can be reached (KioskApp.switch_mode asks `may_leave_sign_in`).
- Signed in: after `lock_minutes` without a key (checked by a timer, `check_idle`, against the
  app's clock) the lock screen covers everything. What was typed stays in the screens beneath;
  the same person's PIN unlocks, or another person signs in over it (relief: the services then
  act for them). While locked, notices and screens that would open over the lock wait for it.
- Signed in at a booth with no shift of this terminal run open (none, or one left open by an
  earlier run): the Shift screen comes first (`check_shift`), to open one or close that one.
- Sign-out (F9) records it, returns the services to nobody and forgets every screen, so the
  next person starts on empty forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..booth import ROLE_PERMISSIONS, Actor, Permission, Role, role_needed

if TYPE_CHECKING:
    from ..booth import Booth
    from .app import KioskApp

SIGN_IN = "signin"  # the app mode of the sign-in (or first-manager) screen
SHIFT = "shift"  # the mode of the Shift screen (kiosk.tui.access.SCREENS)
IDLE_CHECK_S = 15.0  # how often the idle lock is checked: a lock comes at most this late


def staff_label(actor: Actor | None) -> str:
    """'Ann (attendant)' for the header; '' for nobody."""
    if actor is None or not actor.is_person:
        return ""
    return f"{actor.name} ({actor.role})" if actor.role is not None else actor.name


def approval_left(acting: Actor | None, permission: Permission, signed_in: Actor | None) -> bool:
    """Whether `acting` carries an unused approval whose approver's role allows `permission`, given
    to `signed_in` (after a relief at the lock screen an approval given to the one before is void)."""
    approval = acting.approval if acting is not None else None
    if approval is None or approval.used or signed_in is None or acting.staff_id != signed_in.staff_id:
        return False
    return permission in ROLE_PERMISSIONS[approval.approver_role]


class Session:
    """Owned by the app (`app.session`)."""

    def __init__(self, app: KioskApp, idle_check_seconds: float | None = IDLE_CHECK_S, *,
                 shift_first: bool = True) -> None:
        self.app = app
        self.shift_first = shift_first
        self.idle_check_seconds = idle_check_seconds  # None: no timer (tests call check_idle)
        self.locked = False
        self.last_input: dt.datetime = app.clock.now()
        self._held_notices: list[tuple[tuple, dict]] = []
        self._held_screens: list[tuple[tuple, dict]] = []
        self._handover: Actor | None = None

    @property
    def services(self):
        return self.app.services

    @property
    def required(self) -> bool:
        """A terminal on a database acts only for a person signed in; the bare shell needs nobody."""
        return self.services.connected

    @property
    def signed_in(self) -> bool:
        return self.services.signed_in

    @property
    def hides_screens(self) -> bool:
        """True while what the screens hold must not be seen: locked, or nobody signed in."""
        return self.locked or (self.required and not self.signed_in)

    def first_mode(self, wanted: str) -> str:
        """The mode the app opens on: `wanted`, once someone is signed in (Entry instead of a screen
        beyond their role: that one asks a supervisor when its key is pressed)."""
        if self.required and not self.signed_in:
            return SIGN_IN
        return self.app.open_to_role(wanted)

    def start(self) -> None:
        self._show_who()
        self.check_shift()
        if self.idle_check_seconds is not None:
            self.app.set_interval(self.idle_check_seconds, self.check_idle, name="idle lock")

    def saw_input(self) -> None:
        self.last_input = self.app.clock.now()

    # ---- the idle lock ---------------------------------------------------------------------
    @property
    def lock_minutes(self) -> int:
        return self.services.lock_minutes

    def check_idle(self) -> bool:
        """Lock when the signed-in person has pressed no key for `lock_minutes`; True if it locked."""
        if self.locked or not self.signed_in:
            return False
        if self.app.clock.now() - self.last_input < dt.timedelta(minutes=self.lock_minutes):
            return False
        self.lock()
        return True

    def lock(self) -> None:
        from .screens.lock import LockScreen

        if self.locked or not self.signed_in:
            return
        self.locked = True
        self.app.clear_notifications()  # a notice may name a driver or a plate
        self.app.push_screen(LockScreen(self.services.actor, self.lock_minutes), self._unlocked)

    def _unlocked(self, booth: Booth | None) -> None:
        if booth is None:  # the lock screen never closes without someone signed in
            return
        previous = self.services.booth
        self.locked = False
        relief = previous is not None and previous.actor is not None and previous.actor.staff_id != booth.actor.staff_id
        self.services.use(booth)
        if relief and previous is not None:
            self._record_sign_out(previous)
        self.saw_input()
        self._show_who()
        self.app.screen.refresh_bindings()  # keys beyond the new person's role are marked again
        if relief:
            self.app.notify(f"{staff_label(booth.actor)} took over this terminal; what was typed is kept.",
                            title="Signed in")
        self._release_held()

    def hold_screen(self, args: tuple, kwargs: dict) -> bool:
        """A screen pushed while locked (a worker finishing beneath) waits for the unlock. True if held."""
        if not self.locked:
            return False
        self._held_screens.append((args, kwargs))
        return True

    def hold_notice(self, args: tuple, kwargs: dict) -> bool:
        if not self.hides_screens or not self.signed_in:
            return False
        self._held_notices.append((args, kwargs))
        return True

    def _release_held(self) -> None:
        screens, self._held_screens = self._held_screens, []
        notices, self._held_notices = self._held_notices, []
        for args, kwargs in screens:
            self.app.push_screen(*args, **kwargs)
        for args, kwargs in notices:
            self.app.notify(*args, **kwargs)

    # ---- signing in and out ------------------------------------------------------------------
    def signed_in_as(self, booth: Booth, mode: str) -> None:
        """The sign-in (or first-manager) screen signed `booth`'s person in: open `mode`."""
        self.services.use(booth)
        self.services.first_start = False
        self.locked = False
        self.saw_input()
        self._show_who()
        self.app.switch_mode(self.app.open_to_role(mode))
        self.app.forget_screens(only=(SIGN_IN,))  # the next sign-in starts on an empty form
        self.check_shift()

    # ---- the shift at this booth -------------------------------------------------------------------
    def check_shift(self) -> None:
        """Someone signed in: with no shift of this terminal run open at this booth (none, or one
        left open by an earlier run), the Shift screen comes first, to open one or close that one."""
        if self.shift_first and self.signed_in and self.services.connected:
            self.app.run_worker(self._read_shift, thread=True, exit_on_error=False, group="shift-check",
                                description="reading the shift")

    def _read_shift(self) -> None:
        shift = self.services.call(lambda booth: booth.current_shift())
        if shift is None or shift.left_open:
            self.app.call_from_thread(self._to_shift)

    def _to_shift(self) -> None:
        from textual.screen import ModalScreen

        if self.signed_in and not self.hides_screens and not isinstance(self.app.screen, ModalScreen):
            self.app.switch_mode(SHIFT)

    def sign_out(self) -> None:
        """F9: record it, act for nobody, and forget every screen (the next person starts afresh)."""
        booth = self.services.booth
        if not self.signed_in or self.locked or booth is None:
            return
        self.services.use(None)
        self._record_sign_out(booth)
        self._held_screens.clear()
        self._held_notices.clear()
        self.app.clear_notifications()
        self._show_who()
        self.app.switch_mode(SIGN_IN)
        self.app.forget_screens()

    def leaving(self) -> None:
        """The terminal is quitting (F10, confirmed): record the sign-out of whoever is signed in, at
        once (a worker would not outlive the app). A failure is not worth keeping the terminal for."""
        from ..booth import BoothError

        booth = self.services.booth
        if self.signed_in and booth is not None:
            try:
                self.services.record_sign_out(booth)
            except BoothError as exc:
                self.app.log.error("sign-out not recorded", exc)

    def _record_sign_out(self, booth: Booth) -> None:
        self.app.run_worker(lambda: self.services.record_sign_out(booth), thread=True, exit_on_error=False,
                            group="sign-out", description="recording the sign-out")

    def _show_who(self) -> None:
        self.app.show_staff(staff_label(self.services.actor))

    # ---- keys beyond the role -------------------------------------------------------------------
    def needs(self, permission: Permission) -> Role | None:
        """The role `permission` needs when the signed-in one does not allow it; None when it does."""
        if not self.required or self.services.may(permission):
            return None
        return role_needed(permission)

    def gated(self, permission: Permission, then: Callable[[Actor | None], object], *,
              approval: Actor | None = None, what: str = "") -> None:
        """Run `then(acting)` now if the role allows `permission` (acting None), or with `approval`
        if it still holds an unused one for it, or once a supervisor approves it in the override
        dialog (acting: the signed-in person with that approval, for one booth call). Escape in
        the dialog runs nothing. `what`: the action as the dialog names it (default the permission's)."""
        if self.needs(permission) is None:
            then(None)
            return
        if approval_left(approval, permission, self.services.actor):
            then(approval)
            return
        from .screens.override import OverrideDialog

        def answered(acting: Actor | None) -> None:
            if acting is not None:
                then(acting)

        self.app.push_screen(OverrideDialog(permission, self.services.actor, what), answered)

    def hand_over(self, acting: Actor | None) -> None:
        """An approval obtained for opening a screen (F4), for that screen to take once."""
        self._handover = acting

    def take_handover(self) -> Actor | None:
        acting, self._handover = self._handover, None
        return acting
