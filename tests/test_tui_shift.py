"""The shift in the terminal (F7), driven with Pilot on a real migrated database: opening with a
float (a total or per note and coin), a shift left open by an earlier run, Payment's keys
without a shift, hostile counts and amounts (said beside the field, nothing saved)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Input

from kiosk.models import AuditLog, CashMovement, Payment, Shift, Staff, ZReport
from kiosk.tui.app import build_app
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.override import OverrideDialog
from kiosk.tui.screens.payment import PaymentScreen
from kiosk.tui.screens.shift import ShiftScreen
from kiosk.tui.screens.shift_close import CloseShiftScreen
from kiosk.tui.screens.shift_dialogs import MovementDialog, ReportScreen
from kiosk.tui.screens.sign_in import SignInScreen
from kiosk.tui.services import booth_services
from kiosk.tui.widgets.field_hint import FieldHint
from staff_support import TEST_PIN, person, staff_name, staff_row
from tui_helpers import burst, screen_text, settle

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
                         idle_check_seconds=None, shift_first=True)  # as the terminal `kiosk` starts

    return make


def text(app) -> str:
    """The screen's text, runs of spaces and line breaks squeezed."""
    return " ".join(screen_text(app).split())


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
        assert "is open: float £135.00" in text(app)


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


# ---- a whole shift ------------------------------------------------------------------------------

async def register(app, pilot, plate: str, name: str = "Jane Doe") -> None:
    await pilot.press("f1")
    await settle(app, pilot)
    await pilot.press(*plate, "tab", *name, "tab", *PHONE, "enter")
    await settle(app, pilot)


async def pay(app, pilot, prefix: str, method: str, tendered: str = "") -> None:
    await pilot.press("f3")
    await settle(app, pilot)
    await pilot.press(*prefix, "enter")
    await settle(app, pilot)
    await pilot.press(method, *tendered, "enter")
    await settle(app, pilot)
    await pilot.press("escape")  # the receipt
    await settle(app, pilot)


