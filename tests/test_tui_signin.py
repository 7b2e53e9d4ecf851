"""Signing in at the terminal (Pilot on a real database): the first start creates the first manager,
sign-in by type-ahead or from the list, wrong PINs and the lockout, a disabled account, sign-out,
hostile names and PINs; snapshots of the sign-in and first-start screens at 80x24."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from textual.widgets import Input, OptionList

from kiosk.models import AuditLog, Staff, Stay
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.sign_in import FirstManagerScreen, SignInScreen
from kiosk.tui.screens.spot_map import SpotMapScreen
from kiosk.tui.widgets.field_hint import FieldHint
from staff_support import TEST_PIN, staff_row
from tui_helpers import header, screen_text, settle

PHONE = "07400 123456"


def hint(app, selector: str) -> FieldHint:
    return app.screen.query_one(selector, FieldHint)


def field(app, selector: str) -> Input:
    return app.screen.query_one(selector, Input)


def audit(action: str) -> list[AuditLog]:
    return list(AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id))


# ---- the first start ------------------------------------------------------------------------

async def test_first_start_creates_the_manager_signs_them_in_and_lands_on_entry(make_front_app):
    app = make_front_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, FirstManagerScreen)
        assert "no staff account yet" in screen_text(app)
        # Name, PIN, the PIN again: one Enter between fields, in one burst of keys as a paste gives them.
        await pilot.press(*"Ann Smith", "enter", *"2468", "enter", *"2468", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
        ann = Staff.get()
        assert (ann.display_name, ann.role, ann.disabled_at) == ("Ann Smith", "manager", None)
        assert ann.pin_hash and "2468" not in ann.pin_hash
        row = audit("staff_add")[-1]
        assert (row.staff_id, json.loads(row.details)["first"]) == (ann.id, True)
        assert "Ann Smith (manager)" in header(app)
        assert app.services.actor.staff_id == ann.id
        await pilot.press(*"AB12CDE", "tab", *"Jane", "tab", *PHONE, "enter")  # and the booth works at once
        await settle(app, pilot)
        assert AuditLog.get(AuditLog.action == "entry").staff_id == ann.id


async def test_the_first_manager_form_says_what_is_wrong_as_typed_and_creates_nothing(make_front_app):
    app = make_front_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"Ann", "enter", *"2468", "enter", *"2469", "enter")  # the two PINs differ
        await settle(app, pilot)
        assert isinstance(app.screen, FirstManagerScreen)
        assert "the two PINs differ" in hint(app, "#first-again-hint").text
        assert app.focused is field(app, "#first-again") and Staff.select().count() == 0
        await pilot.press("backspace", "8", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen) and Staff.get().display_name == "Ann"


@pytest.mark.parametrize("name, said", [
    ("1234", "is not a staff name"),  # no letter
    ("~ann", "is not a staff name"),  # the mark of an account reduced to its id
    ("A" * 41, "too long"),
    ("Ann\u202eevil", "control characters"),  # a right-to-left override: not shown as typed elsewhere
    ("Ann\x1b[31m", "control characters"),  # a terminal escape
])
async def test_hostile_first_manager_names_are_refused_at_the_field(make_front_app, name, said):
    app = make_front_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        field(app, "#first-name").value = name  # as a paste would put it
        await pilot.press("enter", *"2468", "enter", *"2468", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FirstManagerScreen) and Staff.select().count() == 0
        name_hint = hint(app, "#first-name-hint")
        assert said in name_hint.text and name_hint.kind == "error"
        assert "\x1b" not in name_hint.text and "\u202e" not in name_hint.text  # never echoed as typed


@pytest.mark.parametrize("pin, said", [
    ("97", "the PIN has 2 digits"),
    ("975318642", "the PIN has 9 digits"),
    ("\u0669\u0667\u0665\u0663", "digits other than 0-9"),  # Arabic-Indic digits
    ("zq9x7", "the passphrase has 5 characters"),
])
async def test_hostile_pins_are_refused_without_being_shown(make_front_app, pin, said):
    app = make_front_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"Ann", "enter")
        field(app, "#first-pin").value = pin
        field(app, "#first-again").value = pin
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FirstManagerScreen) and Staff.select().count() == 0
        assert said in hint(app, "#first-pin-hint").text
        assert pin not in screen_text(app)  # the message says what is allowed, never the PIN


async def test_a_name_with_markup_is_a_name_and_is_shown_as_typed(make_front_app):
    app = make_front_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"[b]Jo[/b]", "enter", *"2468", "enter", *"2468", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
        assert Staff.get().display_name == "[b]Jo[/b]" and "[b]Jo[/b] (manager)" in header(app)


async def test_when_another_booth_made_the_first_manager_meanwhile_the_screen_turns_to_sign_in(make_front_app):
    app = make_front_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, FirstManagerScreen)
        staff_row("Bea", "manager")  # another booth's first start, a moment ago
        await pilot.press(*"Ann", "enter", *"2468", "enter", *"2468", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "already has staff accounts" in screen_text(app)
        assert [s.display_name for s in Staff.select()] == ["Bea"]
        await pilot.press(*"Bea", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen) and "Bea (manager)" in header(app)


# ---- signing in ---------------------------------------------------------------------------------

async def test_sign_in_by_type_ahead_then_pin_opens_the_first_screen_with_the_person_in_the_header(make_front_app):
    staff_row("Ann Smith", "attendant")
    staff_row("Andrew Jones", "supervisor")
    app = make_front_app(mode="map")  # the screen the terminal was started on comes after signing in
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        names = app.screen.query_one("#signin-name-list", OptionList)
        assert [str(o.prompt) for o in names.options] == ["Andrew Jones", "Ann Smith"]
        # F1-F5 do nothing, the footer offers none of them, and nothing else shows who is parked.
        await pilot.press("f1", "f3")
        assert isinstance(app.screen, SignInScreen)
        footer = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert not footer & {"f1", "f2", "f3", "f4", "f5", "f9"} and "f10" in footer
        await pilot.press(*"ann", "enter", *TEST_PIN, "enter")  # "ann" picks Ann Smith
        await settle(app, pilot)
        assert isinstance(app.screen, SpotMapScreen)
        assert "Ann Smith (attendant)" in header(app)
        ann = Staff.get(Staff.display_name == "Ann Smith")
        assert audit("sign_in")[-1].staff_id == ann.id and ann.last_sign_in_at is not None


async def test_a_name_can_be_picked_from_the_list_with_the_arrows(make_front_app):
    staff_row("Ann Smith", "attendant")
    staff_row("Bob Brown", "attendant")
    app = make_front_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "enter", *TEST_PIN, "enter")  # the second name in the list
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen) and "Bob Brown (attendant)" in header(app)


async def test_a_wrong_pin_is_said_at_the_field_and_five_lock_the_name_saying_for_how_long(make_front_app, clock):
    staff_row("Ann", "attendant")
    app = make_front_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"Ann", "enter", *"1111", "enter")
        await settle(app, pilot)
        pin_hint = hint(app, "#signin-pin-hint")
        assert pin_hint.kind == "error" and "wrong PIN for Ann: 4 tries left" in pin_hint.text
        assert field(app, "#signin-pin").value == "" and app.focused is field(app, "#signin-pin")
        for _ in range(4):
            await pilot.press(*"1111", "enter")
            await settle(app, pilot)
        assert "too many wrong PINs for Ann: try again in 30 seconds" in pin_hint.text
        assert "1111" not in screen_text(app)
        assert Staff.get().locked_until == clock.now().replace(microsecond=0) + dt.timedelta(seconds=30)
        await pilot.press(*TEST_PIN, "enter")  # the right PIN while locked: still locked
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen) and "try again in 30 seconds" in pin_hint.text
        assert len(audit("sign_in_locked")) == 1 and audit("sign_in") == []
        clock.advance(seconds=31)
        await pilot.press(*TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)


async def test_a_disabled_account_is_refused_at_the_name_and_an_unknown_name_said(make_front_app, booth):
    staff_row("Ann", "attendant")
    staff_row("Dee", "attendant")
    booth.disable_staff("Dee")
    app = make_front_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        names = [str(o.prompt) for o in app.screen.query_one("#signin-name-list", OptionList).options]
        assert "Dee" not in names and "Ann" in names  # only those who may sign in are listed
        await pilot.press(*"Dee", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        name_hint = hint(app, "#signin-name-hint")
        assert name_hint.kind == "error" and "Dee's account is disabled" in name_hint.text
        assert isinstance(app.screen, SignInScreen) and app.focused is field(app, "#signin-name-input")
        field(app, "#signin-name-input").value = ""
        await pilot.press(*"Zed", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert "there is no staff member named 'Zed'" in name_hint.text and isinstance(app.screen, SignInScreen)


async def test_sign_out_is_one_key_recorded_and_the_next_person_starts_on_empty_forms(make_front_app):
    ann = staff_row("Ann", "attendant")
    staff_row("Bob", "attendant")
    app = make_front_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"Ann", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        footer = {b.binding.key: b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        assert footer.get("f9") == "Sign out"
        await pilot.press(*"AB12CDE", "tab", *"Jane Doe")  # typed, not registered
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen) and app.services.actor is None
        assert "Ann" not in header(app) and "Jane" not in screen_text(app)
        assert audit("sign_out")[-1].staff_id == ann
        await pilot.press(*"Bob", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen) and "Bob (attendant)" in header(app)
        assert app.screen.query_one("#entry-plate", Input).value == ""  # Ann's typing is gone
        assert app.screen.query_one("#entry-name", Input).value == ""
        assert Stay.select().count() == 0


async def test_the_palette_offers_no_screen_before_sign_in(make_front_app):
    staff_row("Ann", "attendant")
    app = make_front_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles == ["Quit"]
        app.switch_mode("payment")  # whatever asks: no screen opens before sign-in
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)


async def test_keystrokes_once_signed_in_as_an_attendant_stay_three_to_register(make_app):
    app = make_app(role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "Test Attendant (attendant)" in header(app)
        await pilot.press(*"AB12CDE", "tab", *"Jane Doe", "tab", *PHONE, "enter")  # Tab, Tab, Enter
        await settle(app, pilot)
        stay = Stay.get()
        assert stay.vehicle.number_plate == "AB12CDE"
        assert AuditLog.get(AuditLog.action == "entry").staff_id == app.services.actor.staff_id


# ---- snapshots (plain def: snap_compare runs its own event loop) --------------------------------

def _no_blink(app) -> None:
    for box in app.screen.query(Input):
        box.cursor_blink = False


def test_snapshot_sign_in_80x24(snap_compare, make_front_app):
    staff_row("Ann Smith", "attendant")
    staff_row("Andrew Jones", "supervisor")
    staff_row("Bob Brown", "manager")

    async def wrong_pin(pilot):
        app = pilot.app
        await settle(app, pilot)
        _no_blink(app)
        await pilot.press(*"an", "enter", *"1111", "enter")
        await settle(app, pilot)

    assert snap_compare(make_front_app(), terminal_size=(80, 24), run_before=wrong_pin)


def test_snapshot_first_start_80x24(snap_compare, make_front_app):
    async def typing(pilot):
        app = pilot.app
        await settle(app, pilot)
        _no_blink(app)
        await pilot.press(*"Ann Smith", "enter", *"24", "enter")
        await settle(app, pilot)

    assert snap_compare(make_front_app(), terminal_size=(80, 24), run_before=typing)


async def test_quitting_records_the_sign_out_of_whoever_was_signed_in(make_app):
    from kiosk.tui.screens.quit import ConfirmQuit

    app = make_app(role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        me = app.services.actor.staff_id
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("y")
        await pilot.pause()
    assert [r.staff_id for r in audit("sign_out")] == [me]
