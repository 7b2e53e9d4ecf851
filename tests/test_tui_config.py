"""Configuration (F4) through the keyboard, on a real migrated database: retention with its expiry
preview, refused values, rates, spots; snapshots at 80x24 and 160x48."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import DataTable, Input, Static

from kiosk.booth import Booth
from kiosk.models import AuditLog, ParkingSpot, SystemConfig
from kiosk.tui.app import build_app
from kiosk.tui.screens.configuration import ConfigurationScreen
from kiosk.tui.screens.rate_dialog import RateDialog
from kiosk.tui.widgets.booth_header import BoothHeader
from tui_helpers import settle
from tui_seed import seed, until_ready
from staff_support import as_manager, off_shift



def make_app(target, database, booth, clock, mode="config"):
    # typing_delay=0: the preview still goes through its worker, without the 0.3 s debounce.
    return build_app(target, database, "1.5.0", booth=booth, clock=clock, mode=mode, freeze_gc=False,
                     lifecycle_interval=None, typing_delay=0)



def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def config_audits() -> int:
    return AuditLog.select().where(AuditLog.action == "config").count()


async def retype(pilot, text: str):
    """Clear the focused one-line input and type `text`, as an attendant would."""
    await pilot.press("home", "ctrl+k", *text)


async def test_changing_retention_shows_the_preview_before_saving_then_saves(target, database, booth, clock):
    seed(booth, clock)
    assert booth.expiry_preview(24) != booth.expiry_preview(2)  # the preview must move with the value
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.row("retention_hours").value == "24"
        assert f"personal data of {booth.expiry_preview(24)} closed stays" in text_of(app, "#config-preview")

        await pilot.press("tab")  # booth name -> retention
        assert app.focused is screen.row("retention_hours").input
        await retype(pilot, "2")
        await settle(app, pilot)
        preview = text_of(app, "#config-preview")
        assert f"The next expiry run will remove personal data of {booth.expiry_preview(2)} closed stays" in preview
        assert "24 h → 2 h (not saved yet)" in preview
        assert booth.config().retention_hours == 24 and config_audits() == 0  # nothing saved yet

        await pilot.press("enter")
        await settle(app, pilot)
        assert booth.config().retention_hours == 2
        audit = booth.recent_audit(action="config")
        assert len(audit) == 1 and audit[0].details["changes"] == {"retention_hours": [24, 2]}
        assert any("retention (hours) 24 → 2" in n.message for n in app._notifications)
        assert "Retention 2 h." in text_of(app, "#config-preview")


@pytest.mark.parametrize("value, says", [
    ("0", "from 1 to 8760; got 0"),
    ("9000", "from 1 to 8760; got 9000"),
    ("abc", "from 1 to 8760; got 'abc'"),
    ("", "from 1 to 8760"),
])
async def test_invalid_retention_is_refused_beside_the_field_and_nothing_is_saved(target, database, booth, clock,
                                                                                   value, says):
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        row = app.screen.row("retention_hours")
        await pilot.press("tab")
        await retype(pilot, value)
        await settle(app, pilot)
        assert says in row.shown_text and row.shown_text.startswith("✗")
        assert "Retention refused" in text_of(app, "#config-preview")
        await pilot.press("ctrl+s")
        await pilot.press("enter")
        await settle(app, pilot)
        assert SystemConfig.get().retention_hours == 24 and config_audits() == 0
        assert any("Nothing was saved" in n.message for n in app._notifications)
        assert app.focused is row.input  # the attendant is taken to the field at fault

        await pilot.press("escape")  # Escape reverts to the saved value and the hint comes back
        await settle(app, pilot)
        assert row.value == "24" and not row.shown_text.startswith("✗")


async def test_one_refused_field_blocks_the_others_too(target, database, booth, clock):
    off_shift(booth)  # renaming the booth needs its shift closed
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await retype(pilot, "Booth North")  # booth name: valid
        await pilot.press("tab", "tab", "tab")
        await retype(pilot, "ZZ")  # phone region: refused
        await settle(app, pilot)
        assert "is not a phone region" in app.screen.row("phone_region").shown_text
        assert "Not saved: Phone region refused" in text_of(app, "#config-status")
        await pilot.press("enter")
        await settle(app, pilot)
        cfg = booth.config()
        assert (cfg.booth_name, cfg.phone_region) == ("Booth", "GB") and config_audits() == 0

        await retype(pilot, "ie")  # fixed: both are saved in one change, the region normalised
        await pilot.press("enter")
        await settle(app, pilot)
        cfg = booth.config()
        assert (cfg.booth_name, cfg.phone_region) == ("Booth North", "IE")
        assert app.screen.row("phone_region").value == "IE"
        assert "Booth North · Configuration" in str(app.screen.query_one(BoothHeader).render())


async def test_backup_window_is_a_setting_refused_out_of_range_then_saved(target, database, booth, clock):
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("tab", "tab", "tab", "tab")  # booth name, retention, archive, region, backup window
        await retype(pilot, "400")
        await settle(app, pilot)
        assert "backup window (days) must be a whole number from 0 to 365" in app.screen.row("backup_window_days").shown_text
        await pilot.press("enter")
        await settle(app, pilot)
        assert booth.config().backup_window_days == 7 and config_audits() == 0
        await retype(pilot, "14")
        await pilot.press("enter")
        await settle(app, pilot)
        assert booth.config().backup_window_days == 14 and config_audits() == 1


async def test_escape_reverts_unsaved_changes(target, database, booth, clock):
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("tab", "tab")
        await retype(pilot, "30")
        await settle(app, pilot)
        assert "1 unsaved change" in text_of(app, "#config-status")
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.row("archive_days").value == "90" and booth.config().archive_days == 90
        assert any("Reverted" in n.message for n in app._notifications)


async def test_edit_a_rate_in_the_dialog_refused_then_saved(target, database, booth, clock):
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#config-rates", DataTable)
        table.focus()
        await pilot.press("down", "enter")  # van
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RateDialog) and dialog.rate.vehicle_type == "van"
        assert app.focused is dialog.row("rate").input and dialog.row("type").disabled

        await retype(pilot, "-1")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is dialog and "must not be negative" in dialog.row("rate").shown_text
        assert booth.config().rate_for("van").rate_per_hour == Decimal("4.00")

        await retype(pilot, "4.50")
        await pilot.press("tab", "tab", "tab")
        await retype(pilot, "30")  # daily cap
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen)
        van = booth.config().rate_for("van")
        assert (van.rate_per_hour, van.daily_cap) == (Decimal("4.50"), Decimal("30.00"))
        assert table.get_row("van")[1:] == ["£4.50", "1", "0 min", "£30.00"]
        assert booth.recent_audit(action="rate")[0].details["rate"] == "4.50"

        await pilot.press("ctrl+r")  # the same dialog from the key; Escape leaves everything as it was
        await pilot.pause()
        assert isinstance(app.screen, RateDialog)
        await retype(pilot, "999")
        await pilot.press("escape")
        await settle(app, pilot)
        assert booth.config().rate_for("van").rate_per_hour == Decimal("4.50")


async def test_rate_amounts_are_echoed_as_understood_and_a_comma_is_a_decimal_comma(target, database, booth, clock):
    # '2,75' was saved as £275.00 an hour without a word on the screen.
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#config-rates", DataTable)
        table.focus()
        await pilot.press("down", "enter")  # van
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RateDialog)
        await retype(pilot, "2,750")
        assert "thousands separator" in dialog.row("rate").shown_text and dialog.row("rate").error
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is dialog and booth.config().rate_for("van").rate_per_hour == Decimal("4.00")
        await retype(pilot, "2,75")
        assert dialog.row("rate").shown_text == "= £2.75 per hour" and not dialog.row("rate").error
        await pilot.press("tab", "tab", "tab")
        await retype(pilot, "12,5")  # daily cap
        assert dialog.row("daily_cap").shown_text == "= £12.50 a day"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen)
        van = booth.config().rate_for("van")
        assert (van.rate_per_hour, van.daily_cap) == (Decimal("2.75"), Decimal("12.50"))
        assert table.get_row("van")[1:] == ["£2.75", "1", "0 min", "£12.50"]


async def test_new_vehicle_type_then_spots_for_it(target, database, booth, clock):
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, RateDialog) and app.focused is app.screen.row("type").input
        await pilot.press(*"Truck", "tab", *"6")
        await pilot.press("enter")
        await settle(app, pilot)
        assert booth.config().rate_for("truck").rate_per_hour == Decimal("6.00")
        assert app.screen.query_one("#config-rates", DataTable).row_count == 4

        app.screen.query_one("#config-spot-input", Input).focus()
        app.screen.query_one("#config-spot-type").value = "truck"
        await pilot.press(*"T01-T05", "enter")
        await settle(app, pilot)
        assert ParkingSpot.select().where(ParkingSpot.vehicle_type == "truck").count() == 5
        assert "T01-T05" in text_of(app, "#config-spots")


async def test_spots_add_refuse_retype_remove(target, database, booth, clock):
    booth.register("AB12CDE", "Jane Doe", "07400 123456", "car", spot="A01")
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        spot_input = app.screen.query_one("#config-spot-input", Input)
        spot_input.focus()
        cars = lambda: ParkingSpot.select().where(ParkingSpot.vehicle_type == "car").count()  # noqa: E731
        total = ParkingSpot.select().count()

        await pilot.press(*"A40-A31", "enter")  # backwards: refused, nothing added
        await settle(app, pilot)
        hint = text_of(app, "#config-spot-hint")
        assert "runs backwards" in hint and hint.startswith("✗")
        assert ParkingSpot.select().count() == total and spot_input.value == "A40-A31"

        await pilot.press("home", "ctrl+k", *"A31-A40", "enter")
        await settle(app, pilot)
        assert cars() == 40 and spot_input.value == ""
        assert "A01-A40" in text_of(app, "#config-spots")
        assert booth.recent_audit(action="spots_add")[0].entity_id == "A31-A40"

        await pilot.press(*"A30-A35", "enter")  # overlaps existing spots: refused whole
        await settle(app, pilot)
        assert "already exist" in text_of(app, "#config-spot-hint") and cars() == 40

        app.screen.query_one("#config-spot-type").value = "van"
        await pilot.press("home", "ctrl+k", *"A40", "ctrl+t")  # retype A40 to van
        await settle(app, pilot)
        assert ParkingSpot.get(ParkingSpot.spot_number == "A40").vehicle_type == "van"

        await pilot.press(*"A39", "ctrl+b")  # remove a free spot
        await settle(app, pilot)
        assert ParkingSpot.get_or_none(ParkingSpot.spot_number == "A39") is None

        await pilot.press(*"A01", "ctrl+b")  # occupied: refused, kept
        await settle(app, pilot)
        assert "occupied" in text_of(app, "#config-spot-hint")
        assert ParkingSpot.get_or_none(ParkingSpot.spot_number == "A01") is not None
        assert app.is_running


async def test_screen_without_a_database_says_so(target, database, clock):
    from kiosk.tui.services import KioskServices
    from kiosk.tui.app import KioskApp

    app = KioskApp(KioskServices(get_cells=list, refresh_seconds=3600), clock=clock, mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "No database is connected" in text_of(app, "#config-status")
        await pilot.press("ctrl+s", "escape", "ctrl+r")
        assert app.is_running


# ---- snapshots ------------------------------------------------------------------------------


def _snap_app(database, target, clock):
    booth = as_manager(Booth(database, clock, auto_size=False))
    seed(booth, clock)
    return make_app(target, database, booth, clock)


async def _ready(pilot):
    await until_ready(pilot, lambda screen: screen.saved is not None
                      and "closed stay" in str(screen.query_one("#config-preview", Static).render()))


def test_snapshot_configuration_80x24(snap_compare, database, target, clock):
    async def change_retention(pilot):
        await _ready(pilot)
        await pilot.press("tab", "home", "ctrl+k", "4", "8")
        await _ready(pilot)

    app = _snap_app(database, target, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=change_retention)


def test_snapshot_configuration_160x48(snap_compare, database, target, clock):
    app = _snap_app(database, target, clock)
    assert snap_compare(app, terminal_size=(160, 48), run_before=_ready)