async def test_a_whole_shift_in_the_terminal(terminal, clock):
    """Open with a float, cars in and out, cash and card, a drop and a payout, the X report, the
    blind close, the result, the Z report; then the next attendant signs in and opens theirs."""
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen)
        await pilot.press(*"100", "enter")  # the float as a total
        await settle(app, pilot)
        await register(app, pilot, "AB12CDE")
        await register(app, pilot, "XY34ZZZ", "Jim Roe")
        clock.advance(hours=2, minutes=33)  # 3 hours started at £2.50: £7.50 each
        await pay(app, pilot, "AB1", "c", "10")
        await pay(app, pilot, "XY3", "k")
        assert sorted(p.payment_method for p in Payment.select()) == ["card", "cash"]
        shift = Shift.get()
        assert {p.shift_id for p in Payment.select()} == {shift.id}

        await pilot.press("f7")
        await settle(app, pilot)
        assert "payments 2" in text(app) and "cars in 2" in text(app)
        await pilot.press("d")  # a drop to the safe
        await settle(app, pilot)
        assert isinstance(app.screen, MovementDialog)
        await pilot.press(*"50", "enter", "1")
        await settle(app, pilot)
        await pilot.press("p")  # a payout for supplies
        await settle(app, pilot)
        await pilot.press(*"2.50", "enter", "2")
        await settle(app, pilot)
        moves = [(m.kind, m.amount_cents, m.reason) for m in CashMovement.select().order_by(CashMovement.id)]
        assert moves == [("drop", 5000, "safe_drop"), ("payout", 250, "supplies")]
        assert "payout of £2.50 recorded: supplies" in text(app)

        await pilot.press("x")  # the X report, as printed
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen) and "X REPORT" in text(app)
        assert "expected" not in text(app) and "counted blind at the close" in text(app)  # the close stays blind
        await pilot.press("p")  # no printer set up: said, and nothing lost
        await settle(app, pilot)
        assert "no receipt printer is set up" in text(app)
        await pilot.press("enter")
        await settle(app, pilot)

        await pilot.press("c")  # the blind count: nothing expected is shown before it is recorded
        await settle(app, pilot)
        assert isinstance(app.screen, CloseShiftScreen)
        assert "expected" not in text(app).lower()
        # expected cash: 100 + 7.50 - 50 drop - 2.50 payout = 55.00; counted per note and coin: 2 x £20, £10, £5
        await pilot.press("tab", "tab", "2", "tab", "1", "tab", "1")
        await pilot.press("escape")  # Esc before it is recorded: nothing recorded... (back to the Shift screen)
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen) and Shift.get().counted_cash_cents is None
        await pilot.press("c")
        await settle(app, pilot)
        burst(app, "tab", "tab", "2", "tab", "1", "tab", "1")  # in one burst, as tmux or a fast typist sends them
        await settle(app, pilot)
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"7.50", "enter")  # checked: said back, not yet recorded
        await settle(app, pilot)
        assert "cash counted £55.00, card batch £7.50" in text(app) and Shift.get().counted_cash_cents is None
        await pilot.press("enter")  # recorded: now the result
        await settle(app, pilot)
        shown = text(app)
        assert "cash expected £55.00" in shown and "variance £0.00" in shown and "card expected £7.50" in shown
        await pilot.press("enter")  # the Z report
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen) and "Z REPORT No. 1" in text(app)
        closed = Shift.get()
        assert (closed.status, closed.counted_cash_cents, closed.variance_cents, closed.card_batch_cents) == (
            "closed", 5500, 0, 750)
        assert ZReport.get().number == 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen) and "No shift is open" in text(app)
        assert "F8 next attendant" in text(app)

        await pilot.press("f8")  # relief: the next attendant signs in and opens, without quitting
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        person_row = staff_row("Bob Next", "attendant")
        await pilot.press(*"Bob Next", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen) and "Bob Next (attendant)" in text(app)
        await pilot.press(*"55", "enter")
        await settle(app, pilot)
        second = Shift.select().order_by(Shift.id.desc()).get()
        assert (second.status, second.opened_by, second.float_cents) == ("open", person_row, 5500)


async def test_a_whole_shift_with_a_void_and_a_drive_off(terminal, clock):
    """As test_a_whole_shift_in_the_terminal, plus a cash payment voided in the same shift (the car
    back on its spot, then paid by card) and an overstay that drove off (a debt): the drawer's
    expected cash leaves the voided payment out, and the Z report counts the void."""
    from kiosk.models import Debt

    app = terminal(role="manager")  # closing an overstay as departed is a supervisor's: a manager here
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await register(app, pilot, "AB12CDE")
        await register(app, pilot, "XY34ZZZ", "Jim Roe")
        await register(app, pilot, "OLD1", "Jo Old")
        clock.advance(hours=2, minutes=33)  # £7.50 a car
        await pay(app, pilot, "AB1", "c", "10")
        await pilot.press("ctrl+z")  # void it: the payment, keyed in error, confirm; the VOID slip
        await settle(app, pilot)
        await pilot.press("enter", "1", "enter")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        voided = Payment.get(Payment.payment_status == "voided")
        assert voided.amount_cents == -750 and voided.shift_id == Shift.get().id
        await pay(app, pilot, "AB1", "k")  # back on its spot: paid again, by card
        await pay(app, pilot, "XY3", "c", "10")
        clock.advance(hours=30)  # OLD1 overstays, and drives off
        await pilot.press(*"OLD", "enter")
        await settle(app, pilot)
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        await pilot.press("1", "enter")  # left without paying
        await settle(app, pilot)
        assert Debt.select().count() == 1

        await pilot.press("f7", "c")
        await settle(app, pilot)
        await pilot.press(*"107.50")  # 100 + 7.50 + 7.50 - 7.50 voided
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"7.50", "enter", "enter")
        await settle(app, pilot)
        assert "cash expected £107.50" in text(app) and "variance £0.00" in text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        z = text(app)
        assert isinstance(app.screen, ReportScreen) and "Z REPORT No. 1" in z
        assert "voids £7.50" in z or "voids -£7.50" in z
        assert Shift.get().status == "closed"


