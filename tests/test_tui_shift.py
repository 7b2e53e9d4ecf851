"""The shift in the terminal (F7), driven with Pilot on a real migrated database: opening with a
float (a total or per note and coin), a shift left open by an earlier run, Payment's keys
without a shift, hostile counts and amounts (said beside the field, nothing saved)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Input

from kiosk.models import AuditLog, Shift
from kiosk.tui.app import build_app
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.payment import PaymentScreen
from kiosk.tui.screens.shift import ShiftScreen
from kiosk.tui.services import booth_services
from kiosk.tui.widgets.cash_count import CashCount
from kiosk.tui.widgets.field_hint import FieldHint
from staff_support import person, staff_name
from tui_helpers import screen_text, settle

PHONE = "07400 123456"


@pytest.fixture
def terminal(make_booth, target, database, clock, tmp_path):
    """terminal(role) -> the app signed in as that role on a booth of its own run, with no shift of
    that run open (`site`: give one booth to share its run, as a relief within one run does)."""
    def make(role="attendant", site=None, mode="entry"):
        base = site or make_booth(database, clock, actor=None)
        acting = base.signed_in(person(base, staff_name(role), role))
        services = booth_services(acting, receipts_dir=tmp_path / "receipts", refresh_seconds=3600.0)
        return build_app(target, database, "1.10.0", services=services, clock=clock, mode=mode, freeze_gc=False,
                         idle_check_seconds=None)

    return make


def hint(app, selector: str) -> FieldHint:
    return app.screen.query_one(selector, FieldHint)


def no_blink(app) -> None:
    for box in app.screen.query(Input):
        box.cursor_blink = False


# ---- opening ----------------------------------------------------------------------------------

async def test_signed_in_with_no_shift_the_terminal_opens_on_the_float_and_one_enter_opens_it(terminal):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen)
        assert "No shift is open at this booth" in screen_text(app)
        # per note and coin: Tab from the total to £50, £20, £10 ... (2 x £50, 3 x £10, 10 x 50p); the running total below
        await pilot.press("tab", "2", "tab", "tab", "3", "tab", "tab", "tab", "tab", *"10")
        assert "= £135.00 counted per note and coin" in hint(app, "#float-sum").text
        await pilot.press("enter")
        await settle(app, pilot)
        shift = Shift.get()
        assert (shift.status, shift.float_cents) == ("open", 13500)
        assert shift.opened_by == app.services.actor.staff_id
        assert "shift_open" in [a.action for a in AuditLog.select()]
        assert "is open: float £135.00" in screen_text(app)


async def test_the_float_as_a_total(terminal):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"150", "enter")
        await settle(app, pilot)
        assert Shift.get().float_cents == 15000 and Shift.get().float_counts is None


@pytest.mark.parametrize("keys, said", [
    (["tab", "x"], "must be a whole number"),
    (["tab", *"-1"], "must be a whole number"),
    (["tab", *"100001"], "must be a whole number"),
    ([*"12.345"], "12.345"),
    ([*"abc"], "abc"),
    ([*"5", "tab", "1"], "not both"),
    ([*"99999999"], "99999999"),
])
async def test_hostile_floats_are_said_beside_the_count_and_open_nothing(terminal, keys, said):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*keys, "enter")
        await settle(app, pilot)
        sum_hint = hint(app, "#float-sum")
        assert sum_hint.kind == "error" and said in sum_hint.text
        assert Shift.select().count() == 0


async def test_enter_with_nothing_counted_says_what_to_type(terminal):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "neither" in hint(app, "#float-sum").text
        assert Shift.select().count() == 0


# ---- left open ---------------------------------------------------------------------------------

async def test_a_shift_left_open_by_an_earlier_run_is_said_with_who_and_when_and_leads_to_the_close(
        terminal, make_booth, database, clock):
    earlier = make_booth(database, clock)  # the test manager's run, which opened a shift and went away
    assert earlier.current_shift() is not None
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen)
        text = " ".join(screen_text(app).split())
        assert "opened by Test Manager" in text and "was left open by an earlier run" in text
        await pilot.press("f3")  # Payment says it first
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert "open a shift first (F7)" in screen_text(app)


# ---- with a shift open: Entry first, as before ----------------------------------------------------

async def test_signed_in_with_this_runs_shift_open_the_terminal_opens_where_asked(terminal, make_booth, database, clock):
    site = make_booth(database, clock, actor=None)
    app = terminal(site=site)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen)
        await pilot.press(*"40", "enter")
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
    relief = terminal(role="supervisor", site=site)  # the same run: the shift is theirs to go on with
    async with relief.run_test(size=(80, 24)) as pilot:
        await settle(relief, pilot)
        assert isinstance(relief.screen, EntryScreen)
        assert Decimal(Shift.get().float_cents) == 4000
