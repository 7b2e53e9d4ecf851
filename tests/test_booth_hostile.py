"""Any input to any public Booth method: a result or a BoothError, never another exception."""

import datetime as dt
import inspect
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.booth import Booth, BoothError
from kiosk.booth.exceptions_facade import ExceptionsFacade
from staff_support import as_manager

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
    booth = as_manager(Booth(database, clock))
    args = [data.draw(hostile) for _ in range(CALLS[method])]
    try:
        getattr(booth, method)(*args)
    except BoothError as exc:
        assert str(exc) and "Traceback" not in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=30), value=hostile)
def test_update_config_any_input(database, clock, name, value):
    before = as_manager(Booth(database, clock)).config()
    try:
        as_manager(Booth(database, clock)).update_config(**{name: value})
    except BoothError as exc:
        assert exc.field == name or exc.field is None
        assert as_manager(Booth(database, clock)).config() == before


@pytest.mark.parametrize("kwargs", [dict(batch_size="x"), dict(progress="x"), dict(should_stop=5)])
def test_lifecycle_rejects_bad_arguments(database, clock, kwargs):
    booth = as_manager(Booth(database, clock))
    for run in (booth.expire, booth.archive):
        with pytest.raises(BoothError):
            run(**kwargs)


def test_quote_rejects_a_non_time(database, clock):
    booth = as_manager(Booth(database, clock))
    reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
    with pytest.raises(BoothError):
        booth.quote(reg.stay_id, at="tomorrow")
    assert booth.quote(reg.stay_id).total == Decimal("2.50")


# ---- every public method, found by introspection (a method added later is covered too) ------------
PHONE = "07400 123456"
_UTC = dt.timezone.utc
TYPES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=30),
    st.binary(max_size=8), st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("sNaN"), Decimal("1E+999999"), Decimal("-0"), Decimal("0.001")]),
    st.datetimes(),  # naive: names no moment
    st.datetimes(timezones=st.sampled_from([_UTC, dt.timezone(dt.timedelta(hours=-11)), dt.timezone(dt.timedelta(hours=13))])),
    st.sampled_from([dt.datetime.min, dt.datetime.max, dt.datetime.max.replace(tzinfo=_UTC), dt.date.min, dt.date.max,
                     dt.timedelta(days=1), dt.time(12), object(), Decimal, (1,), {"a": 1}]),
    st.dates(), st.lists(st.integers(), max_size=3),
    st.sampled_from(["no", "yes", "0", "false", "True", "refund-1", "refund-2", "REFUND-3"]),
)
PLAUSIBLE = st.sampled_from([1, 2, "1", "AB12CDE", "ab12 cde", "Jane Doe", PHONE, "car", "van", "A01", "A02-A03",
                             "cash", "card", "10", "10,00", "wrong car charged", "2026-11-24", 24, 10, "GB", "entry", "",
                             "no_ticket", "keyed_in_error", "goodwill", "0.50"])
VALUE = st.one_of(TYPES, PLAUSIBLE)
SETTING_NAMES = st.sampled_from(["retention_hours", "archive_days", "booth_name", "phone_region", "currency_symbol",
                                 "expiry_batch_size", "archive_batch_size", "unknown", "updated_at"])
METHODS = sorted(name for cls in (Booth, ExceptionsFacade) for name, member in vars(cls).items()
                 if callable(member) and not name.startswith("_") and not isinstance(member, property))


def test_every_public_method_is_found():
    assert {"register", "pay", "quote", "refund", "set_rate", "update_config", "expire", "spot_states",
            "pay_lost_ticket", "void_payment", "free_exit", "override_fee", "debts_for"} <= set(METHODS)


@pytest.fixture
def site(booth, clock):
    """A car paid for (stay 1, payment 1) and one on site (stay 2), so plausible ids reach the database."""
    first = booth.register("AB12CDE", "Jane Doe", "07400 123456", "car")
    booth.register("CD34EFG", "Jim Doe", "07400 123456", "van")
    clock.advance(hours=1)
    booth.pay(first.stay_id, "card")
    return booth


@pytest.mark.parametrize("name", METHODS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_public_method_given_any_argument_types_raises_only_booth_error(site, name, data):
    method = getattr(site, name)
    kwargs = {}
    for param in inspect.signature(method).parameters.values():
        if param.kind is param.VAR_KEYWORD:
            kwargs.update(data.draw(st.dictionaries(SETTING_NAMES, VALUE, max_size=3), label="settings"))
        elif param.kind is not param.VAR_POSITIONAL and not (
                param.default is not param.empty and data.draw(st.booleans(), label=f"omit {param.name}")):
            kwargs[param.name] = data.draw(VALUE, label=param.name)
    try:
        method(**kwargs)
    except BoothError as exc:
        assert exc.message and "Traceback" not in exc.message


@pytest.mark.parametrize("call", [
    pytest.param(lambda b: b.quote(2, at=dt.datetime(2026, 11, 24, 13, 0)), id="quote-naive-time"),  # was TypeError
    pytest.param(lambda b: b.expiry_preview(Decimal("1E+999999")), id="huge-decimal"),  # ValueError, after seconds
    pytest.param(lambda b: b.revenue_per_day(10**5000), id="huge-int"),  # ValueError printing it
    pytest.param(lambda b: b.occupancy_through_day(dt.date.max), id="last-day"),  # OverflowError
    pytest.param(lambda b: b.refund(1, "wrong car charged", reopen="no"), id="reopen-word"),  # reopened the stay
    pytest.param(lambda b: b.pay(2, "card", transaction_id="refund-3"), id="refund-namespace"),
])
def test_argument_types_that_leaked_other_exceptions_are_booth_errors(site, call):
    with pytest.raises(BoothError):
        call(site)