async def test_a_variance_over_the_threshold_needs_a_supervisor_s_sign_off(terminal, clock, make_booth, database):
    staff_row("Sue Super", "supervisor")
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"90")  # £10 short: over the £5.00 threshold
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"0", "enter", "enter")
        await settle(app, pilot)
        shown = text(app)
        assert "variance -£10.00" in shown and "signs it off" in shown
        counted = Shift.get()
        assert (counted.status, counted.counted_cash_cents) == ("open", 9000)
        await pilot.press("1")  # miscount: an attendant may not sign off, so the override dialog asks
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)
        await pilot.press(*"Sue", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen) and "Z REPORT No. 1" in text(app)
        closed = Shift.get()
        assert (closed.status, closed.signoff_code, closed.signed_off_by) == (
            "closed", "miscount", Staff.get(Staff.display_name == "Sue Super").id)


async def test_a_counted_shift_left_waiting_for_its_sign_off_refuses_money_and_leads_to_it(terminal, clock):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"80")
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"0", "enter", "enter")
        await settle(app, pilot)
        await pilot.press("escape")  # later: the count is kept, the shift stays open
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen) and "is counted" in text(app)
        await pilot.press("f3")
        await settle(app, pilot)
        assert "open a shift first (F7)" in text(app)
        await pilot.press("f7", "c")
        await settle(app, pilot)
        assert isinstance(app.screen, CloseShiftScreen) and "1 miscount" in text(app)
        assert Shift.get().counted_cash_cents == 8000  # not asked again: the count is not redone


async def test_the_shift_left_open_is_closed_blind_here_then_a_new_one_opens(terminal, make_booth, database, clock):
    make_booth(database, clock)  # an earlier run's shift, float £0.00, nothing taken
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # Enter leads to the blind close
        await settle(app, pilot)
        assert isinstance(app.screen, CloseShiftScreen) and "left open by an earlier run" in text(app)
        await pilot.press(*"0")
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"0", "enter", "enter")
        await settle(app, pilot)
        assert "variance £0.00" in text(app)
        await pilot.press("enter", "enter")  # the Z report, then back
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen) and "No shift is open" in text(app)
        await pilot.press(*"20", "enter")
        await settle(app, pilot)
        assert [s.status for s in Shift.select().order_by(Shift.id)] == ["closed", "open"]


# ---- hostile input in the shift's other fields ----------------------------------------------------

@pytest.mark.parametrize("amount, said", [
    ("0", "0.01"), ("-5", "negative"), ("abc", "abc"), ("1.234", "1.234"), ("100001", "100000"), ("", "amount"),
])
async def test_hostile_drop_amounts_are_said_beside_the_amount_and_record_nothing(terminal, amount, said):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press(*amount, "enter")  # refused: the focus stays in the amount, no reason is offered
        await settle(app, pilot)
        assert isinstance(app.screen, MovementDialog) and app.screen.focused.id == "movement-amount"
        amount_hint = hint(app, "#movement-amount-hint")
        assert amount_hint.kind == "error" and said in amount_hint.text
        assert CashMovement.select().count() == 0


async def test_a_drop_larger_than_the_drawer_or_without_a_reason_is_refused_in_the_dialog(terminal):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await pilot.press("p", *"5", "enter", "9")  # no ninth payout reason: nothing picked
        await settle(app, pilot)
        assert isinstance(app.screen, MovementDialog) and CashMovement.select().count() == 0
        await pilot.press("escape")  # cancelled: nothing recorded
        await settle(app, pilot)
        assert isinstance(app.screen, ShiftScreen) and CashMovement.select().count() == 0


