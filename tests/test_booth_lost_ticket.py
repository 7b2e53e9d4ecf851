"""Lost tickets: the fee from the recorded entry when the plate has a car on site, the type's flat fee
when it has none (configured, or a day at the rate capped by the daily cap); the rows each writes,
retries, and what an attendant may type."""

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from staff_support import person

from kiosk.booth import BoothError
from kiosk.models import AuditLog, ParkingRate, ParkingSpot, Payment, Stay, Vehicle

PHONE = "07400 123456"


def audits(action):
    return list(AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id))


def test_a_plate_on_record_pays_from_its_recorded_entry(booth, clock):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=5, minutes=10)
    ann = booth.signed_in(person(booth, "Ann", "attendant"))  # PAY: an attendant's own
    quote = ann.lost_ticket_quote("ab12 cde", "van")  # the stay's type counts, not the one picked
    assert (quote.on_record, quote.stay_id, quote.flat, quote.amount, quote.plate) == (
        True, reg.stay_id, None, Decimal("15.00"), "AB12CDE")
    assert quote.fee == booth.quote(reg.stay_id)
    receipt = ann.pay_lost_ticket("AB12CDE", None, "cash", "no_ticket", tendered="20")
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.amount_cents, p.exception, p.reason, p.stay_id, p.rate_cents, p.hours_charged, p.change_cents) == (
        1500, "lost_ticket", "no_ticket", reg.stay_id, 250, 6, 500)
    assert p.shift_id == booth.current_shift().id
    assert Stay.get_by_id(reg.stay_id).status == "paid"
    assert not ParkingSpot.get(ParkingSpot.spot_number == reg.spot).is_occupied
    (row,) = audits("lost_ticket")
    details = json.loads(row.details)
    assert (details["on_record"], details["reason"], details["amount"], row.staff_id) == (
        True, "no_ticket", "15.00", ann.actor.staff_id)
    assert "AB12CDE" not in row.details
    text = receipt.text()
    assert "LOST TICKET" in text and "no ticket" in text and receipt.breakdown.entry_at == reg.entry_at


@pytest.mark.parametrize("cap,lost,expected", [(None, None, "60.00"), ("15.00", None, "15.00"), ("15.00", "25.00", "25.00"),
                                               (None, "0.50", "0.50")])
def test_a_plate_not_on_record_pays_its_types_flat_fee(booth, clock, cap, lost, expected):
    rate = booth.set_rate("car", "2.50", daily_cap=cap, lost_ticket=lost)
    assert rate.lost_ticket == (None if lost is None else Decimal(lost))
    assert booth.config().rate_for("car").lost_ticket == rate.lost_ticket
    quote = booth.lost_ticket_quote("XY99ZZZ", "car")
    assert (quote.on_record, quote.stay_id, quote.fee, quote.flat, quote.amount) == (
        False, None, None, Decimal(expected), Decimal(expected))
    receipt = booth.pay_lost_ticket("XY99ZZZ", "car", "card", "unknown_entry")
    p = Payment.get_by_id(receipt.payment_id)
    assert (p.amount_cents, p.exception, p.rate_cents, p.payment_method) == (int(Decimal(expected) * 100), "lost_ticket",
                                                                            None, "card")
    vehicle = Vehicle.get(Vehicle.number_plate == "XY99ZZZ")
    assert (vehicle.contact_name, vehicle.phone_number, vehicle.payment_status) == ("", "", "paid")
    stay = Stay.get_by_id(p.stay_id)
    assert (stay.status, stay.spot_number, stay.vehicle_type, stay.entry_timestamp, stay.exit_timestamp) == (
        "paid", None, "car", clock.now(), clock.now())
    assert json.loads(audits("lost_ticket")[0].details)["on_record"] is False
    text = receipt.text()
    assert "LOST TICKET" in text and "not on record" in text and f"£{expected}" in text
    assert receipt.breakdown is None and receipt.flat == Decimal(expected)


def test_the_lost_ticket_fee_is_set_with_the_rate_and_audited(booth):
    booth.set_rate("van", "4.00", lost_ticket="30")
    row = ParkingRate.get(ParkingRate.vehicle_type == "van")
    assert row.lost_ticket_cents == 3000
    assert json.loads(audits("rate")[-1].details)["lost_ticket"] == "30.00"
    booth.set_rate("van", "4.00", lost_ticket="")  # cleared: a day at the rate again
    assert ParkingRate.get(ParkingRate.vehicle_type == "van").lost_ticket_cents is None
    assert booth.lost_ticket_quote("VAN1", "van").amount == Decimal("96.00")


@pytest.mark.parametrize("lost", ["-5", 12.5, "abc", "100001", "1.234", True])
def test_a_bad_lost_ticket_fee_is_refused(booth, lost):
    with pytest.raises(BoothError) as caught:
        booth.set_rate("car", "2.50", lost_ticket=lost)
    assert caught.value.field == "lost_ticket"
    assert ParkingRate.get(ParkingRate.vehicle_type == "car").lost_ticket_cents is None


def test_a_returning_plate_not_on_site_keeps_its_vehicle_row(booth, clock):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.pay(reg.stay_id, "card")
    clock.advance(hours=3)
    receipt = booth.pay_lost_ticket("AB12CDE", "car", "card", "ticket_damaged")
    assert Vehicle.select().count() == 1
    assert Payment.get_by_id(receipt.payment_id).vehicle_id == reg.vehicle_id
    assert Vehicle.get_by_id(reg.vehicle_id).contact_name == "Jane"  # the earlier visit's details are left alone


