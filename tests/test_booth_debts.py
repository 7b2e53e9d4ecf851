"""Drive-offs: a stay closed as left without paying owes its fee; the plate's next entry shows it,
its next payment can collect it (exactly, once, also when retried or raced by another booth), and
the debt outlives the expiry of the person's details."""

import dataclasses
import json
import threading
from decimal import Decimal

import pytest
from staff_support import as_manager, on_shift

from kiosk.booth import Booth, BoothError
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, Debt, Payment, Stay, Vehicle

PHONE = "07400 123456"


@pytest.fixture
def drove_off(booth, clock):
    """AB12CDE parked 2 h 10 min (7.50) and left without paying; then it is back."""
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2, minutes=10)
    debt = booth.close_departed(reg.stay_id, "left_without_paying", note="barrier up, drove through")
    return reg, debt


def test_a_drive_off_is_a_debt_of_the_fee_at_that_moment(booth, clock, drove_off):
    reg, debt = drove_off
    row = Debt.get_by_id(debt.debt_id)
    assert (row.vehicle_id, row.stay_id, row.amount_cents, row.created_at, row.settled_by, row.settled_at) == (
        reg.vehicle_id, reg.stay_id, 750, clock.now(), None, None)
    assert (row.shift_id, row.staff_id) == (booth.current_shift().id, booth.actor.staff_id)
    assert (debt.amount, debt.stay_id, debt.entry_at) == (Decimal("7.50"), reg.stay_id, reg.entry_at)
    stay = Stay.get_by_id(reg.stay_id)
    assert (stay.status, stay.closed_reason, stay.note) == ("departed", "left_without_paying", "barrier up, drove through")
    audit = AuditLog.get(AuditLog.action == "departed")
    details = json.loads(audit.details)
    assert (details["debt_id"], details["debt"]) == (debt.debt_id, "7.50")
    assert "drove through" not in audit.details and "AB12CDE" not in audit.details


@pytest.mark.parametrize("reason", ["registered_in_error", "vehicle_removed", "paid_elsewhere"])
def test_other_departures_owe_nothing(booth, clock, reason):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=3)
    assert booth.close_departed(reg.stay_id, reason) is None
    assert Debt.select().count() == 0 and booth.debts_for("AB12CDE") == []


def test_a_drive_off_inside_the_fee_free_time_owes_nothing(booth, clock):
    booth.set_rate("car", "2.50", minimum_hours=0, grace_minutes=15)
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(minutes=10)
    assert booth.close_departed(reg.stay_id, "left_without_paying") is None
    assert Debt.select().count() == 0 and Stay.get_by_id(reg.stay_id).status == "departed"


def test_the_next_entry_shows_the_debt_and_the_next_payment_collects_it_exactly(booth, clock, drove_off):
    reg, debt = drove_off
    clock.advance(days=2)
    back = booth.register("ab12cde", "Jane", PHONE, "car")
    assert back.debts == (debt,)
    assert booth.debts_for("AB-12 CDE") == [debt]
    clock.advance(minutes=50)  # 2.50 for this visit
    with pytest.raises(BoothError) as caught:  # the cash must cover the debt too
        booth.pay(back.stay_id, "cash", "9.99", collect_debts=True)
    assert caught.value.field == "tendered" and Debt.get_by_id(debt.debt_id).settled_by is None
    receipt = booth.pay(back.stay_id, "cash", "20", transaction_id="T-1", collect_debts=True)
    assert (receipt.amount, receipt.debts, receipt.change, receipt.breakdown.total) == (
        Decimal("10.00"), Decimal("7.50"), Decimal("10.00"), Decimal("2.50"))
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.amount_cents, p.debt_cents, p.exception) == (1000, 750, None)
    row = Debt.get_by_id(debt.debt_id)
    assert (row.settled_by, row.settled_at) == (receipt.payment_id, clock.now())
    assert booth.debts_for("AB12CDE") == []
    audit = AuditLog.select().where(AuditLog.action == "payment").order_by(AuditLog.id.desc()).get()
    assert json.loads(audit.details)["debts"] == [debt.debt_id]
    text = receipt.text()
    assert "unpaid earlier stays" in text and "£7.50" in text and "£10.00" in text
    # A retried request is handed the same receipt: nothing more is charged or settled.
    again = booth.pay(back.stay_id, "cash", "20", transaction_id="T-1", collect_debts=True)
    assert again.repeated and again.amount == Decimal("10.00") and again.debts == Decimal("7.50")
    assert dataclasses.replace(receipt, repeated=True) == again
    assert Payment.select().count() == 1 and Debt.get_by_id(debt.debt_id).settled_by == receipt.payment_id


def test_a_payment_without_collect_leaves_the_debt_owed(booth, clock, drove_off):
    reg, debt = drove_off
    back = booth.register("AB12CDE", "Jane", PHONE, "car")
    receipt = booth.pay(back.stay_id, "card")
    assert receipt.debts is None and Payment.get_by_id(receipt.payment_id).debt_cents is None
    assert booth.debts_for("AB12CDE") == [debt]
    again = booth.register("AB12CDE", "Jane", PHONE, "car")
    assert again.debts == (debt,)


