"""The shift's money: drops, payouts, the X report, the blind count, the sign-off and the Z report."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from staff_support import TEST_PIN, as_manager, person, staff_row

from kiosk.booth import Booth, BoothError, Permission
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, CashMovement, Shift, SystemConfig, ZReport

PHONE = "07400 123456"
D = Decimal


@pytest.fixture
def fresh(database, clock, pin_hasher):
    """A booth acting as the manager, no shift open yet."""
    return as_manager(Booth(database, clock, pin_hasher=pin_hasher))


def _car(booth, plate, clock, hours=1):
    reg = booth.register(plate, "Jane", PHONE, "car")
    clock.advance(hours=hours)
    return reg


def test_a_whole_shift_adds_up_and_closes_with_z_report_1(fresh, clock):
    fresh.open_shift("50.00")
    a = fresh.pay(_car(fresh, "AA11AAA", clock).stay_id, "cash", "20.00")
    b = fresh.pay(_car(fresh, "BB22BBB", clock).stay_id, "card")
    c = fresh.pay(_car(fresh, "CC33CCC", clock).stay_id, "cash", "50")
    fresh.refund(c.payment_id, "wrong_amount")
    drop = fresh.cash_drop("10.00", "safe_drop")
    payout = fresh.payout("1.50", "petty_cash")
    assert (drop.kind, drop.amount, drop.reason, payout.kind, payout.amount) == ("drop", D("10.00"), "safe_drop", "payout", D("1.50"))
    x = fresh.x_report()
    cash = a.amount + c.amount
    assert x.number is None and x.title == "X REPORT" and x.counted_cash is None
    assert (x.payments_count, x.cash, x.card, x.refunds, x.drops, x.payouts) == (3, cash, b.amount, c.amount, D("10.00"), D("1.50"))
    expected = D("50.00") + cash - c.amount - D("10.00") - D("1.50")
    assert x.expected_cash == expected and x.expected_card == b.amount
    assert x.cars_in == 3 and x.cars_out == 3
    assert ("drop", "safe_drop", "drop to the safe", 1, D("10.00")) in x.exceptions
    assert ("refund", "wrong_amount", "wrong amount charged", 1, c.amount) in x.exceptions
    assert x.people == ("Test Manager",)

    result = fresh.close_shift(str(expected), card_batch=str(b.amount))
    assert (result.variance, result.card_variance, result.needs_signoff) == (D("0.00"), D("0.00"), False)
    z = result.report
    assert z is not None and z.number == 1 and z.title == "Z REPORT No. 1" and not z.reprint
    assert (z.counted_cash, z.variance, z.cash, z.refunds) == (expected, D("0.00"), cash, c.amount)
    shift = Shift.get()
    assert (shift.status, shift.counted_cash_cents, shift.closed_by) == ("closed", int(expected * 100), fresh.actor.staff_id)
    row = ZReport.get()
    assert (row.number, row.shift_id, row.cash_cents, row.card_cents, row.refunds_cents, row.drops_cents,
            row.payouts_cents, row.expected_cash_cents, row.variance_cents) == (
        1, shift.id, int(cash * 100), int(b.amount * 100), int(c.amount * 100), 1000, 150, int(expected * 100), 0)
    assert fresh.current_shift() is None
    again = fresh.z_report(1)
    assert again.reprint and "*** REPRINT ***" in "\n".join(again.lines()) and "Z REPORT No. 1" in "\n".join(again.lines())
    assert {**again.__dict__, "reprint": False} == {**z.__dict__, "reprint": False}
    assert all(len(line) <= 42 for line in again.lines())
    actions = [a.action for a in AuditLog.select().order_by(AuditLog.id)]
    assert actions[-2:] == ["shift_count", "shift_close"]
    with pytest.raises(BoothError) as err:
        fresh.pay(_car(fresh, "DD44DDD", clock).stay_id, "card")
    assert err.value.field == "shift"  # closed: no money without a new shift


def test_the_count_per_denomination_and_card_variance(fresh, clock):
    fresh.open_shift(float_pieces={1000: 2})
    paid = fresh.pay(_car(fresh, "AA11AAA", clock).stay_id, "cash", "5")
    expected = D("20.00") + paid.amount
    pieces = {1000: 2, 200: int(paid.amount // 2), 50: int((paid.amount % 2) * 2)}
    assert sum(D(k) / 100 * v for k, v in pieces.items()) == expected
    result = fresh.close_shift(counted_pieces=pieces, card_batch="3.00")
    assert result.counted_cash == expected and result.card_variance == D("3.00") and not result.needs_signoff
    assert json.loads(Shift.get().counted_counts) == {str(k): v for k, v in pieces.items() if v}


def test_over_the_threshold_the_count_is_kept_and_a_supervisor_signs_it_off(fresh, database, clock, pin_hasher):
    ann = Booth(database, clock, pin_hasher=pin_hasher).signed_in(person(fresh, "Ann", "attendant"))
    staff_row("Sam", "supervisor", "55667788")
    ann.open_shift("100.00")
    ann.pay(_car(ann, "AA11AAA", clock).stay_id, "cash", "10")
    result = ann.close_shift("90.00", card_batch="0.00")  # 100 + fee - 90: over the 5.00 threshold
    assert result.needs_signoff and result.report is None and result.variance < D("-5.00")
    shift = Shift.get()
    assert shift.status == "open" and shift.counted_cash_cents == 9000 and ZReport.select().count() == 0
    assert ann.current_shift().counted
    for attempt in (lambda: ann.close_shift("100.00", card_batch="0.00"),  # a second count: refused
                    lambda: ann.close_shift("110.00", card_batch="0.00")):
        with pytest.raises(BoothError) as err:
            attempt()
        assert err.value.code is ErrorCode.REFUSED and "recorded once" in err.value.message
    assert Shift.get().counted_cash_cents == 9000
    with pytest.raises(BoothError) as err:  # no money while it waits
        ann.pay(_car(ann, "BB22BBB", clock).stay_id, "card")
    assert err.value.field == "shift" and "sign off" in err.value.message
    with pytest.raises(BoothError) as err:
        ann.cash_drop("1.00", "safe_drop")
    assert err.value.field == "shift"
    with pytest.raises(BoothError) as err:
        ann.sign_off_shift("miscount")
    assert err.value.code is ErrorCode.FORBIDDEN and err.value.needs == "supervisor"
    approved = ann.signed_in(ann.approve("Sam", "55667788", Permission.SIGN_OFF))
    with pytest.raises(BoothError) as err:
        approved.sign_off_shift("a story")  # the approval is used by this refused call
    assert err.value.field == "reason" and "unexplained" in err.value.message
    approved = ann.signed_in(ann.approve("Sam", "55667788", Permission.SIGN_OFF))
    done = approved.sign_off_shift("miscount")
    z = done.report
    assert z is not None and z.number == 1 and z.signed_off_by_name == "Sam" and z.signoff_code == "miscount"
    assert z.closed_by_name == "Ann" and z.counted_cash == D("90.00") and z.variance == done.variance
    shift = Shift.get()
    assert (shift.status, shift.signed_off_by, shift.signoff_code) == ("closed", staff_row("Sam", "supervisor"), "miscount")
    row = AuditLog.select().where(AuditLog.action == "shift_signoff").get()
    assert (row.staff_id, row.approver_id) == (ann.actor.staff_id, staff_row("Sam", "supervisor"))
    with pytest.raises(BoothError):
        approved.sign_off_shift("miscount")  # nothing open any more


def test_the_threshold_is_the_configured_one(fresh, clock):
    SystemConfig.update(variance_threshold_cents=0).execute()
    fresh.open_shift("10.00")
    assert fresh.close_shift("10.01", card_batch="0").needs_signoff


def test_a_shift_left_open_by_an_earlier_run_takes_no_money_until_the_next_run_closes_it(fresh, database, clock, pin_hasher):
    fresh.open_shift("20.00")
    paid = fresh.pay(_car(fresh, "AA11AAA", clock).stay_id, "cash", "10")
    later = as_manager(Booth(database, clock, pin_hasher=pin_hasher))  # the terminal started again
    info = later.current_shift()
    assert info.left_open and not info.counted
    reg = later.register("BB22BBB", "Jim", PHONE, "car")
    for attempt in (lambda: later.pay(reg.stay_id, "card"), lambda: later.cash_drop("1.00", "safe_drop"),
                    lambda: later.payout("1.00", "supplies"), lambda: later.open_shift("0")):
        with pytest.raises(BoothError) as err:
            attempt()
        assert err.value.field == "shift" and "left open" in err.value.message
    assert later.x_report().cash == paid.amount  # the totals can be seen
    result = later.close_shift(str(D("20.00") + paid.amount), card_batch="0.00")
    assert result.report is not None and result.report.number == 1
    later.open_shift("20.00")
    assert later.pay(reg.stay_id, "card").amount > 0


def test_z_numbers_are_per_booth_and_gapless(database, clock, pin_hasher):
    north = as_manager(Booth(database, clock, booth_name="North", pin_hasher=pin_hasher))
    south = as_manager(Booth(database, clock, booth_name="South", pin_hasher=pin_hasher))
    numbers = []
    for booth in (north, south, north, north, south):
        booth.open_shift("0")
        numbers.append((booth.current_shift().booth_name, booth.close_shift("0", card_batch="0").report.number))
    assert numbers == [("North", 1), ("South", 1), ("North", 2), ("North", 3), ("South", 2)]
    assert north.z_report(2).booth_name == "North" and north.z_report(2, booth="South").booth_name == "South"
    with pytest.raises(BoothError) as err:
        north.z_report(4)
    assert err.value.field == "number" and "1 to 3" in err.value.message
    with pytest.raises(BoothError) as err:
        north.z_report(1, booth="East")
    assert "no Z reports yet" in err.value.message


def test_a_failed_close_takes_no_number(fresh, database, clock, monkeypatch):
    """The number is taken in the closing transaction: a failure after it gives it back."""
    from kiosk.booth import z_reports

    fresh.open_shift("0")

    def broken(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(z_reports.ZReport, "insert", broken)
    with pytest.raises(RuntimeError):
        fresh.close_shift("0", card_batch="0")
    monkeypatch.undo()
    shift = Shift.get()
    assert (shift.status, shift.counted_cash_cents) == ("open", None)  # the count went with it: count again
    assert fresh.close_shift("0", card_batch="0").report.number == 1


@pytest.mark.parametrize("statement", [
    "UPDATE z_reports SET cash_cents = 0",
    "DELETE FROM z_reports",
    "UPDATE cash_movements SET amount_cents = 1",
    "DELETE FROM cash_movements",
    "UPDATE shifts SET counted_cash_cents = 0",
    "DELETE FROM shifts",
])
def test_z_reports_movements_and_closed_shifts_are_immutable_in_the_database(fresh, database, statement):
    fresh.open_shift("10.00")
    fresh.cash_drop("5.00", "safe_drop")
    fresh.close_shift("5.00", card_batch="0")
    before = (ZReport.get().body, CashMovement.get().amount_cents, Shift.get().counted_cash_cents)
    with pytest.raises(Exception) as err:
        with database.atomic():
            database.execute_sql(statement)
    assert "cannot be changed or deleted" in str(err.value)
    assert (ZReport.get().body, CashMovement.get().amount_cents, Shift.get().counted_cash_cents) == before


@pytest.mark.postgres_only
@pytest.mark.parametrize("table", ["z_reports", "cash_movements", "shifts"])
def test_truncate_is_refused_on_postgresql(fresh, database, table):
    fresh.open_shift("10.00")
    fresh.cash_drop("5.00", "safe_drop")
    fresh.close_shift("5.00", card_batch="0")
    with pytest.raises(Exception) as err:
        with database.atomic():
            database.execute_sql(f"TRUNCATE {table} CASCADE")
    assert "cannot be changed or deleted" in str(err.value)
    assert ZReport.select().count() == 1 and CashMovement.select().count() == 1


@pytest.mark.parametrize("kwargs, field", [
    ({"counted_total": "-1", "card_batch": "0"}, "counted"),
    ({"counted_total": "ten", "card_batch": "0"}, "counted"),
    ({"counted_total": "99999999", "card_batch": "0"}, "counted"),
    ({"counted_total": 1.5, "card_batch": "0"}, "counted"),
    ({"counted_total": "1", "counted_pieces": {100: 1}, "card_batch": "0"}, "counted"),
    ({"card_batch": "0"}, "counted"),
    ({"counted_pieces": {300: 1}, "card_batch": "0"}, "counted"),
    ({"counted_pieces": {"fifty": 1}, "card_batch": "0"}, "counted"),
    ({"counted_pieces": {100: -1}, "card_batch": "0"}, "counted"),
    ({"counted_pieces": {100: 10**9}, "card_batch": "0"}, "counted"),
    ({"counted_pieces": [100, 1], "card_batch": "0"}, "counted"),
    ({"counted_total": "1.00"}, "card_batch"),
    ({"counted_total": "1.00", "card_batch": "-3"}, "card_batch"),
    ({"counted_total": "1.00", "card_batch": "lots"}, "card_batch"),
    ({"counted_total": "1.00", "card_batch": "1.005"}, "card_batch"),
])
def test_hostile_counts_are_refused_and_nothing_is_recorded(fresh, kwargs, field):
    fresh.open_shift("1.00")
    with pytest.raises(BoothError) as err:
        fresh.close_shift(**kwargs)
    assert err.value.field == field and err.value.code is ErrorCode.INVALID
    assert Shift.get().counted_cash_cents is None and ZReport.select().count() == 0


@pytest.mark.parametrize("method, amount, reason, field", [
    ("cash_drop", "0", "safe_drop", "amount"),
    ("cash_drop", "-5", "safe_drop", "amount"),
    ("cash_drop", "", "safe_drop", "amount"),
    ("cash_drop", "five", "safe_drop", "amount"),
    ("cash_drop", "20.01", "safe_drop", "amount"),  # more than the drawer should hold
    ("cash_drop", "5", "petty_cash", "reason"),  # a payout's code
    ("payout", "5", "safe_drop", "reason"),
    ("payout", "5", None, "reason"),
    ("payout", 10**12, "supplies", "amount"),
])
def test_hostile_drops_and_payouts_are_refused(fresh, method, amount, reason, field):
    fresh.open_shift("20.00")
    with pytest.raises(BoothError) as err:
        getattr(fresh, method)(amount, reason)
    assert err.value.field == field
    assert CashMovement.select().count() == 0


def test_an_attendant_may_drop_pay_out_and_close_but_not_sign_off_or_list(fresh, database, clock, pin_hasher):
    ann = Booth(database, clock, pin_hasher=pin_hasher).signed_in(person(fresh, "Ann", "attendant", TEST_PIN))
    ann.open_shift("30.00")
    ann.cash_drop("10", "over_limit")
    ann.payout("2", "supplies")
    assert ann.x_report().expected_cash == D("18.00")
    for refused in (lambda: ann.sign_off_shift("miscount"), lambda: ann.shift_list()):
        with pytest.raises(BoothError) as err:
            refused()
        assert err.value.code is ErrorCode.FORBIDDEN
    assert ann.close_shift("18.00", card_batch="0").report.people == ("Ann",)


def test_shift_list_shows_closed_and_open_shifts_newest_first(database, clock, pin_hasher):
    import datetime as dt

    north = as_manager(Booth(database, clock, booth_name="North", pin_hasher=pin_hasher))
    north.open_shift("10.00")
    north.close_shift("10.00", card_batch="0")
    clock.advance(hours=2)
    north.open_shift("5.00")
    rows = north.shift_list()
    assert [(r.status, r.z_number, r.float_amount) for r in rows] == [("open", None, D("5.00")), ("closed", 1, D("10.00"))]
    assert rows[1].counted_cash == D("10.00") and rows[1].variance == D("0.00") and rows[1].people == ("Test Manager",)
    assert north.shift_list(booth="South") == []
    assert len(north.shift_list(since=clock.now() - dt.timedelta(minutes=30))) == 1
    assert len(north.shift_list(until=clock.now() - dt.timedelta(minutes=30))) == 1
    with pytest.raises(BoothError) as err:
        north.shift_list(since=dt.datetime(2026, 1, 1))  # no zone
    assert err.value.field == "since"


@pytest.mark.parametrize("total, pieces", [
    ("-5", None), ("five", None), ("1e3", None), ("100001", None), (1.5, None), (True, None), ("", None),
    (None, None), ("10", {100: 10}),  # neither, and both ways
    (None, {3: 1}), (None, {"a fiver": 1}), (None, {100: "many"}), (None, {100: -2}), (None, {100: 10**7}),
    (None, {100: True}), (None, "100x3"), (None, {5000: 99_999}),  # the last is over the maximum total
])
def test_hostile_floats_are_refused_and_no_shift_opens(fresh, total, pieces):
    with pytest.raises(BoothError) as err:
        fresh.open_shift(total, pieces)
    assert err.value.field == "float" and err.value.code is ErrorCode.INVALID
    assert Shift.select().count() == 0 and fresh.current_shift() is None
