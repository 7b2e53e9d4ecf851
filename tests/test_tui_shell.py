"""The booth app shell: modes on F1-F5, header, spot feed, quit confirmation, errors, snapshots."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Static

from kiosk.clock import FixedClock
from kiosk.tui.app import KioskApp, build_app
from kiosk.tui.demo import demo_cells
from kiosk.tui.screens.activity import ActivityScreen
from kiosk.tui.screens.configuration import ConfigurationScreen
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.payment import PaymentScreen
from kiosk.tui.screens.quit import ConfirmQuit
from kiosk.tui.screens.spot_map import SpotMapScreen
from kiosk.tui.services import KioskServices
from kiosk.tui.widgets.booth_header import BoothHeader
from kiosk.tui.widgets.spot_map import SpotMap
from staff_support import TEST_PIN, staff_row

CLOCK_TEXT = "2026-11-24 14:32:00"
HOUR = 3600.0  # the feed's timer never fires by itself during a test: reads are triggered explicitly


class FakeSpots:
    """A data provider the test controls: cells to return, or an error to raise."""

    def __init__(self, cells):
        self.cells = list(cells)
        self.error: Exception | None = None
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return list(self.cells)


def make_app(cells=None, mode="entry", **services) -> KioskApp:
    provider = services.pop("get_cells", None) or FakeSpots(demo_cells(600) if cells is None else cells)
    services.setdefault("booth_name", "Booth A")
    svc = KioskServices(get_cells=provider, refresh_seconds=HOUR, vehicle_types=("car", "van"), **services)
    return KioskApp(svc, schema_version="1.4.0", clock=FixedClock(CLOCK_TEXT), mode=mode)


async def settle(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


def header_text(app) -> str:
    return " ".join(app.screen.query_one(BoothHeader).render().plain.split())


async def test_function_keys_switch_between_the_five_screens():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
        for key, screen_type, title in [
            ("f2", SpotMapScreen, "Spot map"),
            ("f3", PaymentScreen, "Payment"),
            ("f4", ConfigurationScreen, "Configuration"),
            ("f5", ActivityScreen, "Activity"),
            ("f1", EntryScreen, "Entry"),
            ("f2", SpotMapScreen, "Spot map"),
        ]:
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen_type), key
            assert f"Booth A · {title}" in header_text(app)
            footer_keys = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
            # Every other screen's key and quit; the key of the screen shown gives its room to others.
            assert {"f1", "f2", "f4", "f5", "f10"} - {key} <= footer_keys
            assert "f9" not in footer_keys  # sign-out: nobody to sign out in a shell without a database


async def test_header_shows_clock_free_total_and_schema():
    cells = demo_cells(600)
    app = make_app(cells)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        free = sum(c.state == "free" for c in cells)
        text = header_text(app)
        assert "14:32 UTC" in text
        assert f"{free}/600 free" in text
        assert "v1.4.0" in text
        app.set_alert("disk 95% full")
        await pilot.pause()
        assert "disk 95% full" in header_text(app)
        assert app.screen.query_one(BoothHeader).has_class("-alert")


async def test_spot_map_screen_shows_provider_data_and_refreshes():
    cells = demo_cells(10_000)
    provider = FakeSpots(cells)
    app = make_app(mode="map", get_cells=provider)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        spot_map = app.screen.query_one(SpotMap)
        assert spot_map.counts().total == 10_000
        free_before = spot_map.counts().free

        # another booth takes A002 (free in the demo pattern) and the next read shows it
        assert cells[1].state == "free"
        provider.cells[1] = replace(cells[1], state="occupied")
        app.refresh_spots_now()
        await settle(app, pilot)

        assert spot_map.counts().free == free_before - 1
        occupied_bg = spot_map._get_styles()["occupied"].bgcolor
        assert next(s for s in spot_map.render_line(1) if s.text.startswith("A002")).style.bgcolor == occupied_bg
        assert f"{free_before - 1:,}/10,000 free" in header_text(app)
        assert "free  " + f"{free_before - 1:,}" in app.screen.query_one("#map-legend", Static).render().plain


async def test_map_status_line_enter_details_and_pay_key():
    app = make_app(mode="map", spot_details=lambda spot: f"AB12CDE since 14:00 at {spot}")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("right")
        status = app.screen.query_one("#map-status", Static).render().plain
        assert "A002" in status and "free" in status
        await pilot.press("enter")
        await settle(app, pilot)
        assert "AB12CDE since 14:00 at A002" in app.screen.query_one("#map-detail", Static).render().plain
        await pilot.press("escape")
        assert "type a spot number" in app.screen.query_one("#map-detail", Static).render().plain
        parked = next(c for c in app.spot_cells if c.state != "free")
        await pilot.press(*parked.spot_number.lower())
        await pilot.press("f3")  # on the map, F3 takes the highlighted spot (with its car) to payment
        await pilot.pause()
        assert isinstance(app.screen, PaymentScreen)
        assert parked.spot_number in app.screen.query_one("#pay-stay", Static).render().plain


async def test_quit_needs_confirmation_and_escape_keeps_running():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c", "ctrl+q")  # not quit keys in a kiosk
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, EntryScreen)

        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("f2")  # screens do not switch under the dialog
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, EntryScreen)

        await pilot.press("f10", "enter")  # Enter lands on "Keep running"
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, EntryScreen)

        await pilot.press("f10", "y")
        await pilot.pause()
        assert not app.is_running


async def test_a_failing_spot_read_is_a_notification_and_an_alert_not_a_crash():
    provider = FakeSpots(demo_cells(50))
    provider.error = RuntimeError("database is locked")
    app = make_app(mode="map", get_cells=provider)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("Could not read the spot map: database is locked" in m for m in messages)
        assert all(n.severity == "error" for n in app._notifications)
        assert "spot map not updated" in header_text(app)

        provider.error = None  # the next read works and the alert goes away
        app.refresh_spots_now()
        await settle(app, pilot)
        assert "spot map not updated" not in header_text(app)
        assert app.screen.query_one(SpotMap).counts().total == 50
        assert provider.calls == 2


async def test_bad_data_from_the_provider_is_reported_in_words():
    provider = FakeSpots([replace(demo_cells(1)[0], state="parked")])
    app = make_app(get_cells=provider)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.is_running
        assert any("allowed: free, occupied, overstay" in n.message for n in app._notifications)


async def test_command_palette_reaches_every_action_of_the_screen():
    app = make_app(mode="map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ["Go to Entry", "Go to Map", "Go to Pay", "Go to Config", "Go to Activity",
                      "Pay", "Refresh now", "Details", "Quit"]:
            assert title in titles, title
        quit_command = next(c for c in app.get_system_commands(app.screen) if c.title == "Quit")
        quit_command.callback()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit) and app.is_running  # the palette's Quit asks too


async def test_shell_screens_say_plainly_that_no_database_is_connected():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"AB12CDE", "enter")
        await pilot.pause()
        assert any("none is connected: nothing was done" in n.message for n in app._notifications)
        await pilot.press("escape")
        assert app.screen.query_one("#entry-plate").value == ""


async def test_build_app_reads_spots_from_the_database(database, target):
    from kiosk.models.plan import ParkingSpot

    ParkingSpot.delete().execute()  # replace 1.5.0's default layout with a known one
    ParkingSpot.insert_many(
        [{"spot_number": f"A{i}", "vehicle_type": "car", "is_occupied": i == 2} for i in range(1, 13)]
    ).execute()
    staff_row("Ann", "attendant")
    app = build_app(target, database, "1.4.0", mode="map", freeze_gc=False, clock=FixedClock(CLOCK_TEXT))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"Ann", "enter", *TEST_PIN, "enter")  # a terminal on a database opens on sign-in
        await settle(app, pilot)
        spot_map = app.screen.query_one(SpotMap)
        assert [c.spot_number for c in spot_map.cells][:3] == ["A1", "A2", "A3"]  # natural order, not A1, A10
        assert spot_map.counts().occupied == 1 and spot_map.counts().total == 12


# ---- snapshots (run their own event loop: plain def) -------------------------------------


async def _ready(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_snapshot_spot_map_80x24(snap_compare):
    app = make_app(demo_cells(1200), mode="map")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_ready)


def test_snapshot_spot_map_160x48(snap_compare):
    async def move(pilot):
        await _ready(pilot)
        await pilot.press("pagedown", "right", "right")

    app = make_app(demo_cells(1200), mode="map")
    assert snap_compare(app, terminal_size=(160, 48), run_before=move)


def test_snapshot_quit_dialog_80x24(snap_compare):
    async def ask(pilot):
        await _ready(pilot)
        await pilot.press("f10")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=ask)


def test_spot_cells_can_be_built_without_importing_textual():
    """kiosk.booth may build SpotCells: that must not pull Textual into the business layer."""
    import subprocess
    import sys

    code = "import sys, kiosk.tui.widgets.spot_cells; assert 'textual' not in sys.modules, 'textual imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