def test_several_debts_are_collected_together_oldest_first(booth, clock, drove_off):
    _, first = drove_off
    second_visit = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=1)
    second = booth.close_departed(second_visit.stay_id, "left_without_paying")
    back = booth.register("AB12CDE", "Jane", PHONE, "car")
    assert [d.debt_id for d in back.debts] == [first.debt_id, second.debt_id]
    receipt = booth.pay(back.stay_id, "card", collect_debts=True)
    assert receipt.debts == Decimal("10.00") and receipt.amount == Decimal("12.50")
    assert {d.settled_by for d in Debt.select()} == {receipt.payment_id}


@pytest.mark.parametrize("flag", ["yes", 1, None, "True"])
def test_collect_debts_is_true_or_false(booth, drove_off, flag):
    back = booth.register("AB12CDE", "Jane", PHONE, "car")
    with pytest.raises(BoothError) as caught:
        booth.pay(back.stay_id, "card", collect_debts=flag)
    assert caught.value.field == "collect_debts"
    assert Payment.select().count() == 0


@pytest.mark.parametrize("plate", ["", "~5", "AB\x0012", 12, None, "A" * 100])
def test_debts_for_refuses_what_is_not_a_plate(booth, plate):
    with pytest.raises(BoothError) as caught:
        booth.debts_for(plate)
    assert caught.value.field == "plate"


def test_a_debt_collected_meanwhile_undoes_the_whole_payment(booth, clock, drove_off, monkeypatch):
    """The settling UPDATE takes only debts nobody settled: a payment that read a debt another booth
    collected a moment later (a stale read) charges nothing."""
    from kiosk.booth import debts

    _, debt = drove_off
    back = booth.register("AB12CDE", "Jane", PHONE, "car")
    real = debts.open_for

    def read_then_lose_the_race(ctx, vehicle_id):
        owed = real(ctx, vehicle_id)
        Debt.update(settled_by=999999, settled_at=clock.now()).where(Debt.id == debt.debt_id).execute()
        return owed

    monkeypatch.setattr(debts, "open_for", read_then_lose_the_race)
    with pytest.raises(BoothError) as caught:
        booth.pay(back.stay_id, "card", collect_debts=True)
    assert caught.value.code is ErrorCode.CONFLICT and "nothing was charged" in caught.value.message
    assert Payment.select().count() == 0 and Stay.get_by_id(back.stay_id).status == "open"
    assert Debt.get_by_id(debt.debt_id).settled_by is None  # the other booth's write went with the rollback


def test_two_booths_collecting_the_same_debt_at_once_collect_it_once(database, target, clock, make_booth, drove_off):
    """Two booths, each on its own connection (a thread each), take the returning car's payment with
    its debt at the same moment: one payment, the debt settled once, by it."""
    _, debt = drove_off
    back = make_booth(database, clock).register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(minutes=30)
    go, results = threading.Barrier(2), {}

    def take(name):
        try:
            # Each booth its own terminal run and shift (a booth name each), as two windows would be.
            window = on_shift(as_manager(Booth(database, clock, booth_name=name)))
            go.wait(30)
            results[name] = window.pay(back.stay_id, "card", transaction_id=f"TX-{name}", collect_debts=True)
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[name] = exc
        finally:
            database.close()  # this thread's connection

    threads = [threading.Thread(target=take, args=(n,)) for n in ("East", "West")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    receipts = [r for r in results.values() if not isinstance(r, Exception)]
    refused = [r for r in results.values() if isinstance(r, Exception)]
    assert len(receipts) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], BoothError) and refused[0].field == "stay"
    (paid,) = receipts
    assert paid.amount == Decimal("10.00") and paid.debts == Decimal("7.50")
    assert Payment.select().count() == 1
    assert Debt.get_by_id(debt.debt_id).settled_by == paid.payment_id


def test_a_debt_outlives_the_expiry_of_the_persons_details(booth, clock, drove_off):
    reg, debt = drove_off
    clock.advance(hours=booth.config().retention_hours + 1)
    booth.expire()
    vehicle = Vehicle.get_by_id(reg.vehicle_id)
    assert vehicle.number_plate == f"~{reg.vehicle_id}" and (vehicle.contact_name, vehicle.phone_number) == ("", "")
    row = Debt.get_by_id(debt.debt_id)
    assert (row.vehicle_id, row.amount_cents, row.stay_id, row.settled_by) == (reg.vehicle_id, 750, reg.stay_id, None)
    assert Stay.get_by_id(reg.stay_id).note is None  # the note typed with it expired with the stay
    # The plate is no longer linked to anyone: it comes back as a new vehicle, owing nothing.
    assert booth.debts_for("AB12CDE") == []
    back = booth.register("AB12CDE", "Jane", PHONE, "car")
    assert back.debts == () and back.vehicle_id != reg.vehicle_id


def test_a_refund_of_a_payment_that_collected_debts_owes_them_again(booth, clock, drove_off):
    _, debt = drove_off
    back = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=1)
    paid = booth.pay(back.stay_id, "card", collect_debts=True)
    refund = booth.refund(paid.payment_id, "customer_complaint")
    assert (refund.amount, refund.debts_reopened) == (Decimal("-10.00"), 1)
    assert Payment.get_by_id(refund.refund_id).debt_cents == -750
    assert Debt.get_by_id(debt.debt_id).settled_by is None
    assert json.loads(AuditLog.get(AuditLog.action == "refund").details)["debts_reopened"] == 1
