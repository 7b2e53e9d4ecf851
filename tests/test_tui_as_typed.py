"""Errors appear as a value becomes wrong, before Enter: Entry's spot and phone, the rate dialog."""

from __future__ import annotations

from functools import partial

import pytest

from kiosk.models import ParkingRate, Stay
from kiosk.tui.screens.rate_dialog import RateDialog
from kiosk.tui.widgets.field_hint import FieldHint
from tui_helpers import settle

PHONE = "07400 123456"


@pytest.fixture
def make_app(make_app):
    """No debounce: a typed spot is looked up at once, still through its worker."""
    return partial(make_app, typing_delay=0)


def hint(app, field: str) -> FieldHint:
    return app.screen.query_one(f"#entry-{field}-hint", FieldHint)


async def type_into(app, pilot, field: str, text: str) -> None:
    app.screen.query_one(f"#entry-{field}").value = ""
    app.screen.query_one(f"#entry-{field}").focus()
    await pilot.pause()
    await pilot.press(*("space" if ch == " " else ch for ch in text))
    await settle(app, pilot)


@pytest.mark.parametrize(("typed", "said"), [
    ("a0!", "'a0!' is not a spot number"),
    ("z99", "there is no spot Z99"),
    ("b01", "spot B01 is for van, not car"),
    ("a01", "spot A01 is occupied"),
])
async def test_a_wrong_spot_is_said_as_it_is_typed(make_app, booth, typed, said):
    booth.register("XX11XXX", "Jo", PHONE, "car")  # takes A01
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await type_into(app, pilot, "spot", typed)
        assert hint(app, "spot").kind == "error" and said in hint(app, "spot").text
        assert Stay.select().count() == 1  # no Enter was pressed


async def test_half_a_spot_is_not_wrong_and_a_free_one_is_confirmed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await type_into(app, pilot, "spot", "a")
        assert hint(app, "spot").kind == ""
        await pilot.press("0", "7")
        await settle(app, pilot)
        assert hint(app, "spot").kind == "ok" and "A07" in hint(app, "spot").text
        await pilot.press("tab", "shift+tab", "shift+tab")  # to the type: a van makes A07 wrong
        app.screen.query_one("#entry-type").value = "van"
        await settle(app, pilot)
        assert hint(app, "spot").kind == "error" and "spot A07 is for car, not van" in hint(app, "spot").text


async def test_a_complete_but_invalid_phone_number_is_said_before_enter(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await type_into(app, pilot, "phone", "07400 12345")  # one digit short: still being typed
        assert hint(app, "phone").kind == ""
        await pilot.press("6", "7")  # one too many
        await settle(app, pilot)
        assert hint(app, "phone").kind == "error" and "is not a valid phone number" in hint(app, "phone").text
        await type_into(app, pilot, "phone", "09999 999999")  # as long as a GB number, and no such number
        assert hint(app, "phone").kind == "error"
        assert Stay.select().count() == 0


async def test_the_rate_dialog_checks_each_field_as_it_is_typed(make_app):
    app = make_app("config")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, RateDialog)
        await pilot.press(*"Bus!")
        assert "is not a vehicle type" in dialog.row("type").error
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press(*"bus", "tab", "0")
        assert dialog.row("type").error == "" and "hourly rate" in dialog.row("rate").error
        await pilot.press("backspace", *"2.50", "tab", "backspace", *"30")
        assert dialog.row("rate").error == "" and "minimum hours" in dialog.row("minimum_hours").error
        await pilot.press("tab", "backspace", *"75")
        assert "grace" in dialog.row("grace_minutes").error
        await pilot.press("tab", *"0.001")
        assert "0.01 to 100000.00" in dialog.row("daily_cap").error
        assert not ParkingRate.select().where(ParkingRate.vehicle_type == "bus").exists()
