"""Quotes, cash and card payments, retries, refunds, departures, overstays and receipts."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from kiosk.booth import BoothError
from kiosk.models import AuditLog, ParkingSpot, Payment, Stay, Vehicle

PHONE = "07400 123456"



@pytest.fixture
def stay(booth, clock):
    reg = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    clock.advance(hours=2, minutes=33, seconds=59)
    return reg


def spot_taken(number):
    return bool(ParkingSpot.get(ParkingSpot.spot_number == number).is_occupied)


def test_quote_uses_the_rate_of_the_type(booth, stay, clock):
    fee = booth.quote(stay.stay_id)
    assert (fee.minutes, fee.hours_started, fee.hours_charged, fee.rate, fee.total) == (153, 3, 3, Decimal("2.50"), Decimal("7.50"))
    assert fee.exit_at == clock.now()
    assert booth.quote(stay.stay_id, at=stay.entry_at + dt.timedelta(minutes=59)).total == Decimal("2.50")
    with pytest.raises(BoothError) as err:
        booth.quote(stay.stay_id, at=stay.entry_at - dt.timedelta(minutes=1))
    assert err.value.field == "exit"


def test_cash_payment_closes_the_stay_frees_the_spot_in_one_go(booth, stay, clock):
    receipt = booth.pay(stay.stay_id, "cash", "10")
    assert (receipt.amount, receipt.tendered, receipt.change, receipt.method) == (Decimal("7.50"), Decimal("10.00"), Decimal("2.50"), "cash")
    s = Stay.get_by_id(stay.stay_id)
    assert (s.status, s.exit_timestamp) == ("paid", clock.now())
    assert Vehicle.get_by_id(stay.vehicle_id).payment_status == "paid"
    assert not spot_taken("A01")
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.amount_cents, p.rate_cents, p.hours_charged, p.minutes, p.tendered_cents, p.change_cents) == (750, 250, 3, 153, 1000, 250)
    assert p.stay_id == stay.stay_id and p.payment_status == "paid"
    assert AuditLog.select().where(AuditLog.action == "payment").count() == 1


def test_card_payment_takes_no_tendered(booth, stay):
    with pytest.raises(BoothError) as err:
        booth.pay(stay.stay_id, "card", "10")
    assert err.value.field == "tendered"
    receipt = booth.pay(stay.stay_id, "CARD")
    assert receipt.tendered is None and receipt.change is None and receipt.amount == Decimal("7.50")


@pytest.mark.parametrize("method,tendered,field", [
    ("cash", None, "tendered"), ("cash", "7.49", "tendered"), ("cash", "-10", "tendered"), ("cash", "ten", "tendered"),
    ("cash", 10.0, "tendered"), ("bitcoin", None, "method"), ("", None, "method"), (None, None, "method"),
])
def test_bad_payments_change_nothing(booth, stay, method, tendered, field):
    with pytest.raises(BoothError) as err:
        booth.pay(stay.stay_id, method, tendered)
    assert err.value.field == field
    assert Payment.select().count() == 0 and Stay.get_by_id(stay.stay_id).status == "open" and spot_taken("A01")


@pytest.mark.parametrize("stay_id", [0, -1, "x", 10**30, None, 99999])
def test_unknown_stays_are_refused(booth, stay_id):
    with pytest.raises(BoothError) as err:
        booth.pay(stay_id, "card")
    assert err.value.field == "stay"


def test_paying_twice_is_refused_and_a_retry_charges_once(booth, stay):
    first = booth.pay(stay.stay_id, "cash", "10", transaction_id="T-1")
    again = booth.pay(stay.stay_id, "cash", "10", transaction_id="T-1")
    assert again.repeated and again.payment_id == first.payment_id and again.amount == first.amount
    assert again.text().splitlines()[3:] == first.text().splitlines()[3:]
    with pytest.raises(BoothError) as err:
        booth.pay(stay.stay_id, "card")
    assert "already closed" in str(err.value)
    assert Payment.select().count() == 1


def test_a_transaction_id_cannot_pay_another_stay(booth, stay):
    booth.pay(stay.stay_id, "card", transaction_id="T-1")
    other = booth.register("XY34ZZZ", "Jim", PHONE, "car")
    with pytest.raises(BoothError) as err:
        booth.pay(other.stay_id, "card", transaction_id="T-1")
    assert err.value.field == "transaction_id"
    with pytest.raises(BoothError):
        booth.pay(other.stay_id, "card", transaction_id="x" * 65)


def test_rate_changes_never_rewrite_history(booth, stay, clock):
    receipt = booth.pay(stay.stay_id, "card")
    booth.set_rate("car", "9.99", minimum_hours=5, grace_minutes=30, daily_cap="15")
    again = booth.pay(stay.stay_id, "card", transaction_id=receipt.transaction_id)
    assert again.amount == Decimal("7.50") and again.breakdown.rate == Decimal("2.50")
    assert again.breakdown == receipt.breakdown
    assert booth.recent_payments()[0].amount == Decimal("7.50")


def test_refund_is_a_new_audited_record(booth, stay):
    receipt = booth.pay(stay.stay_id, "cash", "10")
    refund = booth.refund(receipt.payment_id, "wrong_vehicle")
    assert refund.amount == Decimal("-7.50") and not refund.reopened and refund.reason == "wrong_vehicle"
    original = Payment.get_by_id(receipt.payment_id)
    assert (original.amount_cents, original.payment_status) == (750, "paid")  # never edited
    row = Payment.get_by_id(refund.refund_id)
    assert (row.amount_cents, row.payment_status, row.refund_of) == (-750, "refunded", receipt.payment_id)
    audit = AuditLog.get(AuditLog.action == "refund")
    assert json.loads(audit.details)["reason"] == "wrong_vehicle"
    with pytest.raises(BoothError):
        booth.refund(receipt.payment_id, "other")
    with pytest.raises(BoothError):
        booth.refund(refund.refund_id, "other")
    with pytest.raises(BoothError) as err:
        booth.refund(99, "other")
    assert err.value.field == "payment"
    rows = {p.payment_id: p for p in booth.recent_payments()}
    assert rows[receipt.payment_id].refunded and rows[refund.refund_id].refund_of == receipt.payment_id


def test_refund_reason_is_a_code_from_the_list(booth, stay):
    receipt = booth.pay(stay.stay_id, "card")
    for bad in ["", "x", "charged the wrong car", "AB12 CDE paid twice", None, 3]:
        with pytest.raises(BoothError) as err:
            booth.refund(receipt.payment_id, bad)
        assert err.value.field == "reason"
        assert "wrong_vehicle, wrong_amount, duplicate_charge" in err.value.message  # the allowed codes
    assert Payment.select().count() == 1


def test_refund_can_put_the_stay_back_on_site(booth, stay, clock):
    receipt = booth.pay(stay.stay_id, "card")
    refund = booth.refund(receipt.payment_id, "wrong_vehicle", reopen=True)
    assert refund.reopened and Stay.get_by_id(stay.stay_id).status == "open" and spot_taken("A01")
    clock.advance(hours=1)
    assert booth.pay(stay.stay_id, "card").amount == Decimal("10.00")


def test_refund_cannot_reopen_onto_a_taken_spot(booth, stay):
    receipt = booth.pay(stay.stay_id, "card")
    booth.register("XY34ZZZ", "Jim", PHONE, "car")  # takes A01 again
    with pytest.raises(BoothError) as err:
        booth.refund(receipt.payment_id, "wrong_vehicle", reopen=True)
    assert err.value.field == "reopen"
    assert Payment.select().count() == 1  # the refund row was undone with it


def test_overstays_are_seen_and_closed_as_departed(booth, stay, clock):
    clock.advance(hours=24)
    assert [o.stay_id for o in booth.overstays()] == [stay.stay_id]
    assert booth.open_stay_for("AB12CDE").overstay
    assert [s.state for s in booth.spot_states() if s.spot_number == "A01"] == ["overstay"]
    with pytest.raises(BoothError) as err:
        booth.close_departed(stay.stay_id, "AB12CDE drove off")
    assert err.value.field == "reason" and "left_without_paying" in err.value.message
    booth.close_departed(stay.stay_id, "left_without_paying", "drove off through the barrier")
    s = Stay.get_by_id(stay.stay_id)
    assert (s.status, s.closed_reason, s.note) == ("departed", "left_without_paying", "drove off through the barrier")
    assert not spot_taken("A01") and booth.overstays() == []
    assert AuditLog.select().where(AuditLog.action == "departed").count() == 1
    with pytest.raises(BoothError):
        booth.close_departed(stay.stay_id, "other")
    with pytest.raises(BoothError):
        booth.pay(stay.stay_id, "card")


def test_receipt_text_shows_the_breakdown(booth, stay):
    text = booth.pay(stay.stay_id, "cash", "£20").text()
    for expected in ["AB12CDE", "A01", "2 h 33 min", "hours charged", "£2.50 / h", "£7.50", "£20.00", "£12.50"]:
        assert expected in text


def test_quote_for_a_type_that_lost_its_rate_is_a_clear_error(booth, stay, database):
    database.execute_sql("DELETE FROM parking_rates WHERE vehicle_type = 'car'")
    with pytest.raises(BoothError) as err:
        booth.quote(stay.stay_id)
    assert "no rate" in str(err.value) and err.value.field == "type"


def test_a_decimal_comma_in_cash_tendered_is_pounds_and_pence_never_a_hundredfold(booth, stay):
    # '1,50' was read as 150.00: the payment went through with £142.50 change paid out.
    with pytest.raises(BoothError) as err:
        booth.pay(stay.stay_id, "cash", "1,50")
    assert err.value.field == "tendered" and "1.50 is less than the total 7.50" in err.value.message
    with pytest.raises(BoothError) as err:
        booth.pay(stay.stay_id, "cash", "1,500")
    assert err.value.field == "tendered" and "thousands separator" in err.value.message
    assert Payment.select().count() == 0 and Stay.get_by_id(stay.stay_id).status == "open"
    receipt = booth.pay(stay.stay_id, "cash", "10,00")
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.tendered_cents, p.change_cents) == (1000, 250)


def test_a_caller_cannot_take_the_transaction_id_the_booth_gives_a_refund(booth, stay, clock):
    # A card terminal's id 'refund-2' on payment 1 made refunding payment 2 fail with a raw IntegrityError.
    other = booth.register("CD34EFG", "Jim", PHONE, "car")
    for taken in ("refund-2", "REFUND-2", " refund-9 "):
        with pytest.raises(BoothError) as err:
            booth.pay(stay.stay_id, "card", transaction_id=taken)
        assert err.value.field == "transaction_id" and "does not start with 'refund-'" in err.value.message
    assert Payment.select().count() == 0 and Stay.get_by_id(stay.stay_id).status == "open"
    first = booth.pay(stay.stay_id, "card", transaction_id="terminal-7")
    second = booth.pay(other.stay_id, "card")
    assert (first.payment_id, second.payment_id) == (1, 2)
    refund = booth.refund(second.payment_id, "wrong_vehicle")
    assert Payment.get_by_id(refund.refund_id).transaction_id == "refund-2"


def test_a_refund_id_already_taken_in_an_older_database_gets_a_unique_one(booth, stay):
    receipt = booth.pay(stay.stay_id, "card")
    # As a database from before the rule may hold it: a caller's id in the refund namespace.
    Payment.update(transaction_id=f"refund-{receipt.payment_id}").where(Payment.id == receipt.payment_id).execute()
    refund = booth.refund(receipt.payment_id, "wrong_vehicle")
    txn = Payment.get_by_id(refund.refund_id).transaction_id
    assert txn.startswith(f"refund-{receipt.payment_id}-") and txn != f"refund-{receipt.payment_id}"


def test_a_database_constraint_reaches_the_caller_as_a_booth_error_with_nothing_changed(booth, stay, monkeypatch):
    import kiosk.booth.payments as payments

    receipt = booth.pay(stay.stay_id, "card")
    monkeypatch.setattr(payments, "_refund_txn", lambda pid: receipt.transaction_id)  # a unique id already used
    with pytest.raises(BoothError) as err:
        booth.refund(receipt.payment_id, "wrong_vehicle", reopen=True)
    assert "nothing was changed" in err.value.message
    assert Payment.select().count() == 1 and Stay.get_by_id(stay.stay_id).status == "paid"
    assert AuditLog.select().where(AuditLog.action == "refund").count() == 0


@pytest.mark.parametrize("reopen", ["no", "False", 0, 1, None, "yes"])
def test_reopen_is_true_or_false_never_a_word_read_as_true(booth, stay, reopen):
    # reopen="no" put the car back on site.
    receipt = booth.pay(stay.stay_id, "card")
    with pytest.raises(BoothError) as err:
        booth.refund(receipt.payment_id, "wrong_vehicle", reopen=reopen)
    assert err.value.field == "reopen" and "True or False" in err.value.message
    assert Payment.select().count() == 1 and Stay.get_by_id(stay.stay_id).status == "paid" and not spot_taken("A01")


def test_a_quote_time_must_carry_its_zone(booth, stay):
    # A naive datetime raised a raw TypeError (compared with the aware clock).
    with pytest.raises(BoothError) as err:
        booth.quote(stay.stay_id, at=stay.entry_at.replace(tzinfo=None) + dt.timedelta(minutes=59))
    assert err.value.field == "exit" and "time zone" in err.value.message
    for bad in ("2026-11-24 13:00", dt.date(2026, 11, 24), 1700000000):
        with pytest.raises(BoothError) as err:
            booth.quote(stay.stay_id, at=bad)
        assert err.value.field == "exit"
    paris = dt.timezone(dt.timedelta(hours=1))
    assert booth.quote(stay.stay_id, at=(stay.entry_at + dt.timedelta(minutes=59)).astimezone(paris)).total == Decimal("2.50")
