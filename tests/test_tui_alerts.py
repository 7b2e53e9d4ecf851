"""Maintenance findings (here: a disk nearly full) reach the header, beside other alerts."""

from __future__ import annotations

import pytest

from kiosk.tui.app import build_app
from tui_helpers import settle




@pytest.mark.sqlite_only  # the disk probe is of the database file's folder
async def test_low_disk_shows_in_header_and_sources_do_not_hide_each_other(target, database, clock, free_disk):
    free_disk(1024)
    app = build_app(target, database, "1.6.0", clock=clock, freeze_gc=False, lifecycle_interval=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        assert "free some space" in app.header_info.alert
        app.set_alert("expiry/archive run failed", source="lifecycle")
        await pilot.pause()
        assert "free some space" in app.header_info.alert and "expiry/archive run failed" in app.header_info.alert
        app.set_alert("", source="lifecycle")
        await pilot.pause()
        assert "expiry/archive run failed" not in app.header_info.alert
        assert "free some space" in app.header_info.alert
        assert app.is_running


async def test_no_alert_on_a_healthy_database(target, database, clock):
    app = build_app(target, database, "1.6.0", clock=clock, freeze_gc=False, lifecycle_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.header_info.alert == ""
