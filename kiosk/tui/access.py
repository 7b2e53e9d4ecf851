"""The terminal's screens and who may see them: the modes and their keys, and the app's side of
signing in (kiosk.tui.session holds who is signed in, the lock and the approvals).

`ScreenAccess` is mixed into KioskApp before Textual's App. It makes every way to another screen
(a function key, the palette, a screen's own hand-over) go through one check: nothing but the
sign-in screen while nobody is signed in or the terminal is locked, and a screen beyond the
signed-in role asks a supervisor first. Notices and dialogs opened beneath the lock wait for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from importlib import import_module

from textual.screen import ModalScreen, Screen
from textual.widget import AwaitMount

from ..booth import Permission
from .session import SIGN_IN

# mode name -> (function key, title); the order is the order of the keys.
SCREENS = {
    "entry": ("f1", "Entry"),
    "map": ("f2", "Map"),
    "payment": ("f3", "Pay"),
    "config": ("f4", "Config"),
    "activity": ("f5", "Activity"),
    "shift": ("f7", "Shift"),
}

# mode -> (module under kiosk.tui.screens, screen class): imported when the mode is first shown
SCREEN_CLASSES = {
    "entry": ("entry", "EntryScreen"),
    "map": ("spot_map", "SpotMapScreen"),
    "payment": ("payment", "PaymentScreen"),
    "config": ("configuration", "ConfigurationScreen"),
    "activity": ("activity", "ActivityScreen"),
    "shift": ("shift", "ShiftScreen"),
}

# What a screen key needs beyond the attendant's role (the booth checks it again on every call).
MODE_PERMISSIONS = {"config": Permission.CONFIGURE}
# Keys that act on the signed-in person or leave the screen: not while locked, nor under a dialog.
LEAVING = ("switch_mode", "request_quit", "sign_out")


def screen_class(mode: str) -> type[Screen]:
    module, name = SCREEN_CLASSES[mode]
    return getattr(import_module(f"{__package__}.screens.{module}"), name)


def lazy(mode: str) -> Callable[[], Screen]:
    def make() -> Screen:
        return screen_class(mode)()

    make.__qualname__ = make.__name__ = SCREEN_CLASSES[mode][1]
    return make


class ScreenAccess:
    """KioskApp's screen checks; it has `session`, `services` and `header_info` (kiosk.tui.app)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Under a dialog (the lock screen is one), function keys must not switch screens beneath it.
        if action in LEAVING and isinstance(self.screen, ModalScreen):
            return False
        if action == "command_palette" and self.session.hides_screens:
            return False  # its commands open screens
        if action == "switch_mode" and self.session.required and not self.session.signed_in:
            return False
        if action == "sign_out" and not self.session.signed_in:
            return False
        if action == "switch_mode" and parameters and parameters[0] == self.current_mode:
            return False  # the key to the screen already shown: its room in the footer goes to others
        return True

    def _sign_in_screen(self) -> Screen:
        from .screens.sign_in import FirstManagerScreen, SignInScreen

        return FirstManagerScreen() if self.services.first_start else SignInScreen()

    def open_to_role(self, mode: str) -> str:
        """`mode`, or Entry when it is beyond the signed-in role (the terminal's first screen)."""
        permission = MODE_PERMISSIONS.get(mode)
        return "entry" if permission is not None and self.session.needs(permission) is not None else mode

    async def action_switch_mode(self, mode: str) -> None:
        self.go(mode)

    def go(self, mode: str) -> None:
        """A screen key (or its palette command): a screen beyond the role asks a supervisor first."""
        permission = MODE_PERMISSIONS.get(mode)
        if permission is None or mode == self.current_mode:
            self.switch_mode(mode)
            return

        def open_it(acting) -> None:
            self.session.hand_over(acting)  # the screen's first change may use this approval
            self.switch_mode(mode)

        self.session.gated(permission, open_it, what=f"opening the {SCREENS[mode][1]} screen")

    def switch_mode(self, mode: str) -> AwaitMount:
        # The one way to another screen: never from behind the lock screen or the sign-in screen.
        if mode != SIGN_IN and self.session.hides_screens:
            return AwaitMount(self.screen, [])
        return super().switch_mode(mode)  # type: ignore[misc]

    def push_screen(self, *args, **kwargs):
        # A dialog a worker opens beneath the lock screen (a receipt) waits for the unlock.
        screen = args[0] if args else kwargs.get("screen")
        if not getattr(screen, "SHOWN_OVER_LOCK", False) and self.session.hold_screen(args, kwargs):
            return AwaitMount(self.screen, [])
        return super().push_screen(*args, **kwargs)  # type: ignore[misc]

    def notify(self, *args, **kwargs) -> None:
        # Notices say what happened on the screens: hidden with them while locked, shown after.
        if not self.session.hold_notice(args, kwargs):
            super().notify(*args, **kwargs)  # type: ignore[misc]

    def forget_screens(self, only: Iterable[str] | None = None) -> None:
        """Throw away every screen (or those of the modes `only`) but the one shown: each is built
        afresh, with empty forms, when next shown."""
        for mode in only if only is not None else [*SCREEN_CLASSES, SIGN_IN]:
            if mode == self.current_mode:
                continue
            self.remove_mode(mode)
            self.add_mode(mode, self._sign_in_screen if mode == SIGN_IN else lazy(mode))

    def key_needs(self, screen: Screen, action: str) -> str:
        """'a supervisor' (or 'a manager') when a key's action is beyond the signed-in role, for the
        footer to mark it; '' when the role allows it."""
        permission = getattr(screen, "GATED", {}).get(action)
        if permission is None and action.startswith("switch_mode('"):
            permission = MODE_PERMISSIONS.get(action[len("switch_mode('"):-2])
        role = self.session.needs(permission) if permission is not None else None
        return role.label if role is not None else ""

    def action_sign_out(self) -> None:
        self.session.sign_out()

    def show_staff(self, text: str) -> None:
        self.header_info = replace(self.header_info, staff=text)
