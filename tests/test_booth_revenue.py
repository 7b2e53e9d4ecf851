"""A revenue total over 100,000 payments is exact to the cent (integer cents, not float DECIMAL)."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from dbcheck import is_pg, q

from kiosk.booth import Booth
from kiosk.clock import FixedClock
from staff_support import as_manager

N = 100_000


@pytest.mark.slow
def test_revenue_over_100k_payments_is_exact(database):
    clock = FixedClock("2026-11-24 23:00:00")
    booth = as_manager(Booth(database, clock))
    reg = booth.register("AB12CDE", "Jane", "07400 123456", "car")
    rng = random.Random(5)
    expected = defaultdict(Decimal)
    rows = []
    for i in range(N):
        cents = rng.choice([10, 20, 30, 70, 1, 99, 250, 333, 1999, rng.randint(1, 50_000)])
        if i % 50 == 0:
            cents = -cents  # refunds
        day = dt.date(2026, 11, 24) - dt.timedelta(days=i % 10)
        method = "cash" if i % 3 else "card"
        amount = (Decimal(cents) / 100).quantize(Decimal("0.01"))
        expected[(day, method)] += amount
        rows.append((reg.vehicle_id, reg.stay_id, str(amount), cents, "refunded" if cents < 0 else "paid", method,
                     f"bulk-{i}", f"{day} 12:00:00"))
    with database.atomic():
        database.cursor().executemany(q(database,
            "INSERT INTO payments (vehicle_id, stay_id, amount, amount_cents, payment_status, payment_method, "
            "transaction_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"), rows)
    report = booth.revenue_per_day(days=14)
    assert {(d, m): v for d, m, v in report} == dict(expected)
    total = sum(v for _, _, v in report)
    assert total == sum(expected.values())
    assert total == Decimal(sum(r[3] for r in rows)) / 100
    plan_sum = database.execute_sql("SELECT SUM(amount) FROM payments").fetchone()[0]
    if is_pg(database):  # NUMERIC(10,2) is exact there: the plan's column agrees to the cent
        assert plan_sum == total and isinstance(plan_sum, Decimal)
    else:  # SQLite's DECIMAL stores a float: close, but only the cents column is guaranteed exact
        assert abs(Decimal(str(plan_sum)) - total) < Decimal("0.01")
