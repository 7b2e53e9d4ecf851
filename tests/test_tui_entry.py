"""Entry (F1) driven with Pilot on a real migrated database: what is written and what the screen says."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from kiosk.booth import Booth
from kiosk.models import AuditLog, Stay, Vehicle
from kiosk.tui.app import build_app
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.payment import PaymentScreen
from kiosk.tui.services import booth_services
from kiosk.tui.widgets.field_hint import FieldHint
from tui_helpers import settle
from staff_support import as_manager

PHONE = "07400 123456"
HOUR = 3600.0  # the spot feed never re-reads on its own during a test


class Keys:
    """Presses keys and counts the ones that are not the data itself."""

    def __init__(self, pilot):
        self.pilot = pilot
        self.extra = 0

    async def data(self, text: str):
        await self.pilot.press(*("space" if ch == " " else ch for ch in text))

    async def key(self, *keys: str):
        self.extra += len(keys)
        await self.pilot.press(*keys)


def hint(app, field: str) -> FieldHint:
    return app.screen.query_one(f"#entry-{field}-hint", FieldHint)


def hint_text(app, field: str) -> str:
    return hint(app, field).render().plain


def banner(app) -> str:
    return app.screen.query_one("#entry-result-text", Static).render().plain


def value(app, field: str) -> str:
    return app.screen.query_one(f"#entry-{field}", Input).value


def db_counts():
    return Vehicle.select().count(), Stay.select().count(), AuditLog.select().where(AuditLog.action == "entry").count()


async def test_register_a_car_in_three_keys_beyond_the_data(make_app, clock):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "30 of 30 car spots free" in hint_text(app, "type")
        assert "A01: first free car spot" in hint_text(app, "spot")
        keys = Keys(pilot)
        await keys.data("ab-12 cde")
        await settle(app, pilot)
        assert hint_text(app, "plate") == "→ AB12CDE"
        await keys.key("tab")
        await keys.data("Jane Doe")
        await keys.key("tab")
        await keys.data(PHONE)
        await settle(app, pilot)
        assert hint_text(app, "phone") == "→ 07400 123456"
        await keys.key("enter")
        await settle(app, pilot)

        assert keys.extra == 3  # Tab, Tab, Enter: type and spot need no key at all
        stay = Stay.get()
        assert (stay.vehicle.number_plate, stay.spot_number, stay.vehicle_type, stay.status) == ("AB12CDE", "A01", "car", "open")
        assert stay.vehicle.phone_number == "+447400123456"
        assert banner(app) == "AB12CDE  →  spot A01   (12:00)"
        assert app.screen.query_one("#entry-result").has_class("-shown")
        # the same Enter readied the form for the next car
        assert [value(app, f) for f in ("plate", "name", "phone", "spot")] == ["", "", "", ""]
        assert app.focused is app.screen.query_one("#entry-plate")
        assert "29 of 30 car spots free" in hint_text(app, "type")
        assert "A02: first free car spot" in hint_text(app, "spot")
        assert app.screen.query_one("#entry-type", Select).value == "car"


async def test_enter_moves_to_the_next_empty_field_then_registers(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        keys = Keys(pilot)
        await keys.data("XY34ZZZ")
        await keys.key("enter")
        await settle(app, pilot)
        assert app.focused is app.screen.query_one("#entry-name")
        assert hint(app, "name").kind == "needed" and Stay.select().count() == 0
        await keys.data("Jim")
        await keys.key("enter")
        await keys.data(PHONE)
        await keys.key("enter")
        await settle(app, pilot)
        assert keys.extra == 3
        assert Stay.get().spot_number == "A01"
        assert banner(app).startswith("XY34ZZZ  →  spot A01")


async def test_banner_stays_until_the_next_car_and_the_type_last_used_stays(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("tab", "tab", "tab", "v")  # to the type; 'v' picks van
        await settle(app, pilot)
        assert app.screen.query_one("#entry-type", Select).value == "van"
        assert "4 of 4 van spots free" in hint_text(app, "type")
        await pilot.press("shift+tab", "shift+tab", "shift+tab", *"VAN1", "tab", *"Al", "tab", *PHONE.replace(" ", ""), "enter")
        await settle(app, pilot)
        assert banner(app).startswith("VAN1  →  spot B01")
        await pilot.press(*"VAN2")
        await settle(app, pilot)
        assert banner(app).startswith("VAN1")  # still there while the next car is typed
        assert app.screen.query_one("#entry-type", Select).value == "van"

    # a fresh start defaults to the type of the last car registered
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one("#entry-type", Select).value == "van"


async def test_a_plate_on_site_is_said_at_once_with_its_spot_and_f3_takes_it_to_payment(make_app, booth, clock):
    booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(minutes=40)
    before = db_counts()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"ab12cde")
        await settle(app, pilot)
        text = hint_text(app, "plate")
        assert hint(app, "plate").kind == "error"
        assert "AB12CDE is already parked at A01 since 12:00 (0 h 40 min): F3 takes its payment" in text
        await pilot.press("tab", *"Someone", "tab", *PHONE, "enter")
        await settle(app, pilot)
        assert db_counts() == before  # nothing written
        assert app.focused is app.screen.query_one("#entry-plate")
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.query_one("#pay-plate", Input).value == "AB12CDE"
        assert "AB12CDE" in app.screen.query_one("#pay-stay", Static).render().plain
        assert "£2.50" in app.screen.query_one("#pay-breakdown", Static).render().plain


async def test_a_plate_registered_at_another_booth_meanwhile_is_refused_with_its_spot(make_app, booth):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"AB12CDE", "tab", *"Jane", "tab", *PHONE)
        await settle(app, pilot)
        booth.register("AB12CDE", "Other booth", PHONE, "car")  # after the screen checked the plate
        before = db_counts()
        await pilot.press("enter")
        await settle(app, pilot)
        assert db_counts() == before
        assert "already parked at A01" in hint_text(app, "plate") and "F3" in hint_text(app, "plate")
        assert value(app, "name") == "Jane"  # what was typed stays


async def test_invalid_plate_name_and_phone_are_shown_at_the_field_and_nothing_is_written(make_app):
    before = db_counts()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"AB!2")
        assert hint(app, "plate").kind == "error"  # as it is typed
        assert "'!' is not allowed in a plate: 2 to 10 letters A-Z and digits 0-9" in hint_text(app, "plate")
        await pilot.press("tab", *"123", "tab", *"07400 12")
        await settle(app, pilot)
        assert hint(app, "phone").kind == ""  # half a number is not an error while typing
        await pilot.press("tab")  # leaving the phone field: now it is
        assert hint(app, "phone").kind == "error"
        assert "not a valid phone number: a GB number such as" in hint_text(app, "phone")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "has no letter" in hint_text(app, "name")
        assert app.focused is app.screen.query_one("#entry-plate")  # the first field at fault
        assert db_counts() == before
        await pilot.press("shift+tab", "shift+tab", "shift+tab", *"0740O")  # a letter O in a phone
        assert "'O' is not allowed in a phone number" in hint_text(app, "phone")


async def test_a_spot_typed_by_the_attendant_is_used_or_refused_at_the_spot_field(make_app, booth):
    booth.register("XX11XXX", "Jo", PHONE, "car")  # takes A01
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"AB12CDE", "tab", *"Jane", "tab", *PHONE, "tab", "tab", *"a01", "enter")
        await settle(app, pilot)
        assert "spot A01 is occupied" in hint_text(app, "spot")
        assert app.focused is app.screen.query_one("#entry-spot")
        await pilot.press("backspace", "backspace", "backspace", *"A07", "enter")
        await settle(app, pilot)
        assert Stay.select().where(Stay.spot_number == "A07").count() == 1
        assert banner(app).startswith("AB12CDE  →  spot A07")


async def test_a_full_car_park_is_said_when_the_type_is_chosen_before_the_name(make_app, booth):
    for n in range(4):
        booth.register(f"VAN{n}", "Fleet", PHONE, "van")
    before = db_counts()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one("#entry-type", Select).value == "van"  # the last type used
        assert hint_text(app, "type") == "FULL: all 4 van spots are taken"
        assert hint(app, "type").kind == "error" and value(app, "name") == ""
        await pilot.press(*"NEWVAN", "tab", *"Al", "tab", *PHONE, "enter")
        await settle(app, pilot)
        assert db_counts() == before
        assert app.focused is app.screen.query_one("#entry-type")
        await pilot.press("c")  # a car still fits
        await settle(app, pilot)
        assert "30 of 30 car spots free" in hint_text(app, "type")
        await pilot.press("enter")
        await settle(app, pilot)
        assert banner(app).startswith("NEWVAN  →  spot A01")


async def test_a_lookalike_plate_is_warned_before_and_after_registering(make_app, booth):
    booth.register("AB12CD0", "Jane", PHONE, "car")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"AB12CDO")
        await settle(app, pilot)
        assert hint(app, "plate").kind == "warn"
        assert "AB12CD0 is parked: check O/0 and I/1" in hint_text(app, "plate")
        await pilot.press("tab", *"Jim", "tab", *PHONE, "enter")
        await settle(app, pilot)
        assert banner(app).startswith("AB12CDO  →  spot A02")
        note = app.screen.query_one("#entry-result-note", Static).render().plain
        assert "AB12CD0 is also parked: check the plate (O/0 and I/1 look alike)" in note


async def test_umlauts_are_taken_and_a_cyrillic_look_alike_is_refused_naming_its_script(make_app):
    # Ä Ö Ü were refused as they were typed; Cyrillic А must stay refused, and say why.
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"mü-ab 12")
        await settle(app, pilot)
        assert hint_text(app, "plate") == "→ MÜAB12" and hint(app, "plate").kind == "ok"
        await pilot.press(*("backspace" for _ in "mü-ab 12"), *"АB12")  # a Cyrillic А
        assert hint(app, "plate").kind == "error"
        assert "'А' is a Cyrillic letter (U+0410 CYRILLIC CAPITAL LETTER A), not a Latin one" in hint_text(app, "plate")
        await pilot.press(*("backspace" for _ in "АB12"), *"MÜ AB 12", "tab", *"Jane", "tab", *PHONE, "enter")
        await settle(app, pilot)
        assert banner(app).startswith("MÜAB12  →  spot A01")
        assert Vehicle.get().number_plate == "MÜAB12"


async def test_a_letter_read_as_another_is_shown_and_registered_only_on_a_second_enter(make_app):
    # 'ı' became 'I' without a word: the plate registered was not the one typed.
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"ıab 12")
        await settle(app, pilot)
        assert hint(app, "plate").kind == "warn"
        assert hint_text(app, "plate") == "→ IAB12 · read ı → I: check the plate"
        await pilot.press("tab", *"Jane", "tab", *PHONE, "enter")  # sent in one burst, as a paste would be
        await settle(app, pilot)
        assert db_counts() == (0, 0, 0)
        assert app.focused is app.screen.query_one("#entry-plate")
        assert hint_text(app, "plate") == "→ IAB12 · read ı → I: check the plate · Enter again registers IAB12"
        await pilot.press("enter")
        await settle(app, pilot)
        assert banner(app).startswith("IAB12  →  spot A01")
        assert "registered as IAB12: ı → I" in app.screen.query_one("#entry-result-note", Static).render().plain
        assert Vehicle.get().number_plate == "IAB12" and db_counts() == (1, 1, 1)


async def test_escape_clears_the_form_for_the_next_car(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"AB!", "tab", *"Jane", "escape")
        await settle(app, pilot)
        assert value(app, "plate") == "" and value(app, "name") == ""
        assert hint(app, "plate").kind == "" and app.focused is app.screen.query_one("#entry-plate")
        assert isinstance(app.screen, EntryScreen) and Stay.select().count() == 0


# ---- snapshots (plain def: snap_compare runs its own event loop) -----------------------------

def _snapshot_app(database, target, clock, tmp_path):
    booth = as_manager(Booth(database, clock))
    booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(minutes=32)
    services = booth_services(booth, receipts_dir=tmp_path / "receipts", refresh_seconds=HOUR)
    return build_app(target, database, "1.5.0", services=services, clock=clock, freeze_gc=False)


async def _registered_then_duplicate(pilot):
    app = pilot.app
    for input_ in app.screen.query(Input):
        input_.cursor_blink = False
    await settle(app, pilot)
    await pilot.press(*"XY34ZZZ", "tab", *"Jim Smith", "tab", *PHONE, "enter")
    await settle(app, pilot)
    await pilot.press(*"AB12 CDE", "tab", *"Jane", "tab", *"07400 1234")
    await settle(app, pilot)


def test_snapshot_entry_80x24(snap_compare, database, target, clock, tmp_path):
    app = _snapshot_app(database, target, clock, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_registered_then_duplicate)


def test_snapshot_entry_160x48(snap_compare, database, target, clock, tmp_path):
    app = _snapshot_app(database, target, clock, tmp_path)
    assert snap_compare(app, terminal_size=(160, 48), run_before=_registered_then_duplicate)


def burst(app, *keys: str) -> None:
    """Keys posted all at once, as a plate scanner, a paste or `tmux send-keys` deliver them: none
    waits for the one before it to be handled (pilot.press waits after each key)."""
    from textual import events

    for key in keys:
        app.post_message(events.Key(key, {"tab": "\t", "shift+tab": None, "space": " "}.get(key, key)))


async def test_keys_in_one_burst_land_in_the_fields_they_were_typed_for(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        typed = lambda text: ["space" if ch == " " else ch for ch in text]  # noqa: E731
        # Without a priority Tab, every character after the first Tab went into the plate field.
        burst(app, *typed("ab12 cde"), "tab", *typed("Jane Doe"), "tab", *typed(PHONE), "shift+tab")
        await settle(app, pilot)
        assert (value(app, "plate"), value(app, "name"), value(app, "phone")) == ("ab12 cde", "Jane Doe", PHONE)
        assert app.focused is app.screen.query_one("#entry-name")
        await pilot.press("enter")
        await settle(app, pilot)
        assert Stay.get().vehicle.number_plate == "AB12CDE"
