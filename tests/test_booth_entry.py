"""Entry: registration, returning plates, spot choice, a full car park, and nothing half-done."""

import json

import pytest

from kiosk.booth import Booth, BoothError
from kiosk.models import AuditLog, ParkingSpot, Stay, Vehicle
from staff_support import as_manager, on_shift

PHONE = "07400 123456"


@pytest.fixture
def booth(database, clock):
    return on_shift(as_manager(Booth(database, clock, booth_name="North")))


def counts():
    return (Vehicle.select().count(), Stay.select().count(), AuditLog.select().count(),
            ParkingSpot.select().where(ParkingSpot.is_occupied == True).count())  # noqa: E712


def test_fresh_database_has_a_usable_default_layout(booth):
    assert booth.vehicle_types() == ["car", "van", "motorcycle"]
    assert booth.free_counts() == {"car": (30, 30), "van": (4, 4), "motorcycle": (6, 6)}
    assert booth.suggest_spot("car") == "A01"
    assert booth.suggest_spot("motorcycle") == "M01"


def test_register_takes_the_first_free_spot_of_the_type(booth, clock):
    reg = booth.register("ab-12 cde", "  Jane Doe ", PHONE, "car")
    assert (reg.plate, reg.spot, reg.vehicle_type, reg.entry_at) == ("AB12CDE", "A01", "car", clock.now())
    v = Vehicle.get_by_id(reg.vehicle_id)
    assert (v.number_plate, v.contact_name, v.phone_number, v.parking_spot) == ("AB12CDE", "Jane Doe", "+447400123456", "A01")
    assert ParkingSpot.get(ParkingSpot.spot_number == "A01").is_occupied
    assert booth.register("XY34ZZZ", "Jim", PHONE, "car").spot == "A02"
    assert booth.free_counts()["car"] == (28, 30)


def test_a_plate_on_site_is_refused_with_where_it_is(booth):
    booth.register("AB12CDE", "Jane", PHONE, "car")
    before = counts()
    with pytest.raises(BoothError) as err:
        booth.register("ab12 cde", "Someone", PHONE, "van")
    assert err.value.field == "plate"
    assert "A01" in str(err.value) and "already parked" in str(err.value)
    assert counts() == before


def test_a_returning_plate_starts_a_new_stay_and_keeps_the_old_payment(booth, clock):
    first = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=1)
    paid = booth.pay(first.stay_id, "card")
    clock.advance(hours=3)
    second = booth.register("AB12CDE", "Jane Doe", "+33 6 12 34 56 78", "van")
    assert second.vehicle_id == first.vehicle_id and second.stay_id != first.stay_id
    v = Vehicle.get_by_id(first.vehicle_id)
    assert (v.contact_name, v.phone_number, v.vehicle_type, v.payment_status) == ("Jane Doe", "+33612345678", "van", None)
    assert v.entry_timestamp == clock.now()
    assert Stay.get_by_id(first.stay_id).status == "paid"
    assert [p.payment_id for p in booth.recent_payments() if p.stay_id == first.stay_id] == [paid.payment_id]


def test_a_named_spot_must_exist_be_free_and_of_the_type(booth):
    assert booth.register("AB12CDE", "Jane", PHONE, "car", spot="a07").spot == "A07"
    before = counts()
    for spot, words in [("A07", "occupied"), ("B01", "for van"), ("Z99", "no spot"), ("A07; --", "not a spot")]:
        with pytest.raises(BoothError) as err:
            booth.register("XY34ZZZ", "Jim", PHONE, "car", spot=spot)
        assert err.value.field == "spot" and words in str(err.value)
    assert counts() == before


def test_a_full_car_park_says_so_and_changes_nothing(booth):
    for i in range(4):
        booth.register(f"VAN{i}X", "Van Driver", PHONE, "van")
    before = counts()
    with pytest.raises(BoothError) as err:
        booth.register("VAN9X", "Van Driver", PHONE, "van")
    assert err.value.field == "type" and "full" in str(err.value) and "4" in str(err.value)
    assert counts() == before
    assert booth.suggest_spot("van") is None


def test_unknown_type_and_type_without_rate_or_spots(booth):
    with pytest.raises(BoothError) as err:
        booth.register("AB12CDE", "Jane", PHONE, "lorry")
    assert err.value.field == "type" and "no rate" in str(err.value)
    booth.set_rate("bus", "9.00")
    with pytest.raises(BoothError) as err:
        booth.register("AB12CDE", "Jane", PHONE, "bus")
    assert err.value.field == "type" and "no bus spots" in str(err.value)


