"""Staff accounts managed in the terminal by a manager (F4, then F6): add with role and PIN twice,
each field checked as typed; disable and enable; rename; a new PIN; a new role; the booth's
refusals (a name taken, the last manager) beside the field; snapshot at 80x24."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select

from kiosk.booth import Booth
from kiosk.models import AuditLog, Staff
from kiosk.tui.screens.configuration import ConfigurationScreen
from kiosk.tui.screens.staff import StaffScreen
from kiosk.tui.screens.staff_dialogs import PinDialog, RenameDialog, RoleDialog
from kiosk.tui.widgets.field_row import FieldRow
from staff_support import FAST_HASHER, TEST_MANAGER, TEST_PIN, person
from tui_helpers import screen_text, settle


async def open_staff(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("f6")
    await settle(app, pilot)
    assert isinstance(app.screen, StaffScreen)


def row(app, field: str) -> FieldRow:
    return app.screen.query_one(f"#staff-add-{field}", FieldRow)


def table_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#staff-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def choose(app, name: str) -> None:
    table = app.screen.query_one("#staff-table", DataTable)
    table.move_cursor(row=[r[0] for r in table_rows(app)].index(name))
    table.focus()


async def test_a_manager_adds_an_attendant_who_can_then_sign_in(make_app, database, clock):
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_staff(app, pilot)
        assert table_rows(app)[0][:3] == [TEST_MANAGER, "manager", "active"]
        await pilot.press("ctrl+n", *"Ann Smith", "enter")  # Enter on a valid name: on to the next empty field
        await settle(app, pilot)
        assert app.focused is row(app, "pin").input
        app.screen.query_one("#staff-add-role", Select).value = "supervisor"
        await pilot.press(*"1357", "tab", *"1357", "enter")
        await settle(app, pilot)
        ann = Staff.get(Staff.display_name == "Ann Smith")
        assert ann.role == "supervisor" and "1357" not in (ann.pin_hash or "")
        assert ["Ann Smith", "supervisor", "active"] == table_rows(app)[0][:3]
        assert "Ann Smith added as a supervisor" in screen_text(app)
        assert row(app, "name").value == "" and row(app, "pin").value == ""  # ready for the next one
        add = AuditLog.get(AuditLog.action == "staff_add")
        assert add.staff_id == app.services.actor.staff_id and "Ann" not in add.details
    front = Booth(database, clock, pin_hasher=FAST_HASHER)
    assert front.sign_in("ann smith", "1357").role == "supervisor"


async def test_the_add_form_says_what_is_wrong_as_typed_and_the_booth_refuses_a_taken_name(make_app):
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_staff(app, pilot)
        await pilot.press("ctrl+n", *"42")
        assert "is not a staff name" in row(app, "name").shown_text  # no letter: said as typed
        await pilot.press("backspace", "backspace", *"test manager", "tab", "tab", *"97")
        assert "the PIN has 2 digits" in row(app, "pin").shown_text and "97" not in row(app, "pin").shown_text
        await pilot.press("backspace", "backspace", *"1234", "tab", *"1235")
        assert "the two PINs differ" in row(app, "again").shown_text
        await pilot.press("backspace", "4", "enter")
        await settle(app, pilot)
        # Names are compared without case: the booth refuses it, beside the name.
        assert "already exists" in row(app, "name").shown_text and app.focused is row(app, "name").input
        assert Staff.select().count() == 1 and not AuditLog.select().where(AuditLog.action == "staff_add").exists()


async def test_disable_and_enable_rename_a_new_pin_and_a_new_role(make_app, booth, database, clock):
    bob = person(booth, "Bob", "attendant")
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_staff(app, pilot)
        choose(app, "Bob")
        await pilot.press("d")
        await settle(app, pilot)
        assert Staff.get_by_id(bob.staff_id).disabled_at is not None
        assert ["Bob", "attendant"] == table_rows(app)[0][:2] and table_rows(app)[0][2].startswith("disabled")
        await pilot.press("d")
        await settle(app, pilot)
        assert Staff.get_by_id(bob.staff_id).disabled_at is None and table_rows(app)[0][2] == "active"

        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, RenameDialog)
        await pilot.press("ctrl+u", *"Robert", "enter")
        await settle(app, pilot)
        assert Staff.get_by_id(bob.staff_id).display_name == "Robert"

        choose(app, "Robert")
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PinDialog)
        await pilot.press(*"8642", "enter", *"8642", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, StaffScreen)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, RoleDialog)
        await pilot.press("2")  # supervisor
        await settle(app, pilot)
        assert Staff.get_by_id(bob.staff_id).role == "supervisor"
        assert "Robert is now supervisor" in screen_text(app)
    assert Booth(database, clock, pin_hasher=FAST_HASHER).sign_in("Robert", "8642").staff_id == bob.staff_id
    actions = [r.action for r in AuditLog.select().order_by(AuditLog.id)]
    assert actions == ["staff_disable", "staff_enable", "staff_rename", "staff_pin_reset", "staff_role", "sign_in"]


async def test_the_last_manager_cannot_be_disabled_and_letters_in_a_field_stay_text(make_app):
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_staff(app, pilot)
        choose(app, TEST_MANAGER)
        await pilot.press("d")
        await settle(app, pilot)
        assert "last active manager" in app.screen.query_one("#staff-message").text
        assert Staff.get().disabled_at is None
        await pilot.press("ctrl+n", *"dropper")  # d, r, p, o in the name field are letters of the name
        await settle(app, pilot)
        assert row(app, "name").value == "dropper" and isinstance(app.screen, StaffScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfigurationScreen)


async def test_a_new_pin_typed_twice_must_match_and_is_never_shown(make_app, booth):
    bob = person(booth, "Bob", "attendant")
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_staff(app, pilot)
        choose(app, "Bob")
        await pilot.press("p")
        await settle(app, pilot)
        await pilot.press(*"8642", "enter", *"8643", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PinDialog) and "the two PINs differ" in screen_text(app)
        assert "8642" not in screen_text(app) and "8643" not in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.services.call(lambda b: b.sign_in("Bob", TEST_PIN)).staff_id == bob.staff_id  # the old PIN stands


def test_snapshot_staff_80x24(snap_compare, make_app, booth):
    person(booth, "Ann Smith", "attendant")
    person(booth, "Sue Parker", "supervisor")
    booth.disable_staff("Sue Parker")
    app = make_app(mode="config")

    async def typing(pilot):
        await open_staff(app, pilot)
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.press("ctrl+n", *"Bo", "tab", "tab", *"12")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=typing)
