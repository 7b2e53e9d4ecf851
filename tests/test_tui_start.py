"""Start-up and refresh of the booth terminal: what runs when, and what a spot refresh repaints."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
from dataclasses import replace

import pytest
from textual.css.stylesheet import Stylesheet
from textual.widgets import Static

from kiosk.booth import Booth
from kiosk.clock import FixedClock
from kiosk.maintenance.alerts import Alert
from kiosk.tui.app import ALERTS_GROUP, KioskApp, build_app
from kiosk.tui.demo import demo_cells
from kiosk.tui.perf import NEVER, QUIET_S, BoothGC
from kiosk.tui.services import KioskServices
from kiosk.tui.theme import KIOSK_THEME
from kiosk.tui.widgets.booth_header import BoothHeader
from kiosk.tui.widgets.spot_map import SpotMap
from tui_helpers import settle, header
from staff_support import as_manager

HOUR = 3600.0  # timers that never fire by themselves during a test


class Spots:
    """Cells to hand out; `gate` (when set) holds each read until the test opens it."""

    def __init__(self, cells, gate: threading.Event | None = None):
        self.cells = list(cells)
        self.gate = gate

    def __call__(self):
        if self.gate is not None and not self.gate.wait(timeout=20):
            raise TimeoutError("the test never opened the gate")
        return list(self.cells)


def shell_app(spots, mode="map") -> KioskApp:
    services = KioskServices(get_cells=spots, refresh_seconds=HOUR, booth_name="Booth A")
    return KioskApp(services, schema_version="1.6.0", clock=FixedClock("2026-11-24 14:32:00"), mode=mode)




async def test_a_refresh_that_finds_nothing_new_leaves_the_map_alone():
    app = shell_app(Spots(demo_cells(10_000)))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        spot_map = app.screen.query_one(SpotMap)
        version, checks, built = app.spots_version, app.spots_checked, spot_map.lines_built
        calls = []
        spot_map.update_cells = lambda cells: calls.append("update_cells")
        spot_map.apply_changes = lambda changes: calls.append("apply_changes")

        app.refresh_spots_now()
        await settle(app, pilot)

        assert app.spots_checked == checks + 1  # it was read...
        assert app.spots_version == version and calls == []  # ...and the map was handed nothing
        assert spot_map.lines_built == built
        assert not spot_map._repaint_regions
        assert "updated 14:32:00" in str(app.screen.query_one("#map-updated", Static).render())


async def test_a_refresh_hands_the_map_only_the_spots_that_changed():
    cells = demo_cells(10_000)
    spots = Spots(cells)
    app = shell_app(spots)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        spot_map = app.screen.query_one(SpotMap)
        free = spot_map.counts().free
        handed = []
        apply_changes = spot_map.apply_changes
        spot_map.apply_changes = lambda changes: handed.append(dict(changes)) or apply_changes(changes)
        far = next(i for i in range(9_000, 10_000) if cells[i].state == "free")  # far off screen
        spots.cells[1] = replace(cells[1], state="occupied")
        spots.cells[far] = replace(cells[far], state="overstay")
        built = spot_map.lines_built

        app.refresh_spots_now()
        await settle(app, pilot)

        assert handed == [{cells[1].spot_number: "occupied", cells[far].spot_number: "overstay"}]
        assert spot_map.counts().free == free - 2
        assert f"{free - 2:,}/10,000 free" in header(app)
        assert spot_map.lines_built - built <= 2  # the visible row and its header; the far one when scrolled to


async def test_the_clock_repaints_the_header_not_the_map():
    app = shell_app(Spots(demo_cells(1_000)))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        painted = []
        display = app._display
        app._display = lambda screen, update: painted.append(update) or display(screen, update)
        app.clock.advance(minutes=1)
        app._tick()
        await pilot.pause()
        assert "14:33 UTC" in header(app)
        rows = {y for update in painted for y, _, _ in getattr(update, "spans", [(y, 0, 0) for y in range(48)])}
        header_rows = set(range(app.screen.query_one(BoothHeader).region.bottom))
        assert painted and rows <= header_rows  # an App-wide repaint redrew all 48 rows, the map with them


async def test_alerts_and_the_lifecycle_timer_start_once_the_first_spot_read_is_on_screen(
        target, database, clock, monkeypatch):
    monkeypatch.setattr("kiosk.maintenance.alerts.collect_alerts",
                        lambda *a, **k: [Alert("warning", "disk", "disk 95% full: free some space")])
    gate = threading.Event()
    booth = as_manager(Booth(database, clock, auto_size=False))
    services = KioskServices(get_cells=Spots(demo_cells(40), gate), refresh_seconds=HOUR, booth=booth)
    app = build_app(target, database, "1.6.0", services=services, booth=booth, clock=clock, freeze_gc=False,
                    lifecycle_interval=HOUR)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.pause(0.01)
        assert app.spots_version == 0  # the first read is still waiting at the gate
        assert not any(w.group == ALERTS_GROUP for w in app.workers)
        assert not app.lifecycle.armed and app.header_info.alert == ""

        gate.set()
        await settle(app, pilot)

        assert app.spots_version == 1
        assert app.lifecycle.armed  # the expiry/archive run keeps its interval
        assert "disk 95% full" in app.header_info.alert and "disk 95% full" in header(app)


async def test_alerts_still_start_when_the_first_spot_read_fails(target, database, clock, monkeypatch):
    monkeypatch.setattr("kiosk.maintenance.alerts.collect_alerts",
                        lambda *a, **k: [Alert("error", "check", "integrity check failed")])

    def broken():
        raise OSError("disk I/O error")

    services = KioskServices(get_cells=broken, refresh_seconds=HOUR)
    app = build_app(target, database, "1.6.0", services=services, clock=clock, freeze_gc=False, lifecycle_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "integrity check failed" in app.header_info.alert
        assert "spot map not updated" in app.header_info.alert


async def test_read_first_the_first_frame_shows_the_car_park_and_no_worker_repeats_the_read(clock):
    spots = Spots(demo_cells(40))
    reads = []
    services = KioskServices(get_cells=lambda: reads.append(1) or spots(), refresh_seconds=HOUR, booth_name="Booth A")
    app = build_app(services=services, clock=clock, freeze_gc=False, lifecycle_interval=None, read_spots_first=True)
    assert reads == [1]  # read while the terminal was being built, before it started
    frames = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one(BoothHeader)  # composed: the first frame is drawn from what was read
        frames.append(header(app))
        await settle(app, pilot)
        assert reads == [1]  # the next read waits for its timer
        assert app.spots_version == 1 and app.spots_checked == 1
    free = sum(c.state == "free" for c in demo_cells(40))
    assert f"{free}/40 free" in frames[0]


async def test_read_first_that_fails_is_read_again_in_a_worker_and_reported(clock):
    def broken():
        raise OSError("disk I/O error")

    services = KioskServices(get_cells=broken, refresh_seconds=HOUR)
    app = build_app(services=services, clock=clock, freeze_gc=False, lifecycle_interval=None, read_spots_first=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "spot map not updated" in app.header_info.alert and "disk I/O error" in app.header_info.alert
        assert "—/— free" in header(app)


async def test_the_kiosk_theme_is_in_place_before_the_first_css_parse(monkeypatch):
    reparses = []
    original = Stylesheet.reparse
    monkeypatch.setattr(Stylesheet, "reparse", lambda self: reparses.append(1) or original(self))
    app = shell_app(Spots(demo_cells(10)), mode="entry")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.current_theme is app.get_theme(KIOSK_THEME.name)
        assert app.has_class("-theme-kiosk", "-dark-mode")
        # Textual re-parses once as the first mode's screen is shown; assigning the theme made it twice
        assert len(reparses) <= 1
        assert app.screen.query_one(BoothHeader).styles.background.hex.upper() == \
            app.get_css_variables()["primary-muted"].upper()


def test_starting_the_terminal_imports_only_the_first_screens_module():
    code = ("import sys, kiosk.tui.app; "
            "left = [m for m in ('kiosk.tui.screens.activity', 'kiosk.tui.screens.payment', 'textual_plotext', "
            "'kiosk.maintenance.alerts') if m in sys.modules]; assert not left, left")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-500:]


def test_gc_waits_for_the_first_frame_then_collects_fully_only_when_nobody_types():
    now = [100.0]
    policy = BoothGC(clock=lambda: now[0])
    thresholds, was_enabled = gc.get_threshold(), gc.isenabled()
    try:
        policy.begin()
        assert not gc.isenabled() and policy.state == "paused"
        policy.end()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        assert gc.get_threshold() == (thresholds[0], thresholds[1], NEVER)  # no automatic full collections

        now[0] += 60
        policy.saw_input()
        now[0] += QUIET_S / 2
        assert not policy.collect_when_idle()  # someone is typing
        now[0] += QUIET_S
        assert policy.collect_when_idle() and policy.full_collections == 1
        now[0] += QUIET_S
        assert not policy.collect_when_idle()  # one just ran
    finally:
        policy.release()
        assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0
        assert gc.isenabled() == was_enabled


def test_gc_released_before_the_first_frame_is_back_on():
    was_enabled, frozen = gc.isenabled(), gc.get_freeze_count()  # another test may have frozen some
    policy = BoothGC()
    policy.begin()
    policy.release()
    assert gc.isenabled() == was_enabled and gc.get_freeze_count() == frozen
    policy.end()  # too late: nothing happens
    assert gc.get_freeze_count() == frozen


@pytest.mark.parametrize("freeze_gc", [True, False])
async def test_the_app_hands_the_collector_back_when_it_stops(freeze_gc):
    thresholds, was_enabled = gc.get_threshold(), gc.isenabled()
    services = KioskServices(get_cells=Spots(demo_cells(10)), refresh_seconds=HOUR)
    app = KioskApp(services, clock=FixedClock("2026-11-24 14:32:00"), freeze_gc=freeze_gc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert gc.isenabled() == was_enabled
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0 and gc.isenabled() == was_enabled


def test_the_terminal_is_styled_by_the_top_level_stylesheet():
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    # kiosk/kiosk.tcss is a link to it, so that the wheel ships the same file (test_packaging)
    assert Path(KioskApp.CSS_PATH).resolve() == (repo / "kiosk.tcss").resolve()


async def test_the_footer_is_rebuilt_once_per_change_of_the_keys_it_shows():
    from textual.widgets._footer import FooterKey

    from kiosk.tui.widgets.booth_footer import BoothFooter

    app = shell_app(Spots(demo_cells(10)), mode="entry")
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(app, pilot)
        footer = app.screen.query_one(BoothFooter)
        assert {"f2", "f3", "f10", "ctrl+p"} <= {key.key for key in footer.query(FooterKey)}  # not F1: shown
        rebuilds = []
        recompose = footer.recompose
        footer.recompose = lambda: rebuilds.append(1) or recompose()

        def bindings_changed_three_times():  # as when a screen starts: focus, stack, idle
            for _ in range(3):
                app.screen.bindings_updated_signal.publish(app.screen)

        bindings_changed_three_times()
        await settle(app, pilot)
        assert rebuilds == []  # the same keys: nothing rebuilt

        footer.show_command_palette = False
        bindings_changed_three_times()
        await settle(app, pilot)
        assert rebuilds == [1]  # one rebuild for the three changes
        keys = {key.key for key in footer.query(FooterKey)}
        assert {"f2", "f3", "f10"} <= keys and "ctrl+p" not in keys


async def test_alerts_start_even_while_the_first_spot_read_hangs(target, database, clock, monkeypatch):
    monkeypatch.setattr("kiosk.maintenance.alerts.collect_alerts",
                        lambda *a, **k: [Alert("warning", "disk", "disk 95% full: free some space")])
    gate = threading.Event()
    services = KioskServices(get_cells=Spots(demo_cells(40), gate), refresh_seconds=HOUR)
    app = build_app(target, database, "1.6.0", services=services, clock=clock, freeze_gc=False, lifecycle_interval=None)
    app.BACKGROUND_DEADLINE_S = 0.05
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(500):  # until the deadline has passed and the check has run
                if "disk 95% full" in app.header_info.alert:
                    break
                await pilot.pause(0.01)
            assert "disk 95% full" in app.header_info.alert
            assert app.spots_version == 0  # the spot read is still held
            gate.set()
    finally:
        gate.set()
