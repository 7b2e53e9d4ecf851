"""Reports: occupancy now and through the day, revenue per day and method, the audit trail."""

import datetime as dt
from decimal import Decimal

import pytest

from kiosk.booth import BoothError

PHONE = "07400 123456"



def test_occupancy_by_type(booth):
    booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.register("VAN1XX", "Jim", PHONE, "van")
    occ = {o.vehicle_type: (o.occupied, o.free, o.total) for o in booth.occupancy_by_type()}
    assert occ == {"car": (1, 29, 30), "van": (1, 3, 4), "motorcycle": (0, 6, 6)}


def test_occupancy_through_the_day(booth, clock):
    clock.set("2026-11-24 09:30:00")
    a = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.set("2026-11-24 10:10:00")
    booth.register("XY34ZZZ", "Jim", PHONE, "car")
    clock.set("2026-11-24 11:00:00")
    booth.pay(a.stay_id, "card")
    clock.set("2026-11-24 13:15:00")
    hours = dict(booth.occupancy_through_day("2026-11-24"))
    assert (hours[8], hours[9], hours[10], hours[11], hours[12], hours[13], hours[14]) == (0, 1, 2, 1, 1, 1, 0)
    assert booth.occupancy_through_day(dt.date(2026, 11, 23)) == [(h, 0) for h in range(24)]
    with pytest.raises(BoothError) as err:
        booth.occupancy_through_day("yesterday")
    assert err.value.field == "day"


def test_revenue_per_day_and_method_net_of_refunds(booth, clock):
    clock.set("2026-11-23 10:00:00")
    a = booth.register("AB12CDE", "Jane", PHONE, "car")
    b = booth.register("XY34ZZZ", "Jim", PHONE, "van")
    clock.set("2026-11-23 11:30:00")
    pa = booth.pay(a.stay_id, "cash", "5")
    booth.pay(b.stay_id, "card")
    clock.set("2026-11-24 09:00:00")
    booth.refund(pa.payment_id, "equipment_fault")
    assert booth.revenue_per_day(days=7) == [
        (dt.date(2026, 11, 23), "card", Decimal("8.00")),
        (dt.date(2026, 11, 23), "cash", Decimal("5.00")),
        (dt.date(2026, 11, 24), "cash", Decimal("-5.00")),
    ]
    assert booth.revenue_per_day(days=1) == [(dt.date(2026, 11, 24), "cash", Decimal("-5.00"))]
    for bad in (0, -3, "x", 5000):
        with pytest.raises(BoothError):
            booth.revenue_per_day(days=bad)


def test_recent_audit_newest_first_and_filtered(booth):
    booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.update_config(retention_hours=12)
    rows = booth.recent_audit()
    assert [r.action for r in rows] == ["config", "entry"]
    assert [r.action for r in booth.recent_audit(action="entry")] == ["entry"]
    assert booth.recent_audit(action="' OR 1=1 --") == []
    with pytest.raises(BoothError):
        booth.recent_audit(limit=0)


def test_recent_stays_newest_first_with_their_outcome_and_no_plate_once_expired(booth, clock):
    clock.set("2026-11-24 09:00:00")
    a = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.set("2026-11-24 09:05:00")
    b = booth.register("VAN1XX", "Jim", PHONE, "van")
    clock.set("2026-11-24 10:00:00")
    booth.pay(a.stay_id, "cash", "10")
    rows = booth.recent_stays(5)
    assert [(r.stay_id, r.plate, r.spot, r.status) for r in rows] == [(b.stay_id, "VAN1XX", "B01", "open"),
                                                                       (a.stay_id, "AB12CDE", "A01", "paid")]
    assert rows[1].exit_at is not None and rows[0].exit_at is None
    assert [r.stay_id for r in booth.recent_stays(1)] == [b.stay_id]
    clock.set("2026-11-26 10:00:00")  # past the 24 h retention: the paid car's plate is purged
    booth.expire()
    assert [r.plate for r in booth.recent_stays()] == ["VAN1XX", None]
    for bad in (0, -1, "x", 1001):
        with pytest.raises(BoothError) as err:
            booth.recent_stays(bad)
        assert err.value.field == "limit"
