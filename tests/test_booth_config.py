"""Configuration and layout: validated, audited, and an invalid value changes nothing."""

import json
import time
from decimal import Decimal

import pytest
from staff_support import off_shift

from kiosk.booth import BoothError
from kiosk.models import AuditLog, ParkingRate, ParkingSpot

PHONE = "07400 123456"



def test_defaults(booth):
    cfg = booth.config()
    assert (cfg.retention_hours, cfg.archive_days, cfg.booth_name, cfg.phone_region) == (24, 90, "Booth", "GB")
    assert [(r.vehicle_type, r.rate_per_hour, r.minimum_hours, r.grace_minutes, r.daily_cap) for r in cfg.rates] == [
        ("car", Decimal("2.50"), 1, 0, None), ("van", Decimal("4.00"), 1, 0, None), ("motorcycle", Decimal("1.20"), 1, 0, None)]


def test_update_config_validates_all_then_writes_once(booth):
    off_shift(booth)  # renaming the booth needs its shift closed
    cfg = booth.update_config(retention_hours="48", archive_days=30, booth_name=" Booth A ", phone_region="ie")
    assert (cfg.retention_hours, cfg.archive_days, cfg.booth_name, cfg.phone_region) == (48, 30, "Booth A", "IE")
    audit = AuditLog.get(AuditLog.action == "config")
    assert json.loads(audit.details)["changes"]["retention_hours"] == [24, 48]
    assert booth.format_phone("087 123 4567")[0] == "+353871234567"


@pytest.mark.parametrize("fields,field", [
    ({"retention_hours": 0}, "retention_hours"), ({"retention_hours": 8761}, "retention_hours"),
    ({"retention_hours": "12; DROP TABLE system_config"}, "retention_hours"), ({"retention_hours": 1.5}, "retention_hours"),
    ({"archive_days": -1}, "archive_days"), ({"booth_name": ""}, "booth_name"), ({"booth_name": "x" * 41}, "booth_name"),
    ({"phone_region": "ZZ"}, "phone_region"), ({"colour": "red"}, "colour"),
    ({"retention_hours": 12, "archive_days": "many"}, "archive_days"),
])
def test_invalid_settings_change_nothing(booth, fields, field):
    before = booth.config()
    audits = AuditLog.select().count()
    with pytest.raises(BoothError) as err:
        booth.update_config(**fields)
    assert err.value.field == field
    assert booth.config() == before and AuditLog.select().count() == audits


def test_set_rate_updates_or_adds_one_rate_per_type(booth):
    rate = booth.set_rate("Car", "3.00", minimum_hours="2", grace_minutes=10, daily_cap="18.50")
    assert (rate.rate_per_hour, rate.minimum_hours, rate.grace_minutes, rate.daily_cap) == (Decimal("3.00"), 2, 10, Decimal("18.50"))
    booth.set_rate("bus", "9.99")
    assert booth.vehicle_types() == ["car", "van", "motorcycle", "bus"]
    assert ParkingRate.select().where(ParkingRate.vehicle_type == "car").count() == 1
    assert AuditLog.select().where(AuditLog.action == "rate").count() == 2


@pytest.mark.parametrize("args,field", [
    (("car", "0"), "rate"), (("car", "-2"), "rate"), (("car", 2.5), "rate"), (("car", "1000.01"), "rate"),
    (("car", "2", -1), "minimum_hours"), (("car", "2", 25), "minimum_hours"), (("car", "2", 1, 60), "grace_minutes"),
    (("car", "2", 1, 0, "-5"), "daily_cap"), (("", "2"), "type"), (("c a r", "2"), "type"),
])
def test_invalid_rates_change_nothing(booth, args, field):
    before = booth.config().rates
    with pytest.raises(BoothError) as err:
        booth.set_rate(*args)
    assert err.value.field == field
    assert booth.config().rates == before


def test_the_database_refuses_a_second_rate_row_for_a_type(database):
    import peewee

    with pytest.raises(peewee.IntegrityError):
        database.execute_sql("INSERT INTO parking_rates (vehicle_type, rate_per_hour) VALUES ('car', 1)")


def test_spot_ranges_retype_and_remove(booth):
    assert booth.add_spots("C01-C10", "van") == [f"C{i:02d}" for i in range(1, 11)]
    assert booth.free_counts()["van"] == (14, 14)
    with pytest.raises(BoothError) as err:
        booth.add_spots("C08-C12", "van")  # overlaps: nothing added
    assert err.value.field == "spots" and "C08" in str(err.value)
    assert not ParkingSpot.select().where(ParkingSpot.spot_number == "C11").exists()
    with pytest.raises(BoothError):
        booth.add_spots("D01-D02", "lorry")  # no rate
    booth.retype_spot("c10", "car")
    assert booth.free_counts()["car"] == (31, 31)
    booth.remove_spot("C09")
    assert booth.free_counts()["van"] == (12, 12)
    reg = booth.register("AB12CDE", "Jane", PHONE, "car", spot="C10")
    for action in (lambda: booth.retype_spot("C10", "van"), lambda: booth.remove_spot("C10")):
        with pytest.raises(BoothError) as err:
            action()
        assert "occupied" in str(err.value)
    with pytest.raises(BoothError):
        booth.remove_spot("Q77")
    assert reg.spot == "C10"
    actions = [a.action for a in booth.recent_audit(action=None)]
    assert {"spots_add", "spot_retype", "spot_remove"} <= set(actions)


def test_spot_states_one_query_for_ten_thousand_spots(booth, database, clock):
    booth.set_rate("bike", "0.50")
    booth.add_spots("P0001-P5000", "bike")
    booth.add_spots("Q0001-Q5000", "bike")
    booth.register("AB12CDE", "Jane", PHONE, "bike", spot="Q0007")
    queries = []
    original = database.execute_sql

    def counting(sql, *a, **k):
        queries.append(sql)
        return original(sql, *a, **k)

    database.execute_sql = counting
    try:
        started = time.perf_counter()
        states = booth.spot_states()
        elapsed = time.perf_counter() - started
    finally:
        del database.execute_sql
    assert len(states) == 10_040
    q7 = next(s for s in states if s.spot_number == "Q0007")
    assert (q7.state, q7.plate, q7.vehicle_type) == ("occupied", "AB12CDE", "bike")
    assert sum(1 for q in queries if "parking_spots" in q) == 1
    print(f"spot_states for 10,040 spots: {elapsed * 1000:.0f} ms")


def test_a_rate_typed_with_a_decimal_comma_is_saved_as_typed(booth):
    # '2,75' was saved as £275.00 an hour.
    assert booth.set_rate("car", "2,75", daily_cap="12,5").rate_per_hour == Decimal("2.75")
    assert booth.config().rate_for("car").daily_cap == Decimal("12.50")
    for bad in ("2,750", "1.000,00", "2,7,5"):
        with pytest.raises(BoothError) as err:
            booth.set_rate("car", bad)
        assert err.value.field == "rate"
    assert booth.config().rate_for("car").rate_per_hour == Decimal("2.75")


def test_the_booth_cannot_be_renamed_while_its_shift_is_open(booth):
    """Its shift, Z numbers and payments are recorded under the name: renaming would orphan the shift."""
    assert booth.current_shift() is not None  # the fixture opened one
    with pytest.raises(BoothError, match="has a shift open: close it before renaming") as err:
        booth.update_config(booth_name="South", retention_hours=12)
    assert err.value.field == "booth_name"
    assert (booth.config().booth_name, booth.config().retention_hours) == ("Booth", 24)