@pytest.mark.parametrize("field,args", [
    ("plate", ("'; DROP TABLE vehicles; --", "Jane", PHONE, "car")),
    ("plate", ("Ａ" * 200, "Jane", PHONE, "car")),
    ("name", ("AB12CDE", "", PHONE, "car")),
    ("name", ("AB12CDE", "J" * 5000, PHONE, "car")),
    ("phone", ("AB12CDE", "Jane", "not a phone", "car")),
    ("phone", ("AB12CDE", "Jane", "", "car")),
    ("type", ("AB12CDE", "Jane", PHONE, "")),
    ("type", ("AB12CDE", "Jane", PHONE, "car' OR '1'='1")),
])
def test_hostile_registrations_change_nothing(booth, field, args):
    before = counts()
    with pytest.raises(BoothError) as err:
        booth.register(*args)
    assert err.value.field == field
    assert counts() == before
    assert "vehicles" in booth.database.get_tables()


def test_lookalike_plate_is_registered_with_a_warning(booth):
    booth.register("AB10CDE", "Jane", PHONE, "car")
    reg = booth.register("AB1OCDE", "Jim", PHONE, "car")
    assert reg.plate == "AB1OCDE"
    assert reg.warnings and "AB10CDE" in reg.warnings[0]
    assert booth.lookalikes("ab1ocde") == ["AB10CDE"]


def test_open_stay_lookups_and_type_ahead(booth, clock):
    booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.register("AB99XYZ", "Jim", PHONE, "car")
    booth.register("ZZ11AAA", "Ann", PHONE, "motorcycle")
    assert booth.open_stay_for("ab12 cde").spot == "A01"
    assert booth.open_stay_for("NOPE123") is None
    assert [s.plate for s in booth.open_stays("ab")] == ["AB12CDE", "AB99XYZ"]
    assert [s.plate for s in booth.open_stays("", limit=2)] == ["AB12CDE", "AB99XYZ"]
    assert booth.open_stays("AB9")[0].overstay is False
    with pytest.raises(BoothError):
        booth.open_stays("a'b")
    with pytest.raises(BoothError):
        booth.open_stays("", limit=-1)


def test_entry_is_audited_without_personal_data(booth):
    reg = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    row = AuditLog.get((AuditLog.action == "entry") & (AuditLog.entity_id == str(reg.stay_id)))
    details = json.loads(row.details)
    assert details["booth"] == "North" and details["spot"] == "A01"
    for secret in ("AB12CDE", "Jane", "7400", "123456"):
        assert secret not in row.details


def test_stays_and_audit_carry_no_personal_data_after_a_busy_day(booth, clock):
    regs = [booth.register(f"PD{i:02d}XYZ", f"Person Number{i}", f"07400 1234{i:02d}", "car") for i in range(10)]
    for r in regs[:5]:
        clock.advance(minutes=7)
        booth.pay(r.stay_id, "cash", "20")
    booth.refund(1, "duplicate_charge")
    booth.close_departed(regs[6].stay_id, "left_without_paying")
    text = " ".join(r.details or "" for r in AuditLog.select()) + " ".join(
        f"{s.spot_number} {s.vehicle_type} {s.closed_reason}" for s in Stay.select())
    for r in regs:
        assert r.plate not in text
    assert "Person" not in text and "+44" not in text and "1234" not in text


def test_a_plate_with_umlauts_is_registered_and_found_as_it_is_typed(booth):
    reg = booth.register("mü-ab 12", "Jane", PHONE, "car")
    assert reg.plate == "MÜAB12" and reg.warnings == ()
    assert Vehicle.get_by_id(reg.vehicle_id).number_plate == "MÜAB12"
    booth.register("MA 1", "Jim", PHONE, "car")
    # The type-ahead's index range must reach past 'Z' to Ü (it stopped at '~' before).
    assert [s.plate for s in booth.open_stays("M")] == ["MA1", "MÜAB12"]
    assert [s.plate for s in booth.open_stays("mü")] == ["MÜAB12"]
    assert booth.open_stay_for("MÜ AB 12").stay_id == reg.stay_id


def test_a_letter_read_as_another_is_said_with_the_registration(booth):
    reg = booth.register("ıab 12", "Jane", PHONE, "car")
    assert reg.plate == "IAB12"
    assert reg.warnings == ("registered as IAB12: ı → I",)
