"""The site's time zone: stored times stay UTC; what a person reads (receipts, messages, reports) is local.

Europe/London: 12:32 UTC is 13:32 in July (BST) and 12:32 in January (GMT); on 2026-10-25 the clocks
go back at 02:00 BST, so 00:30 and 01:30 UTC are both 01:30 local, told apart by the zone.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zoneinfo
from pathlib import Path
from decimal import Decimal

import pytest

from kiosk.booth import BoothError, localtime
from kiosk.models import Payment, Stay, SystemConfig
from kiosk.tui.widgets.formats import when_text

PHONE = "07400 123456"
LONDON = zoneinfo.ZoneInfo("Europe/London")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


@pytest.fixture
def london(booth):
    booth.update_config(time_zone="Europe/London")
    return booth


def receipt_line(receipt, label: str) -> str:
    return next(line for line in receipt.text().splitlines() if line.startswith(label + " "))


def test_a_july_receipt_shows_local_summer_time_and_the_database_keeps_utc(london, clock):
    clock.set("2026-07-01 10:00:00")
    reg = london.register("AB12CDE", "Jane", PHONE, "car")
    clock.set("2026-07-01 12:32:00")
    receipt = london.pay(reg.stay_id, "card")
    assert receipt_line(receipt, "in").endswith("2026-07-01 11:00 BST")
    assert receipt_line(receipt, "out").endswith("2026-07-01 13:32 BST")
    assert receipt_line(receipt, "paid at").endswith("2026-07-01 13:32:00 BST")
    assert "UTC" not in receipt.text() and "12:32" not in receipt.text()
    # Stored as before: UTC text.
    raw = Payment.select(Payment.created_at.cast("TEXT")).where(Payment.id == receipt.payment_id).scalar()
    assert raw.startswith("2026-07-01 12:32:00")
    assert Stay.get_by_id(reg.stay_id).exit_timestamp == utc("2026-07-01 12:32:00")


def test_a_january_receipt_reads_as_utc_with_the_winter_zone(london, clock):
    clock.set("2026-01-15 10:00:00")
    reg = london.register("AB12CDE", "Jane", PHONE, "car")
    clock.set("2026-01-15 12:32:00")
    receipt = london.pay(reg.stay_id, "cash", "10")
    assert receipt_line(receipt, "out").endswith("2026-01-15 12:32 GMT")
    assert receipt_line(receipt, "paid at").endswith("2026-01-15 12:32:00 GMT")


def test_the_night_the_clocks_go_back_names_the_zone_of_each_0130(london, clock):
    clock.set("2026-10-25 00:30:00")
    first = london.register("AB12CDE", "Jane", PHONE, "car")
    clock.set("2026-10-25 01:30:00")
    second = london.register("XY34ZZZ", "Jim", PHONE, "car")
    # The duplicate-plate message says which 01:30.
    for plate, says in (("AB12CDE", "since 2026-10-25 01:30 BST"), ("XY34ZZZ", "since 2026-10-25 01:30 GMT")):
        with pytest.raises(BoothError) as err:
            london.register(plate, "Jane", PHONE, "car")
        assert says in err.value.message
    # The screens' text: the zone only where the wall time is ambiguous.
    zone = london.config().zone
    now = clock.now()
    assert when_text(first.entry_at, zone, now) == "01:30 BST"
    assert when_text(second.entry_at, zone, now) == "01:30 GMT"
    assert when_text(utc("2026-10-25 12:00:00"), zone, now) == "12:00"
    assert when_text(utc("2026-07-01 12:32:00"), zone, now) == "1 Jul 13:32"
    # A paid stay's "already closed" message, and the receipt, too.
    clock.set("2026-10-25 01:45:00")
    receipt = london.pay(first.stay_id, "card")
    assert receipt_line(receipt, "in").endswith("2026-10-25 01:30 BST")
    assert receipt_line(receipt, "out").endswith("2026-10-25 01:45 GMT")
    with pytest.raises(BoothError) as err:
        london.quote(first.stay_id)
    assert "paid at 2026-10-25 01:45 GMT" in err.value.message
    # A clock gone back before an entry: the refusal names both times, local.
    with pytest.raises(BoothError) as err:
        london.quote(second.stay_id, at=utc("2026-10-25 00:45:00"))
    assert "the exit time 2026-10-25 01:45 BST is before the entry time 2026-10-25 01:30 GMT" in err.value.message


def test_revenue_is_grouped_by_local_day(booth, clock):
    clock.set("2026-07-01 20:00:00")
    a = booth.register("AB12CDE", "Jane", PHONE, "car")
    b = booth.register("XY34ZZZ", "Jim", PHONE, "car")
    clock.set("2026-07-01 22:30:00")  # 23:30 BST: 1 July in London
    booth.pay(a.stay_id, "cash", "7.50")
    clock.set("2026-07-01 23:30:00")  # 00:30 BST: already 2 July in London
    booth.pay(b.stay_id, "card")
    clock.set("2026-07-02 12:00:00")
    assert booth.revenue_per_day(days=3) == [(dt.date(2026, 7, 1), "card", Decimal("10.00")),
                                             (dt.date(2026, 7, 1), "cash", Decimal("7.50"))]
    booth.update_config(time_zone="Europe/London")
    assert booth.revenue_per_day(days=3) == [(dt.date(2026, 7, 1), "cash", Decimal("7.50")),
                                             (dt.date(2026, 7, 2), "card", Decimal("10.00"))]
    assert booth.revenue_per_day(days=1) == [(dt.date(2026, 7, 2), "card", Decimal("10.00"))]
    # Many days: the days are sorted into chunks, none lost at the seams.
    assert booth.revenue_per_day(days=100)[-2:] == booth.revenue_per_day(days=3)


def test_occupancy_counts_local_hours_and_the_long_day_has_25(london, clock):
    clock.set("2026-07-01 12:32:00")
    london.register("AB12CDE", "Jane", PHONE, "car")
    clock.set("2026-07-01 15:00:00")
    july = london.occupancy_through_day("2026-07-01")
    assert len(july) == 24 and dict(july)[12] == 0 and dict(july)[13] == 1  # 12:32 UTC is in 13:00 BST

    clock.set("2026-10-25 00:30:00")
    early = london.register("EA12RLY", "Jane", PHONE, "car")
    clock.set("2026-10-25 00:50:00")
    london.pay(early.stay_id, "card")
    clock.set("2026-10-25 01:30:00")
    london.register("LA12TER", "Jim", PHONE, "car")
    clock.set("2026-10-25 03:00:00")
    hours = london.occupancy_through_day("2026-10-25")
    assert [h for h, _ in hours] == [0, 1, 1, *range(2, 24)]
    # AB12CDE has been on site since July; the early car only in the first 01, the late one from the second.
    assert [c for _, c in hours[:5]] == [1, 2, 2, 2, 2]
    assert [c for _, c in hours[5:]] == [0] * 20  # not yet begun
    spring = london.occupancy_through_day("2026-03-29")
    assert [h for h, _ in spring] == [0, *range(2, 24)]


def test_an_unknown_zone_is_refused_with_what_is_allowed_and_nothing_is_saved(booth):
    for bad in ("Europe/Lundon", "GMT+25", "../etc/passwd", 42, "x" * 100):
        with pytest.raises(BoothError) as err:
            booth.update_config(time_zone=bad, retention_hours=36)
        assert err.value.field == "time_zone"
        assert "a time zone name such as Europe/London" in err.value.message
        assert "empty for this machine's zone" in err.value.message
    with pytest.raises(BoothError) as err:
        booth.update_config(time_zone="Europe/Lundon")
    assert "did you mean Europe/London?" in err.value.message
    row = SystemConfig.get()
    assert (row.time_zone, row.retention_hours) == ("", 24)
    config = booth.update_config(time_zone="  europe/london ")
    assert (config.time_zone, config.zone, config.zone_name) == ("Europe/London", LONDON, "Europe/London")
    assert SystemConfig.get().time_zone == "Europe/London"
    assert booth.update_config(time_zone="").time_zone == ""


def test_empty_means_the_machines_zone_and_the_tz_variable_is_honoured(booth, monkeypatch, clock):
    monkeypatch.setenv("TZ", "America/New_York")
    config = booth.config()
    assert (config.time_zone, config.zone.key, config.zone_name) == ("", "America/New_York",
                                                                     "this machine's (America/New_York)")
    clock.set("2026-07-01 12:32:00")
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    assert receipt_line(booth.pay(reg.stay_id, "card"), "paid at").endswith("2026-07-01 08:32:00 EDT")
    # A TZ the zone database does not know (a POSIX rule) falls back to UTC and says so.
    monkeypatch.setenv("TZ", "GMT0BST,M3.5.0/1,M10.5.0")
    assert booth.config().zone.utcoffset(utc("2026-07-01 12:00:00")) == dt.timedelta(0)
    assert "could not be read" in booth.config().zone_name


def test_empty_means_the_machines_zone_in_a_fresh_process(booth, target, tmp_path):
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from staff_support import manager_actor\n"
        "from kiosk.booth import Booth\nfrom kiosk.clock import FixedClock\nfrom kiosk.db import connect, resolve_target\n"
        f"db = connect(resolve_target({target.raw!r}))\n"
        # Each process its own booth, and so its own shift (another run's open shift takes no money).
        "booth = Booth(db, FixedClock('2026-07-01 12:32:00'), booth_name='Booth AB12CDE').signed_in(manager_actor())\n"
        "booth.open_shift('0.00')\n"
        "reg = booth.register('AB12CDE', 'Jane', '07400 123456', 'car')\n"
        "print(booth.config().zone_name)\n"
        "print(booth.pay(reg.stay_id, 'card').text())\n"
    )
    for tz, name, paid in (("Asia/Tokyo", "this machine's (Asia/Tokyo)", "2026-07-01 21:32:00 JST"),
                           ("Europe/London", "this machine's (Europe/London)", "2026-07-01 13:32:00 BST")):
        if tz == "Europe/London":  # the same plate again: the first process paid it
            code = code.replace("AB12CDE", "XY34ZZZ")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin", "TZ": tz})
        assert out.returncode == 0, out.stderr[-800:]
        lines = out.stdout.splitlines()
        assert lines[0] == name
        assert any(line.startswith("paid at") and line.endswith(paid) for line in lines), out.stdout


def test_local_text_rules():
    summer, winter = utc("2026-07-01 12:32:05"), utc("2026-01-15 12:32:05")
    assert localtime.hm(summer, LONDON) == "13:32"
    assert localtime.hm(summer, LONDON, seconds=True) == "13:32:05"
    assert localtime.hm(summer, LONDON, zone_always=True) == "13:32 BST"
    assert localtime.hm(winter, LONDON, zone_always=True) == "12:32 GMT"
    assert localtime.hm(None, LONDON) == "--:--"
    assert localtime.stamp(summer, LONDON) == "2026-07-01 13:32 BST"
    naive = summer.replace(tzinfo=None)  # SQLite hands back naive UTC
    assert localtime.hm(naive, LONDON) == "13:32"
    assert localtime.day_bounds(dt.date(2026, 10, 25), LONDON) == (utc("2026-10-24 23:00:00"), utc("2026-10-26 00:00:00"))
    assert localtime.today(utc("2026-07-01 23:30:00"), LONDON) == dt.date(2026, 7, 2)
    kathmandu = zoneinfo.ZoneInfo("Asia/Kathmandu")  # +05:45: hours still turn on the local hour
    assert [h for h, *_ in localtime.hours_of_day(dt.date(2026, 1, 1), kathmandu)] == list(range(24))
