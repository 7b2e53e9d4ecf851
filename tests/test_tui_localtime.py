"""The terminal in the site's time zone (Europe/London): header, Entry, Payment, receipt, Activity, spot
details; the night the clocks go back; the setting on the Configuration screen."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, OptionList

from kiosk.models import SystemConfig
from kiosk.tui.app import build_app
from kiosk.tui.screens.receipt import ReceiptScreen
from kiosk.tui.services import booth_services
from kiosk.tui.widgets.field_hint import FieldHint
from tui_helpers import header, settle

PHONE = "07400 123456"
HOUR = 3600.0


@pytest.fixture
def make_app(booth, target, database, clock, tmp_path):
    def make(mode="entry"):
        services = booth_services(booth, receipts_dir=tmp_path / "receipts", refresh_seconds=HOUR)
        return build_app(target, database, "1.8.0", services=services, clock=clock, mode=mode, freeze_gc=False,
                         lifecycle_interval=None, typing_delay=0)  # no debounce: the preview at once

    return make


def text(app, selector: str) -> str:
    return app.screen.query_one(selector).render().plain


def audit_when(app) -> list[str]:
    table = app.screen.query_one("#activity-audit", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


@pytest.mark.parametrize("month, local_time, clock_now, zone", [
    ("2026-07-01", "13:32", "14:12", "BST"),  # 12:32 UTC in summer
    ("2026-01-15", "12:32", "13:12", "GMT"),  # and in winter
])
async def test_every_screen_shows_local_time(make_app, booth, clock, month, local_time, clock_now, zone):
    booth.update_config(time_zone="Europe/London")
    clock.set(f"{month} 12:32:00")
    booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(minutes=40)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert f"{clock_now} {zone}" in header(app)
        # Entry: a car registered now, the car already on site, the latest arrivals.
        await pilot.press(*"xy34zzz", "tab", *"Jim", "tab", *PHONE, "enter")
        await settle(app, pilot)
        assert f"XY34ZZZ  →  spot A02   ({clock_now})" in text(app, "#entry-result-text")
        await pilot.press(*"ab12cde")
        await settle(app, pilot)
        said = app.screen.query_one("#entry-plate-hint", FieldHint).render().plain
        assert f"AB12CDE is already parked at A01 since {local_time} (0 h 40 min)" in said
        assert local_time in text(app, "#entry-recent")
        # Spot map details.
        assert f"since {local_time}" in app.services.spot_details("A01")
        # Payment: the match, the fee, the receipt.
        await pilot.press("f3")
        await settle(app, pilot)
        fee = text(app, "#pay-breakdown")
        assert f"entry time        {local_time}" in fee and "UTC" not in fee
        await pilot.press("k", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReceiptScreen)
        receipt = text(app, "#receipt-text")
        assert f"{month} {local_time} {zone}" in receipt and "UTC" not in receipt
        await pilot.press("escape")
        # Activity: the trail, newest first (payment and entry now, the first entry, config).
        await pilot.press("f5")
        await settle(app, pilot)
        stamps = audit_when(app)
        assert stamps[:3] == [f"{month[5:]} {clock_now}:00"] * 2 + [f"{month[5:]} {local_time}:00"]
        labels = [str(c.label) for c in app.screen.query_one("#activity-audit", DataTable).columns.values()]
        assert labels[0] == "when"  # local, as the header's clock says; no longer "when (UTC)"


async def test_the_night_the_clocks_go_back_shows_which_0130(make_app, booth, clock):
    booth.update_config(time_zone="Europe/London")
    clock.set("2026-10-25 00:30:00")
    booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.set("2026-10-25 01:30:00")
    booth.register("AB19XYZ", "Jim", PHONE, "van")
    clock.set("2026-10-25 01:40:00")
    app = make_app("payment")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert "01:40 GMT" in header(app)
        await pilot.press(*"ab1")
        await settle(app, pilot)
        listed = [str(o.prompt) for o in app.screen.query_one("#pay-matches", OptionList).options]
        assert "in 01:30 BST" in listed[0] and "1 h 10 min" in listed[0]
        assert "in 01:30 GMT" in listed[1] and "0 h 10 min" in listed[1]
        await pilot.press("f5")
        await settle(app, pilot)
        assert audit_when(app)[:2] == ["10-25 01:30:00 GMT", "10-25 01:30:00 BST"]
        clock.set("2026-10-25 12:00:00")
        app._tick()
        await pilot.pause()
        assert "12:00 GMT" in header(app)


async def test_the_time_zone_is_set_on_the_configuration_screen(make_app, booth, clock):
    clock.set("2026-07-01 12:32:00")
    app = make_app("config")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "12:32 UTC" in header(app)  # empty: this machine's zone, UTC here
        row = app.screen.row("time_zone")
        assert row.value == "" and "empty: this machine's (UTC)" in row.shown_text
        row.input.focus()
        await pilot.press(*"Europe/Lundon")
        await settle(app, pilot)
        assert row.shown_text.startswith("✗") and "a time zone name such as Europe/London" in row.shown_text
        assert "did you mean Europe/London?" in row.shown_text
        await pilot.press("enter")
        await settle(app, pilot)
        assert SystemConfig.get().time_zone == ""  # refused: nothing saved
        await pilot.press("home", "ctrl+k", *"europe/london", "enter")
        await settle(app, pilot)
        assert SystemConfig.get().time_zone == "Europe/London"
        assert row.value == "Europe/London"
        assert "13:32 BST" in header(app)
        assert any("time zone this machine's (UTC) → Europe/London" in n.message for n in app._notifications)
