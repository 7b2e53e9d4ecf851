"""Wide terminals (120 columns and more): the latest arrivals beside Entry, the latest payments
beside Payment, kept current; at 80 columns neither is shown nor read."""

from __future__ import annotations

import pytest

from kiosk.tui.app import build_app
from kiosk.tui.services import booth_services
from kiosk.tui.widgets.recent_panel import RecentPanel
from tui_helpers import settle

PHONE = "07400 123456"
HOUR = 3600.0



@pytest.fixture
def make_app(booth, target, database, clock, tmp_path):
    def make(mode):
        services = booth_services(booth, receipts_dir=tmp_path / "receipts", refresh_seconds=HOUR)
        return build_app(target, database, "1.6.0", services=services, clock=clock, mode=mode, freeze_gc=False)

    return make



def panel_text(app) -> str:
    return app.screen.query_one(RecentPanel).render().plain


async def test_entry_lists_the_latest_arrivals_including_other_booths_cars(make_app, booth, database, clock):
    booth.register("OLD1", "Ann", PHONE, "car")
    app = make_app("entry")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one(RecentPanel).display
        assert "OLD1" in panel_text(app) and "on site" in panel_text(app)
        await pilot.press(*"ab12cde", "tab", *"Jane", "tab", *PHONE.replace(" ", ""), "enter")
        await settle(app, pilot)
        lines = panel_text(app).splitlines()
        assert lines[0].split()[1:4] == ["AB12CDE", "A02", "car"] and "OLD1" in lines[1]
        # A car registered elsewhere (not through this screen) shows once the spot feed has read.
        booth.register("ZZ99ZZZ", "Bo", PHONE, "car")
        app.refresh_spots_now()
        await settle(app, pilot)
        assert panel_text(app).splitlines()[0].split()[1] == "ZZ99ZZZ"


async def test_payment_lists_the_latest_payments_and_refunds(make_app, booth, clock):
    car = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=1)
    paid = booth.pay(car.stay_id, "card")
    booth.refund(paid.payment_id, "duplicate_charge")
    app = make_app("payment")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        lines = panel_text(app).splitlines()
        assert lines[0].split()[1:] == ["AB12CDE", "-£2.50", "card", "refund", "of", str(paid.payment_id)]
        assert lines[1].split()[1:] == ["AB12CDE", "£2.50", "card", "refunded"]


@pytest.mark.parametrize("mode", ["entry", "payment"])
async def test_at_80_columns_the_panel_is_neither_shown_nor_read(make_app, booth, mode, monkeypatch):
    calls = []
    for name in ("recent_stays", "recent_payments"):
        real = getattr(booth, name)
        monkeypatch.setattr(booth, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    app = make_app(mode)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.screen.query_one(RecentPanel).display
        app.refresh_spots_now()
        await settle(app, pilot)
        assert calls == []
        await pilot.resize_terminal(160, 48)  # widened: the panel appears and fills
        await settle(app, pilot)
        assert app.screen.query_one(RecentPanel).display and calls
