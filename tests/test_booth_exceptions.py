"""Fee overrides, free exits and voids: their payments rows, the stay and spot, the audit row (who
acted, who approved), the role matrix, and the refusals that name what to do instead."""

import json
from decimal import Decimal

import pytest
from staff_support import person, staff_row

from kiosk.booth import BoothError, Permission
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, Debt, ParkingSpot, Payment, Shift, Stay, Vehicle

PHONE = "07400 123456"
SUP_PIN = "55667788"


@pytest.fixture
def stay(booth, clock):
    reg = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    clock.advance(hours=2, minutes=33)  # 3 hours started at 2.50: 7.50
    return reg


@pytest.fixture
def ann(booth):
    """An attendant at this booth, in the shift the test booth opened (the same terminal run)."""
    return booth.signed_in(person(booth, "Ann", "attendant"))


def spot_taken(number):
    return bool(ParkingSpot.get(ParkingSpot.spot_number == number).is_occupied)


def audits(action):
    return list(AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id))


def open_shift_id(booth):
    return booth.current_shift().id


# ----------------------------------------------------------------------------- free exit
def test_a_free_exit_closes_the_stay_charging_nothing_with_the_fee_waived_on_record(booth, stay, clock):
    receipt = booth.free_exit(stay.stay_id, "emergency_vehicle")
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.amount_cents, p.payment_method, p.payment_status, p.exception, p.reason, p.waived_cents) == (
        0, None, "paid", "override", "emergency_vehicle", 750)
    assert p.shift_id == open_shift_id(booth) and p.stay_id == stay.stay_id
    s = Stay.get_by_id(stay.stay_id)
    assert (s.status, s.exit_timestamp) == ("paid", clock.now())
    assert not spot_taken(stay.spot)
    (row,) = audits("free_exit")
    details = json.loads(row.details)
    assert (row.staff_id, row.approver_id) == (booth.actor.staff_id, None)
    assert (details["waived"], details["fee"], details["amount"], details["reason"]) == ("7.50", "7.50", "0.00",
                                                                                         "emergency_vehicle")
    assert "AB12CDE" not in row.details and "Jane" not in row.details
    assert (receipt.amount, receipt.waived, receipt.method) == (Decimal("0.00"), Decimal("7.50"), "none")
    text = receipt.text()
    assert "FREE EXIT" in text and "waived" in text and "-£7.50" in text and "emergency vehicle" in text


def test_an_attendant_is_refused_a_free_exit_and_an_override_until_a_supervisor_approves_one(ann, booth, stay):
    sup_id = staff_row("Sam", "supervisor", SUP_PIN)
    for call in (lambda b: b.free_exit(stay.stay_id, "goodwill"),
                 lambda b: b.override_fee(stay.stay_id, "5.00", "card", "goodwill")):
        with pytest.raises(BoothError) as caught:
            call(ann)
        assert caught.value.code is ErrorCode.FORBIDDEN and caught.value.needs == "supervisor"
    assert Payment.select().count() == 0 and Stay.get_by_id(stay.stay_id).status == "open"
    approved = ann.signed_in(ann.approve("Sam", SUP_PIN, Permission.FEE_OVERRIDE))
    receipt = approved.override_fee(stay.stay_id, "5.00", "card", "goodwill")
    (row,) = audits("fee_override")
    assert (row.staff_id, row.approver_id) == (ann.actor.staff_id, sup_id)
    assert Payment.get_by_id(receipt.payment_id).waived_cents == 250
    again = booth.register("CD34EFG", "Jim", PHONE, "car")
    with pytest.raises(BoothError) as caught:  # the approval served one call
        approved.free_exit(again.stay_id, "goodwill")
    assert caught.value.code is ErrorCode.FORBIDDEN


