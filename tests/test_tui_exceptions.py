"""The exceptions at the window, driven with Pilot on a real database: a lost ticket (on record, or
the flat fee of a type), a void within the shift, a fee override and a free exit (a supervisor),
a drive-off recorded as a debt, shown at the plate's next entry and collected with a payment (D).
Each asserted on the database and on what the attendant sees; hostile inputs and role refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Input, OptionList, Select

from kiosk.models import AuditLog, Debt, ParkingSpot, Payment, Stay
from kiosk.tui.screens.entry import EntryScreen
from kiosk.tui.screens.fee_override import FeeOverrideDialog
from kiosk.tui.screens.lost_ticket import LostTicketDialog
from kiosk.tui.screens.override import OverrideDialog
from kiosk.tui.screens.payment import PaymentScreen
from kiosk.tui.screens.receipt import ReceiptScreen
from kiosk.tui.screens.refund import DepartedDialog
from kiosk.tui.screens.void import VoidDialog
from staff_support import TEST_PIN, person
from tui_helpers import screen_text, settle

PHONE = "07400 123456"


@pytest.fixture
def parked(booth, clock):
    """A car in at 12:00; it is now 14:33 (3 hours started at £2.50: £7.50)."""
    car = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2, minutes=33)
    return car


def text(app, selector: str) -> str:
    return app.screen.query_one(selector).render().plain


def spot_free(number: str) -> bool:
    return not ParkingSpot.get(ParkingSpot.spot_number == number).is_occupied


async def pick(app, pilot, prefix: str) -> None:
    await settle(app, pilot)
    await pilot.press(*prefix, "enter")
    await settle(app, pilot)


# ---- lost ticket ---------------------------------------------------------------------------------

async def test_a_lost_ticket_on_record_pays_the_fee_from_its_recorded_entry(make_app, parked):
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "^L lost ticket" in screen_text(app)
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert isinstance(app.screen, LostTicketDialog)
        await pilot.press(*"ab12 cde")
        await settle(app, pilot)
        assert "AB12CDE is on site: in 12:00 (2 h 33 min), its fee £7.50" in text(app, "#lost-quote")
        reasons = [str(o.prompt) for o in app.screen.query_one("#lost-reasons", OptionList).options]
        assert reasons == ["1 no ticket", "2 ticket damaged", "3 entry time unknown"]
        await pilot.press("enter", "1", "enter")  # the plate, reason 1 (no note), confirm
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert "LOST TICKET" in text(app, "#pay-stay") and "TOTAL             £7.50" in text(app, "#pay-breakdown")
        assert Payment.select().count() == 0  # nothing taken before C/K and Enter
        await pilot.press("k", "enter")
        await settle(app, pilot)
        pay = Payment.get()
        assert (pay.stay_id, pay.amount_cents, pay.exception, pay.reason) == (parked.stay_id, 750, "lost_ticket", "no_ticket")
        assert Stay.get_by_id(parked.stay_id).status == "paid" and spot_free("A01")
        assert isinstance(app.screen, ReceiptScreen) and "LOST TICKET" in text(app, "#receipt-text")


async def test_a_lost_ticket_not_on_record_pays_the_flat_fee_of_the_type_chosen(make_app, booth):
    booth.set_rate("van", "4.00", lost_ticket="25")
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        app.screen.query_one("#lost-type", Select).value = "van"
        await pilot.press(*"ZZ99ZZZ")
        await settle(app, pilot)
        assert "ZZ99ZZZ is not on record: the flat lost-ticket fee, £25.00" in text(app, "#lost-quote")
        await pilot.press("enter", "2", "enter")
        await settle(app, pilot)
        breakdown = text(app, "#pay-breakdown")
        assert "not on record" in breakdown and "flat fee (van)" in breakdown and "£25.00" in breakdown
        await pilot.press("c", *"20")  # short: said, and refused before anything is written
        assert "£5.00 short" in text(app, "#pay-change")
        await pilot.press("enter")
        await settle(app, pilot)
        assert Payment.select().count() == 0
        await pilot.press("backspace", "backspace", *"30", "enter")
        await settle(app, pilot)
        pay = Payment.get()
        assert (pay.amount_cents, pay.tendered_cents, pay.change_cents, pay.exception, pay.reason) == (
            2500, 3000, 500, "lost_ticket", "ticket_damaged")
        assert "LOST TICKET" in text(app, "#receipt-text") and "not on record" in text(app, "#receipt-text")


async def test_a_lost_ticket_refuses_a_bad_plate_and_asks_for_it_before_the_reason(make_app, parked):
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        await pilot.press(*"!!")
        await settle(app, pilot)
        assert app.screen.query_one(".dialog-message").kind == "error"
        await pilot.press("tab", "tab", "1", "enter")  # a reason with no plate: asks for the plate
        await settle(app, pilot)
        assert "type the plate first" in text(app, ".dialog-message")
        assert app.focused is app.screen.query_one("#lost-plate", Input)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen) and Payment.select().count() == 0


# ---- void ------------------------------------------------------------------------------------------

async def test_an_attendant_voids_a_payment_of_this_shift_and_the_car_is_back_on_its_spot(make_app, booth, parked):
    paid = booth.pay(parked.stay_id, "card")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "^Z void" in screen_text(app)
        await pilot.press("ctrl+z")  # an attendant's key: no approval
        await settle(app, pilot)
        assert isinstance(app.screen, VoidDialog)
        reasons = [str(o.prompt) for o in app.screen.query_one("#void-reasons", OptionList).options]
        assert reasons[0] == "1 keyed in error" and reasons[-1] == "4 other (say why in the note)"
        await pilot.press("enter", "2", "enter")  # the payment, wrong method, confirm
        await settle(app, pilot)
        assert isinstance(app.screen, ReceiptScreen) and "VOID" in text(app, "#receipt-text")
        void = Payment.get(Payment.refund_of == paid.payment_id)
        assert (void.amount_cents, void.payment_status, void.exception, void.reason) == (-750, "voided", "void",
                                                                                       "wrong_method")
        assert Stay.get_by_id(parked.stay_id).status == "open" and not spot_free("A01")
        row = AuditLog.get(AuditLog.action == "void")
        assert row.staff_id == app.services.actor.staff_id and row.approver_id is None
        await pilot.press("escape")
        await settle(app, pilot)
        assert "voided £7.50 of payment 1: wrong payment method; the car is back on its spot" in text(app, "#pay-message")
        await pilot.press("ctrl+z")  # voided: it can no longer be chosen
        await settle(app, pilot)
        assert all(o.disabled for o in app.screen.query_one("#void-payments", OptionList).options)
        assert "no payment to void" in text(app, ".dialog-message")


async def test_a_void_the_booth_refuses_says_a_refund_is_the_way_and_changes_nothing(make_app, booth, parked, clock):
    booth.pay(parked.stay_id, "card")
    clock.advance(minutes=5)
    booth.register("AB12CDE", "Jane", PHONE, "car")  # the car came back: the paid stay cannot be put back
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        await pilot.press("enter", "1", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, VoidDialog)
        message = text(app, ".dialog-message")
        assert "refund" in message and app.screen.query_one(".dialog-message").kind == "error"
        assert Payment.select().where(Payment.refund_of.is_null(False)).count() == 0


# ---- fee override and free exit -------------------------------------------------------------------------

async def test_an_attendants_fee_override_needs_a_supervisor_and_records_the_waived_amount(make_app, booth, parked):
    sup = person(booth, "Sue Parker", "supervisor")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(app, pilot, "AB1")
        assert "^O override: needs a supervisor" in screen_text(app)
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)
        await pilot.press(*"Sue", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FeeOverrideDialog)
        for bad, said in (("7.50", "not less than the fee"), ("abc", "not an amount"), ("-1", "negative")):
            app.screen.query_one("#override-amount", Input).value = bad
            await pilot.pause()
            assert said in text(app, "#override-waived"), bad
        app.screen.query_one("#override-amount", Input).value = ""
        await pilot.press(*"3")
        assert "= £3.00: £4.50 waived" in text(app, "#override-waived")
        await pilot.press("enter", "1", "enter")  # reason 1: emergency vehicle (no note)
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        breakdown = text(app, "#pay-breakdown")
        assert "waived" in breakdown and "-£4.50 (emergency vehicle)" in breakdown and "TOTAL             £3.00" in breakdown
        assert Payment.select().count() == 0
        await pilot.press("k", "enter")
        await settle(app, pilot)
        pay = Payment.get()
        assert (pay.amount_cents, pay.waived_cents, pay.exception, pay.reason) == (300, 450, "override",
                                                                                   "emergency_vehicle")
        row = AuditLog.select().where(AuditLog.approver_id.is_null(False)).order_by(AuditLog.id.desc()).get()
        assert (row.staff_id, row.approver_id) == (app.services.actor.staff_id, sup.staff_id)
        assert "FEE OVERRIDE" in text(app, "#receipt-text")


async def test_a_free_exit_by_a_manager_with_a_note_closes_the_stay_charging_nothing(make_app, parked):
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(app, pilot, "AB1")
        await pilot.press("ctrl+o")  # a manager: no approval asked
        await settle(app, pilot)
        assert isinstance(app.screen, FeeOverrideDialog)
        assert "empty or 0: free exit, £7.50 waived" in text(app, "#override-waived")
        await pilot.press("enter", "4", *"fire brigade at the gate", "enter")  # goodwill takes a note
        await settle(app, pilot)
        pay = Payment.get()
        assert (pay.amount_cents, pay.waived_cents, pay.exception, pay.reason) == (0, 750, "override", "goodwill")
        stay = Stay.get_by_id(parked.stay_id)
        assert stay.status == "paid" and stay.note == "fire brigade at the gate" and spot_free("A01")
        assert isinstance(app.screen, ReceiptScreen) and "FREE EXIT" in text(app, "#receipt-text")
        await pilot.press("escape")
        await settle(app, pilot)
        assert "free exit for AB12CDE: £7.50 waived; spot A01 is free" in text(app, "#pay-message")


async def test_escape_at_the_approval_does_nothing_and_override_needs_a_car(make_app, booth, parked):
    person(booth, "Sue", "supervisor")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+o")  # no car picked: said, nothing asked
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen) and "pick the car first" in text(app, "#pay-message")
        await pick(app, pilot, "AB1")
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        await pilot.press(*"Sue", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen) and Payment.select().count() == 0


async def test_an_attendant_cannot_approve_an_override(make_app, booth, parked):
    person(booth, "Art", "attendant")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(app, pilot, "AB1")
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        await pilot.press(*"Art", "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)  # refused: still asking
        assert Payment.select().count() == 0


# ---- drive-off: a debt, shown at the next entry, collected with a payment ----------------------------------

async def test_a_drive_off_is_a_debt_shown_at_the_next_entry_and_collected_with_one_key(make_app, booth, clock):
    stay = booth.register("OLD1", "Jo", PHONE, "car")
    clock.advance(hours=30)  # an overstay: 30 hours, capped by no daily cap: £75.00
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(app, pilot, "OLD")
        fee = app.screen._fee.total
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        assert isinstance(app.screen, DepartedDialog)
        await pilot.press("1", "enter")  # left without paying (a note allowed; none typed)
        await settle(app, pilot)
        debt = Debt.get()
        assert (debt.stay_id, debt.amount_cents, debt.settled_at) == (stay.stay_id, int(fee * 100), None)
        assert f"a debt of £{fee:.2f} is recorded against the plate" in text(app, "#pay-message")

        clock.advance(days=2)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, EntryScreen)
        await pilot.press(*"OLD1", "tab", *"Jo", "tab", *PHONE, "enter")
        await settle(app, pilot)
        note = text(app, "#entry-result-note")
        assert f"owes £{fee:.2f} from 25 Nov" in note and "Collect it at payment" in note

        clock.advance(hours=1)
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("escape")
        await pick(app, pilot, "OLD")
        assert "owes" in text(app, "#pay-message") and "D adds it" in text(app, "#pay-message")
        assert "not added: D adds it" in text(app, "#pay-breakdown") and "TOTAL             £2.50" in text(app, "#pay-breakdown")
        await pilot.press("d")
        await settle(app, pilot)
        total = fee + Decimal("2.50")
        assert f"TOTAL             £{total:.2f}" in text(app, "#pay-breakdown")
        await pilot.press("k", "enter")
        await settle(app, pilot)
        pay = Payment.get()
        assert (pay.amount_cents, pay.debt_cents) == (int(total * 100), int(fee * 100))
        assert Debt.get().settled_by == pay.id
        assert "unpaid earlier stays" in text(app, "#receipt-text")


async def test_d_is_text_in_the_plate_field_and_does_nothing_without_a_debt(make_app, parked):
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(app, pilot, "AB1")
        await pilot.press("d")  # no debt: nothing changes
        await settle(app, pilot)
        assert "TOTAL             £7.50" in text(app, "#pay-breakdown")
        await pilot.press("k", "enter")
        await settle(app, pilot)
        assert Payment.get().debt_cents in (None, 0)



# ---- snapshots (80x24) -------------------------------------------------------------------------------------

def _no_blink(app) -> None:
    for input_ in app.screen.query(Input):
        input_.cursor_blink = False


def test_snapshot_lost_ticket_80x24(snap_compare, make_app, parked):
    async def opened(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("ctrl+l")
        await settle(pilot.app, pilot)
        _no_blink(pilot.app)
        await pilot.press(*"AB12CDE")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(mode="payment"), terminal_size=(80, 24), run_before=opened)


def test_snapshot_void_80x24(snap_compare, make_app, booth, parked):
    booth.pay(parked.stay_id, "card")

    async def opened(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("ctrl+z")
        await settle(pilot.app, pilot)
        _no_blink(pilot.app)

    assert snap_compare(make_app(mode="payment"), terminal_size=(80, 24), run_before=opened)


def test_snapshot_fee_override_80x24(snap_compare, make_app, parked):
    async def opened(pilot):
        await pick(pilot.app, pilot, "AB1")
        await pilot.press("ctrl+o")
        await settle(pilot.app, pilot)
        _no_blink(pilot.app)
        await pilot.press("3")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(mode="payment"), terminal_size=(80, 24), run_before=opened)


def test_snapshot_payment_with_a_debt_80x24(snap_compare, make_app, booth, clock):
    stay = booth.register("OLD1", "Jo", PHONE, "car")
    clock.advance(hours=30)
    booth.close_departed(stay.stay_id, "left_without_paying")
    booth.register("OLD1", "Jo", PHONE, "car")
    clock.advance(hours=1)

    async def picked(pilot):
        _no_blink(pilot.app)
        await pick(pilot.app, pilot, "OLD")
        await pilot.press("d")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(mode="payment", role="attendant"), terminal_size=(80, 24), run_before=picked)