@pytest.mark.parametrize("cash, card, where, said", [
    ("abc", "0", "#close-cash-sum", "abc"),
    ("", "0", "#close-cash-sum", "neither"),
    ("10", "", "#close-card-hint", "batch total"),
    ("10", "-1", "#close-card-hint", "negative"),
    ("10", "x", "#close-card-hint", "x"),
])
async def test_hostile_counts_at_the_close_are_said_beside_the_field_and_record_nothing(terminal, cash, card, where,
                                                                                       said):
    app = terminal()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*cash)
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*card, "enter", "enter")
        await settle(app, pilot)
        field_hint = hint(app, where)
        assert field_hint.kind == "error" and said in field_hint.text
        assert Shift.get().counted_cash_cents is None and "expected" not in text(app).lower()


# ---- snapshots at 80x24 (plain def: snap_compare runs its own event loop) ----------------------------

def _float_typed(pilot):
    async def run(pilot):
        app = pilot.app
        await settle(app, pilot)
        no_blink(app)
        await pilot.press("tab", "2", "tab", "tab", "3", "tab", "tab", "tab", "tab", *"1x")  # one count refused
        await settle(app, pilot)
    return run(pilot)


def test_snapshot_open_shift_80x24(snap_compare, terminal):
    assert snap_compare(terminal(), terminal_size=(80, 24), run_before=_float_typed)


def test_snapshot_shift_open_80x24(snap_compare, terminal, clock):
    async def during(pilot):
        app = pilot.app
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await register(app, pilot, "AB12CDE")
        clock.advance(hours=2, minutes=33)
        await pay(app, pilot, "AB1", "c", "10")
        await pilot.press("f7", "d")
        await settle(app, pilot)
        await pilot.press(*"50", "enter", "1")
        await settle(app, pilot)

    assert snap_compare(terminal(), terminal_size=(80, 24), run_before=during)


def test_snapshot_blind_close_80x24(snap_compare, terminal):
    async def counting(pilot):
        app = pilot.app
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        no_blink(app)
        await pilot.press("tab", "tab", "4", "tab", "1", "tab", "1")
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"0", "enter")
        await settle(app, pilot)

    assert snap_compare(terminal(), terminal_size=(80, 24), run_before=counting)


def test_snapshot_close_result_over_the_threshold_80x24(snap_compare, terminal):
    async def over(pilot):
        app = pilot.app
        await settle(app, pilot)
        await pilot.press(*"100", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"90")
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"0", "enter", "enter")
        await settle(app, pilot)

    assert snap_compare(terminal(), terminal_size=(80, 24), run_before=over)


async def test_the_z_report_prints_and_printed_again_says_reprint(terminal):
    app = terminal()
    printed: list[tuple[str, list[str]]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        # the receipt printer's queue as the app offers it (kiosk.tui.printing): a job id, never blocking
        app.print_report = lambda title, lines: printed.append((title, list(lines))) or len(printed)
        await settle(app, pilot)
        await pilot.press(*"20", "enter")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"20")
        app.screen.query_one("#close-card", Input).focus()
        await pilot.press(*"0", "enter", "enter")
        await settle(app, pilot)
        await pilot.press("enter")  # the Z report
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        assert [title for title, _lines in printed] == ["Z REPORT No. 1", "Z REPORT No. 1"]
        assert not any("REPRINT" in line for line in printed[0][1])
        assert any("REPRINT" in line for line in printed[1][1])
        assert "sent to the printer" in text(app)


def test_the_terminal_kiosk_starts_shows_the_shift_first(target, database):
    import gc

    from kiosk.cli import build_terminal

    try:
        app, _presence = build_terminal(target)  # as `kiosk` builds it (not run: its presence is not entered)
        assert app.session.shift_first
    finally:
        gc.unfreeze()  # build_terminal freezes its imports for good; this worker process lives on