# ----------------------------------------------------------------------------- override
def test_an_override_charges_less_than_the_fee_and_records_what_was_waived(booth, stay):
    receipt = booth.override_fee(stay.stay_id, "3.00", "cash", "complaint", tendered="5", note="queue at the barrier")
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.amount_cents, p.payment_method, p.tendered_cents, p.change_cents, p.exception, p.reason,
            p.waived_cents, p.rate_cents, p.hours_charged) == (300, "cash", 500, 200, "override", "complaint", 450, 250, 3)
    assert Stay.get_by_id(stay.stay_id).note == "queue at the barrier"  # with the stay, never in the audit row
    (row,) = audits("fee_override")
    assert "queue" not in row.details and json.loads(row.details)["waived"] == "4.50"
    assert (receipt.amount, receipt.waived, receipt.change) == (Decimal("3.00"), Decimal("4.50"), Decimal("2.00"))
    text = receipt.text()
    assert "FEE OVERRIDE" in text and "customer complaint" in text
    assert any(line.startswith("TOTAL") and line.endswith("£3.00") for line in text.splitlines())


@pytest.mark.parametrize("amount,method,tendered,reason,note,field", [
    ("7.50", "card", None, "goodwill", None, "amount"),  # not less than the fee
    ("9.00", "card", None, "goodwill", None, "amount"),
    ("0", "card", None, "goodwill", None, "amount"),  # nothing: that is a free exit
    ("-1", "card", None, "goodwill", None, "amount"),
    (2.5, "card", None, "goodwill", None, "amount"),  # a float is never money
    ("2.555", "card", None, "goodwill", None, "amount"),
    (None, "card", None, "goodwill", None, "amount"),
    ("3.00", "bitcoin", None, "goodwill", None, "method"),
    ("3.00", "cash", "2.99", "goodwill", None, "tendered"),
    ("3.00", "cash", None, "goodwill", None, "tendered"),
    ("3.00", "card", "5", "goodwill", None, "tendered"),
    ("3.00", "card", None, "because", None, "reason"),
    ("3.00", "card", None, "wrong_vehicle", None, "reason"),  # a void code, not an override's
    ("3.00", "card", None, "staff_vehicle", "the boss", "note"),  # this code takes no note
    ("3.00", "card", None, "goodwill", "x\x00y", "note"),
    ("3.00", "card", None, "goodwill", "y" * 500, "note"),
])
def test_bad_overrides_change_nothing(booth, stay, amount, method, tendered, reason, note, field):
    with pytest.raises(BoothError) as caught:
        booth.override_fee(stay.stay_id, amount, method, reason, tendered=tendered, note=note)
    assert caught.value.field == field, caught.value.message
    assert Payment.select().count() == 0 and Stay.get_by_id(stay.stay_id).status == "open" and spot_taken(stay.spot)
    assert audits("fee_override") == []


@pytest.mark.parametrize("stay_id", [0, -3, "x", None, 10**30, 99999])
def test_free_exit_of_no_such_stay_is_refused(booth, stay_id):
    with pytest.raises(BoothError) as caught:
        booth.free_exit(stay_id, "goodwill")
    assert caught.value.field == "stay"


def test_a_closed_stay_cannot_be_overridden_and_a_retired_reason_is_refused(booth, stay):
    booth.pay(stay.stay_id, "card")
    with pytest.raises(BoothError) as caught:
        booth.free_exit(stay.stay_id, "goodwill")
    assert caught.value.field == "stay" and "already closed" in caught.value.message
    other = booth.register("CD34EFG", "Jim", PHONE, "car")
    booth.set_reason_code("override", "goodwill", "goodwill gesture", active=False)
    with pytest.raises(BoothError) as caught:
        booth.free_exit(other.stay_id, "goodwill")
    assert caught.value.field == "reason" and "retired" in caught.value.message
    booth.set_reason_code("override", "mayor", "the mayor's car")  # a site's own code works at once
    assert booth.free_exit(other.stay_id, "MAYOR").reason == "the mayor's car"


def test_an_override_needs_this_runs_open_shift(booth, make_booth, database, clock, stay):
    later_run = make_booth(database, clock, actor=booth.actor)  # a new terminal run: the shift was left open
    with pytest.raises(BoothError) as caught:
        later_run.free_exit(stay.stay_id, "goodwill")
    assert caught.value.field == "shift" and "left open" in caught.value.message
    assert Payment.select().count() == 0


