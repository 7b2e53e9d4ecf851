"""Every screen says what its keys do: at 80x24 the footer shows, in full, the keys to every
other screen and to quit (a long screen-specific label once pushed F10 off the edge)."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from kiosk.booth import Booth
from kiosk.tui.app import SCREENS, build_app
from kiosk.tui.services import booth_services
from tui_helpers import settle
from staff_support import as_manager

HOUR = 3600.0


def assert_footer_whole(app, mode: str) -> None:
    keys = {k.key: k for k in app.screen.query(FooterKey)}
    # The palette key is docked at the right edge and drawn over whatever reaches it.
    edge = keys["ctrl+p"].region.x if "ctrl+p" in keys else 80
    # F3 may say "Pay" for the car in view rather than only switch: either way it is shown.
    wanted = [key for m, (key, _title) in SCREENS.items() if m != mode] + ["f10"]
    for key in wanted:
        assert key in keys, f"{key} missing from the {mode} footer"
        region = keys[key].region
        assert region.width > 0 and region.right <= edge, f"{key} cut off in the {mode} footer: {region}"



@pytest.mark.parametrize("mode", list(SCREENS))
async def test_the_footer_shows_the_other_screens_and_quit_in_full_at_80_columns(mode, database, target, clock, tmp_path):
    booth = as_manager(Booth(database, clock))
    booth.register("AB12CDE", "Jane", "07400 123456", "car")
    services = booth_services(booth, receipts_dir=tmp_path / "receipts", refresh_seconds=HOUR)
    app = build_app(target, database, "1.6.0", services=services, clock=clock, mode=mode, freeze_gc=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert_footer_whole(app, mode)
        if mode == "payment":  # with a car picked, more keys are live
            await pilot.press(*"AB1", "enter")
            await settle(app, pilot)
            assert app.screen.query_one("#pay-breakdown").has_class("-shown")
            assert_footer_whole(app, mode)
