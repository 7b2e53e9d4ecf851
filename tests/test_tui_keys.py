"""Keys typed in one burst with a screen key (F1-F5, F8, a dialog's key) land in the new screen."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kiosk.models import Stay
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.payment import PaymentScreen
from kiosk.tui.screens.spot_map import SpotMapScreen
from kiosk.tui.widgets.spot_map import SpotMap
from tui_helpers import burst, settle

PHONE = "07400 123456"


def field(app, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


async def test_f3_then_a_plate_in_one_burst_types_into_payment(make_app, booth):
    booth.register("CD3456", "Jane", PHONE, "car")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "f3", "c", "d", "3")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert field(app, "#pay-plate") == "cd3"
        assert app.get_screen_stack("entry")[0].query_one("#entry-plate", Input).value == ""
        assert "CD3456" in str(app.screen.query_one("#pay-matches").get_option_at_index(0).prompt)


async def test_f1_from_payment_and_back_keeps_each_burst_in_its_screen(make_app):
    app = make_app("payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "f1", "x", "y", "1", "f3", "a", "b")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert field(app, "#pay-plate") == "ab"
        assert app.get_screen_stack("entry")[0].query_one("#entry-plate", Input).value == "xy1"


async def test_pilot_press_f3_then_characters_in_one_call(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3", "c", "d", "3")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen) and field(app, "#pay-plate") == "cd3"


async def test_f2_then_a_spot_number_in_one_burst_jumps_on_the_map(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "f2", "a", "1", "2")
        await settle(app, pilot)
        assert isinstance(app.screen, SpotMapScreen)
        assert app.screen.query_one(SpotMap).highlighted.spot_number == "A12"
        assert app.get_screen_stack("entry")[0].query_one("#entry-plate", Input).value == ""


async def test_a_whole_registration_after_f1_in_one_burst(make_app):
    app = make_app("map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        typed = lambda text: ["space" if ch == " " else ch for ch in text]  # noqa: E731
        burst(app, "f1", *typed("ab12 cde"), "tab", *typed("Jane Doe"), "tab", *typed(PHONE), "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
        assert Stay.get().vehicle.number_plate == "AB12CDE"


async def test_ctrl_n_then_a_type_lands_in_the_new_rate_dialog(make_app):
    from kiosk.tui.screens.rate_dialog import RateDialog

    app = make_app("config")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "ctrl+n", "b", "u", "s")
        await settle(app, pilot)
        assert isinstance(app.screen, RateDialog)
        assert app.screen.row("type").value == "bus"
        assert app.get_screen_stack("config")[0].row("booth_name").value == "Booth"


async def test_f10_then_y_in_one_burst_quits(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "f10", "y")
        await settle(app, pilot)
        assert app.return_code == 0  # "y" answered the quit dialog, not the plate field


# ---- keys that do nothing elsewhere say what they do here -----------------------------------

@pytest.mark.parametrize("key", ["ctrl+c", "ctrl+q"])
async def test_ctrl_c_and_ctrl_q_say_that_f10_quits(make_app, key):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "b", key)
        await settle(app, pilot)
        assert app.is_running and isinstance(app.screen, EntryScreen)
        assert any("F10 quits the booth terminal" in n.message for n in app._notifications)
        assert field(app, "#entry-plate") == "ab"


def detail_line(app) -> str:
    return app.screen.query_one("#map-detail").render().plain


async def test_a_free_spot_offers_no_payment_and_f3_opens_payment_empty(make_app, booth):
    booth.register("CD3456", "Jane", PHONE, "car")  # in A01
    app = make_app("map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"a02", "enter")
        await settle(app, pilot)
        assert detail_line(app).startswith(" A02") and "F3" not in detail_line(app)
        assert app.screen.active_bindings["f3"].binding.description == "Pay"  # not "Pay spot": there is none
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        message = app.screen.query_one("#pay-message").render().plain
        assert "nothing to pay" not in message and field(app, "#pay-plate") == ""


async def test_a_parked_car_offers_f3_and_it_picks_the_car(make_app, booth):
    booth.register("CD3456", "Jane", PHONE, "car")  # in A01
    app = make_app("map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"a01", "enter")
        await settle(app, pilot)
        assert "CD3456" in detail_line(app) and "F3 pay" in detail_line(app)
        assert app.screen.active_bindings["f3"].binding.id == "map.pay"
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen) and field(app, "#pay-plate") == "CD3456"


async def test_editing_keys_in_a_burst_act_in_the_order_typed(make_app):
    """Backspace, ctrl+a, ctrl+k and arrows are the field's own key bindings, which Textual ran
    only after the characters typed behind them: `⌫ ⌫ 7` gave '7' and then deleted it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "a", "b", "x", "y", "backspace", "backspace", "1", "2")
        await settle(app, pilot)
        assert field(app, "#entry-plate") == "ab12"
        burst(app, "ctrl+a", "z", "ctrl+k", "q", "left", "backspace", "end", "9")
        await settle(app, pilot)
        assert field(app, "#entry-plate") == "q9"
