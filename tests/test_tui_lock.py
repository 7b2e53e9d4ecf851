"""The idle lock (Pilot on a real database, the app's clock moved on instead of waiting): it comes
after the configured minutes without a key, hides the screens' personal data and keeps what was
typed, opens for the same PIN or for another person (relief), holds notices and dialogs until it
opens, and leaves the background worker running; a snapshot of the lock screen at 80x24."""

from __future__ import annotations

from textual.widgets import Input

from kiosk.models import AuditLog, LifecycleRun, Staff
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.lock import LockScreen
from kiosk.tui.widgets.field_hint import FieldHint
from staff_support import TEST_PIN, person
from tui_helpers import header, screen_text, settle

PHONE = "07400 123456"


def entry_values(app) -> tuple[str, str, str]:
    screen = app.screen
    return tuple(screen.query_one(f"#entry-{f}", Input).value for f in ("plate", "name", "phone"))


async def typed_but_not_registered(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press(*"KX51ZZT", "tab", *"Priya Shah", "tab", *PHONE)


async def test_the_terminal_locks_after_the_idle_minutes_and_the_same_pin_opens_it_with_everything_kept(
        make_app, clock):
    app = make_app(role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await typed_but_not_registered(app, pilot)
        clock.advance(minutes=4, seconds=59)
        assert app.session.check_idle() is False and not isinstance(app.screen, LockScreen)
        await pilot.press("left")  # a key: the idle time starts again
        clock.advance(minutes=4, seconds=59)
        assert app.session.check_idle() is False
        clock.advance(seconds=1)
        assert app.session.check_idle() is True
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        shown = screen_text(app)
        # Nothing of the screen beneath: no plate, driver or phone, as typed or as understood.
        for secret in ("KX51ZZT", "KX51", "Priya", "Shah", "07400", "123456", "+44"):
            assert secret not in shown, secret
        assert "Locked" in shown and "Test Attendant" in shown
        await pilot.press("f1", "f3", "f9", "f10")  # no way round it
        assert isinstance(app.screen, LockScreen) and app.services.actor.name == "Test Attendant"
        assert [c.title for c in app.get_system_commands(app.screen)] == ["Quit"]
        await pilot.press(*"0000", "enter")  # a wrong PIN: said at the field, still locked
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        assert "wrong PIN for Test Attendant" in app.screen.query_one("#lock-pin-hint", FieldHint).text
        await pilot.press(*TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
        assert entry_values(app) == ("KX51ZZT", "Priya Shah", PHONE)
        assert app.focused is app.screen.query_one("#entry-phone", Input)  # where the typing was
        await pilot.press("enter")  # and it registers as it would have
        await settle(app, pilot)
        assert AuditLog.get(AuditLog.action == "entry").staff_id == app.services.actor.staff_id


async def test_the_lock_time_is_the_configured_one(booth, make_app, clock):
    booth.update_config(lock_minutes=2)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        clock.advance(minutes=1, seconds=59)
        assert app.session.check_idle() is False
        clock.advance(seconds=1)
        assert app.session.check_idle() is True
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        assert "after 2 minutes without a key" in screen_text(app)


async def test_a_lock_time_saved_in_configuration_counts_at_once(make_app, clock):
    app = make_app(mode="config")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        box = app.screen.query_one("#cfg-lock_minutes-input", Input)
        box.value = "1"
        box.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.services.lock_minutes == 1
        clock.advance(minutes=1)
        assert app.session.check_idle() is True
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)


async def test_relief_another_person_signs_in_over_the_lock_and_what_was_typed_stays(make_app, booth, clock):
    bob = person(booth, "Bob", "supervisor")
    app = make_app(role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await typed_but_not_registered(app, pilot)
        attendant = app.services.actor.staff_id
        clock.advance(minutes=5)
        app.session.check_idle()
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("shift+tab", "ctrl+u", *"bo", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
        assert app.services.actor.staff_id == bob.staff_id and "Bob (supervisor)" in header(app)
        assert entry_values(app) == ("KX51ZZT", "Priya Shah", PHONE)
        ins = [r.staff_id for r in AuditLog.select().where(AuditLog.action == "sign_in")]
        outs = [r.staff_id for r in AuditLog.select().where(AuditLog.action == "sign_out")]
        assert ins[-1] == bob.staff_id and outs == [attendant]  # Bob in, the attendant out
        await pilot.press("enter")
        await settle(app, pilot)
        assert AuditLog.get(AuditLog.action == "entry").staff_id == bob.staff_id  # the car is Bob's now


async def test_escape_on_the_lock_screen_brings_back_the_locked_persons_name(make_app, clock):
    app = make_app(role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        clock.advance(minutes=5)
        app.session.check_idle()
        await settle(app, pilot)
        await pilot.press("shift+tab", "ctrl+u", *"Someone", "escape")
        assert app.screen.query_one("#lock-name-input", Input).value == "Test Attendant"
        assert app.focused is app.screen.query_one("#lock-pin", Input)


async def test_notices_and_a_receipt_wait_beneath_the_lock_until_it_opens(make_app, booth, clock):
    stay = booth.register("AB12CDE", "Jane", PHONE, "car")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.notify("paid for AB12CDE")  # said before the lock: gone with it
        await pilot.pause()
        clock.advance(minutes=5)
        app.session.check_idle()
        await settle(app, pilot)
        assert not app._notifications
        app.notify("Jane's receipt was written")  # a worker finishing beneath the lock
        from kiosk.tui.screens.receipt import ReceiptScreen

        app.push_screen(ReceiptScreen("AB12CDE receipt", None, None))
        await pilot.pause()
        assert isinstance(app.screen, LockScreen) and not app._notifications
        assert "AB12CDE" not in screen_text(app) and "Jane" not in screen_text(app)
        await pilot.press(*TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert [n.message for n in app._notifications] == ["Jane's receipt was written"]
        assert stay.stay_id  # nothing was paid: the receipt here was only shown


async def test_the_background_worker_keeps_working_while_locked(make_app, booth, clock):
    booth.update_config(archive_days=1)
    clock.advance(days=3)
    app = make_app(role="attendant", lifecycle_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        clock.advance(minutes=5)
        app.session.check_idle()
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        assert app.lifecycle.run_now("timer")
        await settle(app, pilot, rounds=6)
        assert {r.kind for r in LifecycleRun.select()} == {"expire", "archive"}
        archived = AuditLog.select().where(AuditLog.action == "archive").get()
        assert archived.origin == "worker" and archived.staff_id is None
        assert isinstance(app.screen, LockScreen)


async def test_no_lock_before_anyone_signs_in_nor_on_top_of_a_lock(make_front_app, clock):
    app = make_front_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        clock.advance(hours=2)
        assert app.session.check_idle() is False  # the sign-in screen shows nothing to hide


async def test_a_disabled_locked_person_cannot_unlock_and_a_manager_takes_over(make_app, booth, clock):
    app = make_app(role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await typed_but_not_registered(app, pilot)
        clock.advance(minutes=5)
        app.session.check_idle()
        await settle(app, pilot)
        booth.disable_staff("Test Attendant")  # at another booth, meanwhile
        await pilot.press(*TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        assert "account is disabled" in app.screen.query_one("#lock-name-hint", FieldHint).text
        await pilot.press("ctrl+u", *"Test Man", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen) and "Test Manager (manager)" in header(app)
        assert Staff.get(Staff.display_name == "Test Attendant").disabled_at is not None


# ---- snapshot ---------------------------------------------------------------------------------

def test_snapshot_lock_80x24(snap_compare, make_app, clock):
    app = make_app(role="attendant")

    async def locked(pilot):
        await typed_but_not_registered(app, pilot)
        clock.advance(minutes=5)
        app.session.check_idle()
        await settle(app, pilot)
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.press(*"0000", "enter")  # a wrong PIN, said at the field
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=locked)