# ----------------------------------------------------------------------------- void
def test_a_void_puts_the_car_back_and_records_a_negative_voided_row(ann, booth, stay, clock):
    paid = ann.pay(stay.stay_id, "cash", "10")
    clock.advance(minutes=2)
    void = ann.void_payment(paid.payment_id, "wrong_method")
    row = Payment.get_by_id(void.refund_id)
    assert (row.amount_cents, row.payment_status, row.exception, row.reason, row.refund_of, row.payment_method) == (
        -750, "voided", "void", "wrong_method", paid.payment_id, "cash")
    assert row.shift_id == Payment.get_by_id(paid.payment_id).shift_id == open_shift_id(booth)
    assert row.transaction_id == f"refund-{paid.payment_id}"
    s = Stay.get_by_id(stay.stay_id)
    assert (s.status, s.exit_timestamp) == ("open", None) and spot_taken(stay.spot)
    assert Vehicle.get_by_id(stay.vehicle_id).payment_status is None
    (audit,) = audits("void")
    assert (audit.staff_id, audit.approver_id, audit.entity_id) == (ann.actor.staff_id, None, str(void.refund_id))
    assert json.loads(audit.details)["refund_of"] == paid.payment_id
    assert (void.amount, void.voided, void.reopened, void.method) == (Decimal("-7.50"), True, True, "cash")
    slip = void.text()
    assert "VOID" in slip.splitlines()[1] and "wrong payment method" in slip and "-£7.50" in slip
    again = ann.pay(stay.stay_id, "card")  # the car pays again, the right way, for its whole stay
    assert again.amount == Decimal("7.50") and again.breakdown.entry_at == stay.entry_at


def test_a_payment_is_voided_once_and_a_void_is_not_a_payment(booth, stay):
    paid = booth.pay(stay.stay_id, "card")
    void = booth.void_payment(paid.payment_id, "keyed_in_error")
    with pytest.raises(BoothError) as caught:
        booth.void_payment(paid.payment_id, "keyed_in_error")
    assert "already voided" in caught.value.message
    for target in (void.refund_id, 99999):
        with pytest.raises(BoothError) as caught:
            booth.void_payment(target, "keyed_in_error")
        assert caught.value.field == "payment"
    with pytest.raises(BoothError) as caught:
        booth.refund(paid.payment_id, "wrong_amount")  # voided: nothing left to refund
    assert caught.value.field == "payment" and "already voided" in caught.value.message
    assert Payment.select().count() == 2


@pytest.mark.parametrize("payment_id", [0, -1, "one", None, 1.0, 10**40])
def test_void_of_nonsense_is_refused(booth, payment_id):
    with pytest.raises(BoothError) as caught:
        booth.void_payment(payment_id, "keyed_in_error")
    assert caught.value.field == "payment"


def test_a_void_takes_a_note_only_with_a_code_that_allows_one(booth, stay):
    paid = booth.pay(stay.stay_id, "card")
    with pytest.raises(BoothError) as caught:
        booth.void_payment(paid.payment_id, "keyed_in_error", note="pressed twice")
    assert caught.value.field == "note"
    assert Payment.select().count() == 1 and Stay.get_by_id(stay.stay_id).status == "paid"
    booth.void_payment(paid.payment_id, "other", note="pressed twice")
    assert Stay.get_by_id(stay.stay_id).note == "pressed twice"
    assert "pressed" not in audits("void")[0].details


def test_a_payment_of_another_shift_is_not_voided_a_refund_is_the_way(booth, make_booth, database, clock, stay):
    north = make_booth(database, clock, booth_name="North")  # its own booth, its own shift
    paid = north.pay(stay.stay_id, "card")
    with pytest.raises(BoothError) as caught:
        booth.void_payment(paid.payment_id, "keyed_in_error")
    err = caught.value
    assert err.code is ErrorCode.REFUSED and err.field == "payment" and "refund" in err.message
    assert Payment.select().count() == 1 and Stay.get_by_id(stay.stay_id).status == "paid"
    assert north.void_payment(paid.payment_id, "keyed_in_error").voided  # North's own shift may
    older = booth.register("CD34EFG", "Jim", PHONE, "car")
    legacy = booth.pay(older.stay_id, "card")
    Payment.update(shift_id=None).where(Payment.id == legacy.payment_id).execute()  # taken before shifts existed
    with pytest.raises(BoothError) as caught:
        booth.void_payment(legacy.payment_id, "keyed_in_error")
    assert caught.value.code is ErrorCode.REFUSED and "refund" in caught.value.message


