"""Activity (F5) on a real migrated database: the audit trail newest first and filtered by action,
the worker's last runs, alerts, the two charts; snapshots at 80x24 and 160x48."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import DataTable, Select, Static

from kiosk.booth import Booth
from kiosk.tui.app import build_app
from kiosk.tui.screens.activity import AUDIT_LIMIT, ActivityScreen
from kiosk.tui.widgets.charts import OccupancyChart, RevenueChart, nice_ticks
from tui_helpers import settle
from tui_seed import fixed_runs, seed, until_ready
from staff_support import as_manager



def make_app(target, database, booth, clock, mode="activity"):
    return build_app(target, database, "1.5.0", booth=booth, clock=clock, mode=mode, freeze_gc=False,
                     lifecycle_interval=None)



def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def audit_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#activity-audit", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_audit_trail_newest_first_and_filtered_by_action(target, database, booth, clock):
    seed(booth, clock)
    expected = booth.recent_audit(AUDIT_LIMIT)
    payments = booth.recent_audit(AUDIT_LIMIT, "payment")
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ActivityScreen)
        rows = audit_rows(app)
        assert [r[1] for r in rows] == [a.action for a in expected]
        assert rows[0][0] == f"{expected[0].timestamp:%m-%d %H:%M:%S}"
        stamps = [a.timestamp for a in expected]
        assert stamps == sorted(stamps, reverse=True)  # newest first
        assert f"{len(expected)} entries, all actions" in text_of(app, "#activity-count")

        await pilot.press("ctrl+f")  # the action filter, by keyboard
        assert app.focused is app.screen.query_one("#activity-filter", Select)
        await pilot.press("enter", "down", "down", "enter")  # (all actions), entry, payment
        await settle(app, pilot)
        rows = audit_rows(app)
        assert rows and {r[1] for r in rows} == {"payment"} and len(rows) == len(payments)
        assert "amount=" in rows[0][5] and "method=" in rows[0][5]
        assert str(rows[0][2]) == "Test Manager"  # who took it: the person signed in
        assert f"{len(payments)} entries, action payment" in text_of(app, "#activity-count")

        await pilot.press("escape")  # clears the filter
        await settle(app, pilot)
        assert len(audit_rows(app)) == len(expected)


async def test_new_activity_appears_when_the_screen_is_shown_again(target, database, booth, clock):
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        before = len(audit_rows(app))
        booth.register("AB12CDE", "Jane Doe", "07400 123456", "car")
        await pilot.press("f1")
        await pilot.press("f5")
        await settle(app, pilot)
        rows = audit_rows(app)
        assert len(rows) == before + 1 and rows[0][1] == "entry"


async def test_runs_alerts_and_charts_show_the_data(target, database, booth, clock):
    seed(booth, clock)
    fixed_runs(clock.now())
    occupancy = booth.occupancy_through_day(clock.now().date())
    takings = sum((amount for _d, _m, amount in booth.revenue_per_day(14)), Decimal("0.00"))
    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        runs = text_of(app, "#activity-runs-text")
        assert "Last expiry   12:00 done · 1,500 rows in 3 batches · 412 ms" in runs
        assert "Last archive  12:00 done · 0 rows in 0 batches · 7 ms" in runs
        assert "on demand only" in runs
        # The seed's closed stays of past days still hold personal data: no real expiry ran on them.
        assert "record(s) hold personal data past the retention" in text_of(app, "#activity-alerts-text")
        peak = max(c for _h, c in occupancy)
        assert peak > 0 and f"peak {peak}" in app.screen.query_one(OccupancyChart).title_text
        assert f"£{takings:,.2f}" in app.screen.query_one(RevenueChart).title_text

        app.set_alert("disk 95% full")
        await pilot.pause()
        assert "disk 95% full" in text_of(app, "#activity-alerts-text")


def test_audit_details_read_as_words():
    import datetime as dt

    from kiosk.booth import AuditRow
    from kiosk.tui.screens.activity import details_text

    row = AuditRow(1, dt.datetime(2026, 11, 24), "config", "system_config", "1",
                   {"booth": "Booth A", "changes": {"retention_hours": [24, 36], "booth_name": ["A", "B"]}})
    assert details_text(row) == "booth_name A→B, retention_hours 24→36"
    row = AuditRow(2, dt.datetime(2026, 11, 24), "expire", "vehicles", "1-6", {"booth": "A", "count": 6})
    assert details_text(row) == "count=6"


def test_a_reason_reads_as_the_label_of_its_actions_kind():
    import datetime as dt

    from kiosk.booth import AuditRow
    from kiosk.tui.screens.activity import details_text

    at = dt.datetime(2026, 11, 24)
    refund = AuditRow(1, at, "refund", "payments", "2", {"reason": "wrong_vehicle"})
    void = AuditRow(2, at, "void", "payments", "3", {"reason": "wrong_vehicle"})
    assert details_text(refund) == "reason: charged the wrong vehicle"
    assert details_text(void) == "reason: wrong vehicle"
    drop = AuditRow(3, at, "cash_movement", "cash_movements", "1", {"kind": "drop", "reason": "over_limit"})
    assert "reason: drawer over its limit" in details_text(drop)
    free = AuditRow(4, at, "free_exit", "payments", "4", {"reason": "goodwill"})
    assert details_text(free) == "reason: goodwill gesture"


def test_an_expiry_cutoff_reads_in_local_time():
    import datetime as dt
    import zoneinfo

    from kiosk.booth import AuditRow
    from kiosk.tui.screens.activity import details_text

    row = AuditRow(3, dt.datetime(2026, 7, 2), "expire", "vehicles", "1-6", {"count": 6, "cutoff": "2026-07-01 12:32:00"})
    assert details_text(row, zoneinfo.ZoneInfo("Europe/London")) == "count=6, cutoff=2026-07-01 13:32:00 BST"
    assert details_text(row) == "count=6, cutoff=2026-07-01 12:32:00 UTC"
    odd = AuditRow(4, dt.datetime(2026, 7, 2), "expire", "vehicles", "1", {"cutoff": "yesterday"})
    assert details_text(odd) == "cutoff=yesterday"


def test_nice_ticks_cover_the_top_in_round_steps():
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(5) == [0, 2, 4, 6]
    assert nice_ticks(42.5) == [0, 20, 40, 60]
    assert nice_ticks(37) == [0, 10, 20, 30, 40]
    for top in (1, 3, 7, 11, 99, 1234.5):
        ticks = nice_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 7


# ---- snapshots ------------------------------------------------------------------------------


def _snap_app(database, target, clock):
    booth = as_manager(Booth(database, clock, auto_size=False))
    seed(booth, clock)
    fixed_runs(clock.now())
    return make_app(target, database, booth, clock)


async def _ready(pilot):
    await until_ready(pilot, lambda screen: screen.data is not None)


def test_snapshot_activity_80x24(snap_compare, database, target, clock):
    assert snap_compare(_snap_app(database, target, clock), terminal_size=(80, 24), run_before=_ready)


def test_snapshot_activity_160x48(snap_compare, database, target, clock):
    assert snap_compare(_snap_app(database, target, clock), terminal_size=(160, 48), run_before=_ready)
