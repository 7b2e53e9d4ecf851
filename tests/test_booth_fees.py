"""The fee rule, unit by unit and as properties (hypothesis)."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.booth import BoothError, compute_fee

T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)
R = Decimal("2.50")


def at(**kw):
    return T0 + dt.timedelta(**kw)


@pytest.mark.parametrize("length,hours", [
    (dict(seconds=0), 1),           # minimum
    (dict(seconds=59), 1),
    (dict(minutes=60), 1),
    (dict(minutes=60, seconds=59), 1),  # truncated to whole minutes first
    (dict(minutes=61), 2),
    (dict(hours=2, minutes=33), 3),
    (dict(hours=24), 24),
])
def test_every_started_hour_counts(length, hours):
    fee = compute_fee(T0, at(**length), R, 1)
    assert fee.hours_charged == hours
    assert fee.total == R * hours


def test_minimum_hours():
    assert compute_fee(T0, at(minutes=30), R, 3).total == Decimal("7.50")
    assert compute_fee(T0, at(minutes=0), R, 0).total == Decimal("0.00")


def test_grace_forgives_the_last_started_hour_only_within_grace():
    assert compute_fee(T0, at(minutes=70), R, 1, grace_minutes=10).hours_charged == 1
    assert compute_fee(T0, at(minutes=70), R, 1, grace_minutes=10).grace_applied
    assert compute_fee(T0, at(minutes=71), R, 1, grace_minutes=10).hours_charged == 2
    assert compute_fee(T0, at(minutes=5), R, 0, grace_minutes=10).total == Decimal("0.00")  # short free stay needs minimum 0
    assert compute_fee(T0, at(minutes=5), R, 1, grace_minutes=10).total == R  # the minimum still applies


def test_daily_cap_per_started_24_hours():
    cap = Decimal("20.00")
    assert compute_fee(T0, at(hours=5), R, 1, daily_cap=cap).total == Decimal("12.50")
    assert compute_fee(T0, at(hours=10), R, 1, daily_cap=cap).total == cap
    assert compute_fee(T0, at(hours=25), R, 1, daily_cap=cap).total == cap + R
    fee = compute_fee(T0, at(hours=72), R, 1, daily_cap=cap)
    assert fee.total == 3 * cap and fee.cap_applied


def test_exit_before_entry_is_an_error():
    with pytest.raises(BoothError) as err:
        compute_fee(T0, at(minutes=-1), R, 1)
    assert err.value.field == "exit"


def test_breakdown_lines_show_what_was_charged():
    lines = dict(compute_fee(T0, at(hours=2, minutes=33), R, 1, 10, Decimal("20"), "car").lines())
    assert lines["time parked"] == "2 h 33 min"
    assert lines["hours started"] == "3"
    assert lines["rate (car)"] == "£2.50 / h"
    assert lines["total"] == "£7.50"


rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
caps = st.none() | st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
seconds = st.integers(min_value=0, max_value=10 * 24 * 3600)


@settings(max_examples=400, deadline=None)
@given(seconds, st.integers(0, 7200), rates, st.integers(0, 24), st.integers(0, 59), caps)
def test_fee_properties(length, more, rate, minimum, grace, cap):
    a = compute_fee(T0, at(seconds=length), rate, minimum, grace, cap)
    b = compute_fee(T0, at(seconds=length + more), rate, minimum, grace, cap)
    assert a.total >= 0 and a.total == a.total.quantize(Decimal("0.01"))
    assert b.total >= a.total  # staying longer never costs less
    assert a.total <= rate * max(minimum, a.hours_started)  # grace and cap only ever lower it
    assert a.hours_charged >= minimum
    assert a.minutes == length // 60
    if cap is None:
        assert a.total == rate * a.hours_charged
    else:
        assert a.total <= cap * max(1, -(-a.hours_charged // 24))
    if grace == 0 and cap is None:
        assert a.total == rate * max(minimum, -(-(length // 60) // 60))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5 * 24 * 60), st.integers(0, 59), rates)
def test_seconds_within_a_minute_never_change_the_fee(minutes, extra_seconds, rate):
    whole = compute_fee(T0, at(minutes=minutes), rate, 1, 5)
    assert compute_fee(T0, at(minutes=minutes, seconds=extra_seconds), rate, 1, 5).total == whole.total


def test_breakdown_lines_are_named_and_only_the_rules_a_rate_uses_are_there():
    capped = compute_fee(T0, at(hours=2, minutes=33), R, 1, 10, Decimal("20"), "car").named_lines()
    assert list(capped) == ["time", "hours_started", "grace", "minimum", "hours_charged", "rate", "daily_cap", "total"]
    assert capped["total"] == ("total", "£7.50") and capped["rate"].label == "rate (car)"
    plain = compute_fee(T0, at(hours=2, minutes=33), R, 1).named_lines()
    assert "grace" not in plain and "daily_cap" not in plain