def test_a_retried_transaction_id_charges_once(booth):
    first = booth.pay_lost_ticket("XY99ZZZ", "car", "card", "no_ticket", transaction_id="LT-1")
    again = booth.pay_lost_ticket("XY99ZZZ", "car", "card", "no_ticket", transaction_id="LT-1")
    on_site = booth.register("CD34EFG", "Jim", PHONE, "car")
    on_record = booth.pay_lost_ticket("CD34EFG", None, "cash", "ticket_damaged", tendered="5", transaction_id="LT-2")
    assert dataclasses.replace(on_record, repeated=True) == booth.pay_lost_ticket(
        "CD34EFG", "car", "cash", "ticket_damaged", tendered="5", transaction_id="LT-2")
    assert on_record.stay_id == on_site.stay_id
    assert again.repeated and again.payment_id == first.payment_id and again.amount == first.amount
    assert dataclasses.replace(first, repeated=True) == again  # rebuilt from the row: the same receipt
    assert Payment.select().where(Payment.transaction_id == "LT-1").count() == 1 and Stay.select().count() == 2
    with pytest.raises(BoothError) as caught:  # the same id for another plate
        booth.pay_lost_ticket("OTHER1", "car", "card", "no_ticket", transaction_id="LT-1")
    assert caught.value.field == "transaction_id"
    reg = booth.register("EF56GHJ", "Kim", PHONE, "car")
    paid = booth.pay(reg.stay_id, "card", transaction_id="T-9")
    with pytest.raises(BoothError) as caught:  # an ordinary payment's id
        booth.pay_lost_ticket("EF56GHJ", "car", "card", "no_ticket", transaction_id="T-9")
    assert caught.value.field == "transaction_id"
    assert Payment.select().count() == 3 and Payment.get_by_id(paid.payment_id).exception is None


@pytest.mark.parametrize("plate,vtype,method,reason,tendered,note,field", [
    ("", "car", "card", "no_ticket", None, None, "plate"),
    ("AB\x0012", "car", "card", "no_ticket", None, None, "plate"),
    ("XY99ZZZ", None, "card", "no_ticket", None, None, "type"),  # not on record: the type is needed
    ("XY99ZZZ", "tank", "card", "no_ticket", None, None, "type"),  # no rate for it
    ("XY99ZZZ", 7, "card", "no_ticket", None, None, "type"),
    ("XY99ZZZ", "car", "iou", "no_ticket", None, None, "method"),
    ("XY99ZZZ", "car", "cash", "no_ticket", "59.99", None, "tendered"),
    ("XY99ZZZ", "car", "cash", "no_ticket", 60.0, None, "tendered"),
    ("XY99ZZZ", "car", "card", "lost", None, None, "reason"),
    ("XY99ZZZ", "car", "card", None, None, None, "reason"),
    ("XY99ZZZ", "car", "card", "goodwill", None, None, "reason"),  # an override's code
    ("XY99ZZZ", "car", "card", "no_ticket", None, "he says 9am", "note"),  # no lost_ticket code takes a note
])
def test_bad_lost_ticket_payments_change_nothing(booth, plate, vtype, method, reason, tendered, note, field):
    with pytest.raises(BoothError) as caught:
        booth.pay_lost_ticket(plate, vtype, method, reason, tendered=tendered, note=note)
    assert caught.value.field == field, caught.value.message
    assert Payment.select().count() == 0 and Vehicle.select().count() == 0 and Stay.select().count() == 0


def test_a_note_goes_with_the_stay_when_the_code_allows_one(booth):
    booth.set_reason_code("lost_ticket", "other", "other (say why)", note_allowed=True)
    receipt = booth.pay_lost_ticket("XY99ZZZ", "car", "card", "other", note="came in before the booth opened")
    assert Stay.get_by_id(receipt.stay_id).note == "came in before the booth opened"
    assert "booth opened" not in audits("lost_ticket")[0].details


def test_a_lost_ticket_needs_an_open_shift_and_the_pay_permission(booth, make_booth, database, clock):
    later_run = make_booth(database, clock, actor=booth.actor)
    with pytest.raises(BoothError) as caught:
        later_run.pay_lost_ticket("XY99ZZZ", "car", "card", "no_ticket")
    assert caught.value.field == "shift"
    front = make_booth(database, clock, actor=None)
    with pytest.raises(BoothError) as caught:
        front.pay_lost_ticket("XY99ZZZ", "car", "card", "no_ticket")
    assert caught.value.code == "forbidden"
    assert front.lost_ticket_quote("XY99ZZZ", "car").amount == Decimal("60.00")  # a read: anyone
    assert Payment.select().count() == 0 and Vehicle.select().count() == 0


def test_the_plate_a_lost_ticket_recorded_expires_like_any_visit(booth, clock):
    receipt = booth.pay_lost_ticket("XY99ZZZ", "car", "card", "no_ticket")
    clock.advance(hours=booth.config().retention_hours, seconds=1)
    booth.expire()
    vehicle = Vehicle.get_by_id(Payment.get_by_id(receipt.payment_id).vehicle_id)
    assert vehicle.number_plate.startswith("~") and vehicle.purged_at is not None
    assert Payment.get_by_id(receipt.payment_id).amount_cents == 6000


def test_a_lost_ticket_quote_of_a_car_on_site_is_its_fee_now(booth, clock):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(minutes=30)
    assert booth.lost_ticket_quote("AB12CDE").amount == Decimal("2.50")
    clock.advance(hours=1)
    assert booth.lost_ticket_quote("AB12CDE").fee.exit_at == reg.entry_at + dt.timedelta(minutes=90)
