"""The Privacy screen (F11 from Configuration, a manager in person): the proof's figures drawn,
read again on a key; refused to anyone else; snapshots at 80x24 and 160x48."""

from __future__ import annotations

import datetime as dt

from textual.widgets import DataTable, Sparkline, Static

from kiosk.tui.screens.configuration import ConfigurationScreen
from kiosk.tui.screens.privacy import PrivacyScreen
from kiosk.tui.widgets.limit_bar import LimitBar, cells
from staff_support import TEST_PIN, person
from test_maint_privacy_proof import expiry_run, hold, request, run, stays_gone
from tui_helpers import screen_text, settle


def seed(booth, database, clock):
    """Retention changed twice, four cars past it (one held), a run per day, holds and requests."""
    start = clock.now() - dt.timedelta(days=2)
    clock.set(start)
    booth.update_config(retention_hours=48)
    clock.advance(hours=1)
    booth.signed_in(person(booth, "Second Boss", "manager")).update_config(retention_hours=24)
    cars = stays_gone(booth, "AB12CDE", "CD34EFG", "EF56GHI", "GH78JKL")
    clock.advance(days=2)  # 2026-11-24 13:00: the cars are two days old
    stays_gone(booth, "NE12WER")
    hold(database, vehicle_id=cars[0].vehicle_id, until="2026-11-23")
    request(database, "CASE-001", "access", "2026-10-20", "2026-11-20")
    request(database, "CASE-002", "erasure", "2026-10-30", "2026-11-30")
    expiry_run(database, "2026-11-18 09:00:00", rows=7)
    expiry_run(database, "2026-11-22 09:00:00", rows=3, held=1)
    expiry_run(database, "2026-11-23 09:00:00", status="failed")
    return cars


async def open_privacy(app, pilot) -> None:
    await settle(app, pilot)
    assert isinstance(app.screen, ConfigurationScreen)
    await pilot.press("f11")
    await settle(app, pilot)
    await app.workers.wait_for_complete()
    await settle(app, pilot)


def rows(app, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_a_manager_sees_the_proof_and_reads_it_again(make_app, booth, database, clock):
    seed(booth, database, clock)
    app = make_app(mode="config")
    async with app.run_test(size=(160, 48)) as pilot:
        await open_privacy(app, pilot)
        assert isinstance(app.screen, PrivacyScreen)
        text = screen_text(app)
        assert "Retention: personal data 24 h after a stay" in text
        vehicles = app.screen.query_one("#privacy-vehicles")
        assert vehicles.has_class("-over")
        assert "2.0 d / 24.0 h · 4 · 3 OVER · 1 held" in text
        bar = vehicles.query_one(LimitBar)
        assert (bar.age, bar.limit) == (48 * 3600.0, 24 * 3600.0)
        assert not app.screen.query_one("#privacy-staff").has_class("-over")
        history = rows(app, "#privacy-history")
        assert [r[1:] for r in history] == [["retention_hours", "24 → 48", "Test Manager"],
                                            ["retention_hours", "48 → 24", "Second Boss"]]
        assert history[0][0] == "22 Nov 12:00"
        assert rows(app, "#privacy-holds")[0][0:2] == ["#1", "vehicle #1"] and "PAST REVIEW" in rows(app, "#privacy-holds")[0]
        assert [r[0] for r in rows(app, "#privacy-requests")] == ["CASE-001", "CASE-002"]
        assert rows(app, "#privacy-requests")[0][4] == "4 d OVERDUE"
        spark = app.screen.query_one("#privacy-expiry", Sparkline).data
        assert len(spark) == 30 and sum(spark) == 10 and spark[-3] == 3 and spark[-7] == 7
        assert "3 runs · 10 anonymised · 1 held back · 1 failed" in text and "failed on 23 Nov" in text
        assert "request(s) past their due date (CASE-001" in text
        for personal in ("AB12CDE", "Jane", "07400"):
            assert personal not in text

        # Read again: a request closed meanwhile goes from the screen.
        run(database, "UPDATE privacy_requests SET status = 'done', outcome = 'answered', closed_at = ? "
                      "WHERE reference = 'CASE-001'", ("2026-11-24 13:00:00",))
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert [r[0] for r in rows(app, "#privacy-requests")] == ["CASE-002"]
        assert "CASE-001" not in str(app.screen.query_one("#privacy-findings", Static).render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen)


async def test_anyone_else_is_refused(make_app, booth, database, clock):
    seed(booth, database, clock)
    app = make_app(mode="entry", role="supervisor")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.screen.app.push_screen(PrivacyScreen())  # however it is reached, a supervisor sees no figures
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        text = screen_text(app)
        assert "The privacy proof is for a manager signed in." in text
        assert rows(app, "#privacy-requests") == [] and "OVER" not in text


def test_the_bar_against_its_limit():
    assert cells(12, 24, 20) == (10, 19)  # half the limit: half filled, the mark at the end
    assert cells(48, 24, 20) == (20, 10)  # twice the limit: all filled, the mark half way
    assert cells(0, 24, 20) == (0, 19) and cells(5, 0, 20) == (0, None)


async def test_an_attendant_let_into_configuration_is_told_f11_needs_a_manager(make_app, booth, database, clock):
    seed(booth, database, clock)
    person(booth, "Mia", "manager")
    app = make_app(role="attendant")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        await pilot.press("f4")  # Configuration, with a manager's approval
        await settle(app, pilot)
        await pilot.press(*"Mia", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen)
        await pilot.press("f11")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen)
        assert any("privacy proof needs a manager signed in" in n.message for n in app._notifications)


def _snapshot(make_app, booth, database, clock):
    seed(booth, database, clock)
    app = make_app(mode="config")

    async def opened(pilot):
        await open_privacy(app, pilot)
        app.set_alert("", source="maintenance")  # the header's alerts are not this screen's
        await settle(app, pilot)

    return app, opened


def test_snapshot_privacy_80x24(snap_compare, make_app, booth, database, clock):
    app, opened = _snapshot(make_app, booth, database, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)


def test_snapshot_privacy_160x48(snap_compare, make_app, booth, database, clock):
    app, opened = _snapshot(make_app, booth, database, clock)
    assert snap_compare(app, terminal_size=(160, 48), run_before=opened)