def test_a_payment_whose_car_cannot_go_back_is_not_voided(booth, stay, clock):
    paid = booth.pay(stay.stay_id, "card")
    booth.register("CD34EFG", "Jim", PHONE, "car", spot=stay.spot)  # the spot is taken again
    with pytest.raises(BoothError) as caught:
        booth.void_payment(paid.payment_id, "keyed_in_error")
    assert caught.value.code is ErrorCode.REFUSED and caught.value.field == "payment"
    assert "refund" in caught.value.message and "supervisor" in caught.value.message
    assert Stay.get_by_id(stay.stay_id).status == "paid" and Payment.select().count() == 1
    # The car itself came back: its old stay is no longer the one on site.
    first = booth.register("EF56GHJ", "Kim", PHONE, "car")
    gone = booth.pay(first.stay_id, "card")
    booth.register("EF56GHJ", "Kim", PHONE, "car")
    with pytest.raises(BoothError) as caught:
        booth.void_payment(gone.payment_id, "keyed_in_error")
    assert "refund" in caught.value.message
    assert audits("void") == []


def test_a_supervisor_refunds_what_a_void_may_not_undo(booth, make_booth, database, clock, stay, ann):
    paid = ann.pay(stay.stay_id, "card")
    booth.register("CD34EFG", "Jim", PHONE, "car", spot=stay.spot)
    with pytest.raises(BoothError):
        ann.void_payment(paid.payment_id, "keyed_in_error")
    refund = booth.refund(paid.payment_id, "wrong_amount")
    assert refund.amount == Decimal("-7.50") and not refund.voided
    assert "REFUND" in refund.text()


def test_an_override_can_be_voided_and_its_waived_amount_nets_to_nothing(booth, stay):
    receipt = booth.override_fee(stay.stay_id, "2.00", "card", "goodwill")
    void = booth.void_payment(receipt.payment_id, "keyed_in_error")
    row = Payment.get_by_id(void.refund_id)
    assert (row.amount_cents, row.waived_cents) == (-200, -550)
    assert Payment.select().where(Payment.stay_id == stay.stay_id).count() == 2
    assert Stay.get_by_id(stay.stay_id).status == "open"
    free = booth.free_exit(stay.stay_id, "goodwill")
    assert booth.void_payment(free.payment_id, "keyed_in_error").amount == Decimal("0.00")
    assert Stay.get_by_id(stay.stay_id).status == "open" and spot_taken(stay.spot)


def test_no_void_without_this_runs_open_shift(booth, make_booth, database, clock, stay):
    paid = booth.pay(stay.stay_id, "card")
    later_run = make_booth(database, clock, actor=booth.actor)
    with pytest.raises(BoothError) as caught:
        later_run.void_payment(paid.payment_id, "keyed_in_error")
    assert caught.value.field == "shift"
    assert Shift.select().count() == 1 and Payment.select().count() == 1


def test_voiding_a_payment_that_collected_debts_owes_them_again(booth, clock):
    first = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=1)
    debt = booth.close_departed(first.stay_id, "left_without_paying")
    back = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=1)
    paid = booth.pay(back.stay_id, "card", collect_debts=True)
    assert Debt.get_by_id(debt.debt_id).settled_by == paid.payment_id
    void = booth.void_payment(paid.payment_id, "keyed_in_error")
    assert void.debts_reopened == 1
    d = Debt.get_by_id(debt.debt_id)
    assert (d.settled_by, d.settled_at) == (None, None)
    assert Payment.get_by_id(void.refund_id).debt_cents == -250
    assert [x.debt_id for x in booth.debts_for("AB12CDE")] == [debt.debt_id]


def test_a_note_typed_with_an_override_expires_with_the_stay_and_the_money_stays(booth, stay, clock):
    receipt = booth.free_exit(stay.stay_id, "goodwill", note="Mrs Jones, the manager's friend")
    clock.advance(hours=booth.config().retention_hours, seconds=1)
    booth.expire()
    s = Stay.get_by_id(stay.stay_id)
    assert s.note is None and Vehicle.get_by_id(stay.vehicle_id).number_plate.startswith("~")
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.exception, p.reason, p.waived_cents, p.amount_cents) == ("override", "goodwill", 750, 0)
    assert not any("Jones" in (r.details or "") for r in AuditLog.select())
