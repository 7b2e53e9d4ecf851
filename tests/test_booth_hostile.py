"""Any input to any public Booth method: a result or a BoothError, never another exception."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.booth import Booth, BoothError

hostile = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True),
    st.text(max_size=60), st.text(alphabet="０１２ＡＢ-' ;%_\\\x00\u202e", max_size=20),
    st.sampled_from(["", " ", "'; DROP TABLE vehicles; --", "1 OR 1=1", "A" * 5000, "car", "A01", "1", "-1", "0",
                     "NaN", "1e9", "cash", "card", "07400 123456", "AB12CDE", "A01-A05"]),
    st.decimals(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=2), st.just(b"bytes"),
    st.just(dt.date(2026, 1, 1)),
)

CALLS = {
    "register": 5, "normalise_plate": 1, "format_phone": 1, "suggest_spot": 1, "open_stay_for": 1, "open_stays": 2,
    "quote": 1, "pay": 4, "refund": 2, "recent_payments": 1, "close_departed": 2, "set_rate": 5, "add_spots": 2,
    "retype_spot": 2, "remove_spot": 1, "expiry_preview": 1, "occupancy_through_day": 1, "revenue_per_day": 1,
    "recent_audit": 2, "last_runs": 1, "lookalikes": 1,
}


@pytest.mark.parametrize("method", sorted(CALLS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_only_booth_errors_escape(database, clock, method, data):
    booth = Booth(database, clock)
    args = [data.draw(hostile) for _ in range(CALLS[method])]
    try:
        getattr(booth, method)(*args)
    except BoothError as exc:
        assert str(exc) and "Traceback" not in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=30), value=hostile)
def test_update_config_any_input(database, clock, name, value):
    before = Booth(database, clock).config()
    try:
        Booth(database, clock).update_config(**{name: value})
    except BoothError as exc:
        assert exc.field == name or exc.field is None
        assert Booth(database, clock).config() == before


@pytest.mark.parametrize("kwargs", [dict(batch_size="x"), dict(progress="x"), dict(should_stop=5)])
def test_lifecycle_rejects_bad_arguments(database, clock, kwargs):
    booth = Booth(database, clock)
    for run in (booth.expire, booth.archive):
        with pytest.raises(BoothError):
            run(**kwargs)


def test_quote_rejects_a_non_time(database, clock):
    booth = Booth(database, clock)
    reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
    with pytest.raises(BoothError):
        booth.quote(reg.stay_id, at="tomorrow")
    assert booth.quote(reg.stay_id).total == Decimal("2.50")
