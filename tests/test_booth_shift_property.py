"""The drawer arithmetic as a property over random shifts: whatever the float, payments, refunds,
drops and payouts, expected cash = float + cash - cash refunds - payouts - drops, expected card =
card - card refunds, and the Z report's stored totals are the sums of what happened."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from staff_support import as_manager, person

from kiosk.booth import Booth
from kiosk.models import ZReport

PHONE = "07400 123456"
CENT = Decimal("0.01")
EXAMPLE = itertools.count()  # each example its own booth: examples share the test's database

step = st.one_of(
    st.tuples(st.just("pay"), st.sampled_from(["cash", "card"]), st.integers(0, 30)),  # method, hours parked
    st.tuples(st.just("refund"), st.integers(0, 10**6)),  # which earlier payment (modulo)
    st.tuples(st.sampled_from(["drop", "payout"]), st.integers(1, 10**6)),  # cents, capped by the drawer
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(float_cents=st.integers(0, 50_000), steps=st.lists(step, max_size=12),
       off_by=st.integers(-2000, 2000), batch_off=st.integers(-500, 500),
       signoff=st.sampled_from(["miscount", "wrong_change", "unexplained"]))
def test_expected_cash_and_the_z_report_are_the_sums_of_the_shift(database, clock, pin_hasher, float_cents, steps,
                                                                   off_by, batch_off, signoff):
    n = next(EXAMPLE)
    booth = as_manager(Booth(database, clock, booth_name=f"P{n}", pin_hasher=pin_hasher))
    booth.open_shift(str(Decimal(float_cents) / 100))
    taken: list[tuple[int, str, Decimal]] = []  # payment id, method, amount; not yet refunded
    cash = card = cash_back = card_back = drops = payouts = Decimal(0)
    cars = 0
    for item in steps:
        if item[0] == "pay":
            _, method, hours = item
            reg = booth.register(f"P{n}X{cars}", "Jane", PHONE, "car")
            cars += 1
            clock.advance(hours=hours, minutes=7)
            fee = booth.quote(reg.stay_id).total
            receipt = booth.pay(reg.stay_id, method, str(fee) if method == "cash" else None)
            assert receipt.amount == fee
            taken.append((receipt.payment_id, method, fee))
            if method == "cash":
                cash += fee
            else:
                card += fee
        elif item[0] == "refund" and taken:
            pid, method, amount = taken.pop(item[1] % len(taken))
            if amount == 0:
                continue
            booth.refund(pid, "wrong_amount")
            if method == "cash":
                cash_back += amount
            else:
                card_back += amount
        elif item[0] in ("drop", "payout"):
            drawer = Decimal(float_cents) / 100 + cash - cash_back - drops - payouts
            amount = min(Decimal(item[1]) / 100, drawer)
            if amount < CENT:
                continue
            if item[0] == "drop":
                booth.cash_drop(str(amount), "safe_drop")
                drops += amount
            else:
                booth.payout(str(amount), "supplies")
                payouts += amount
    expected = Decimal(float_cents) / 100 + cash - cash_back - payouts - drops
    x = booth.x_report()
    assert (x.expected_cash, x.expected_card) == (expected, card - card_back)
    counted = max(Decimal(0), expected + Decimal(off_by) / 100)
    batch = max(Decimal(0), card - card_back + Decimal(batch_off) / 100)
    result = booth.close_shift(str(counted), card_batch=str(batch))
    assert (result.expected_cash, result.variance, result.card_variance) == (expected, counted - expected,
                                                                               batch - (card - card_back))
    assert result.needs_signoff == (abs(counted - expected) > Decimal("5.00"))
    if result.needs_signoff:
        # Another person signs off what the manager counted (dual control).
        result = booth.signed_in(person(booth, "Second Supervisor", "supervisor")).sign_off_shift(signoff)
    z = result.report
    assert z is not None and z.number == 1
    assert (z.cash, z.card, z.refunds, z.drops, z.payouts) == (cash, card, cash_back + card_back, drops, payouts)
    assert (z.expected_cash, z.counted_cash, z.variance) == (expected, counted, counted - expected)
    assert z.payments_count == cars and z.cars_in == cars
    row = ZReport.get(ZReport.booth_name == f"P{n}")
    cents = lambda d: int(d * 100)  # noqa: E731
    assert (row.cash_cents, row.card_cents, row.refunds_cents, row.drops_cents, row.payouts_cents,
            row.expected_cash_cents, row.counted_cash_cents, row.variance_cents, row.net_cents) == (
        cents(cash), cents(card), cents(cash_back + card_back), cents(drops), cents(payouts), cents(expected),
        cents(counted), cents(counted - expected), cents(cash + card - cash_back - card_back))
    assert booth.z_report(1, booth=f"P{n}").expected_cash == expected
