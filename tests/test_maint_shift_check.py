"""`check` on the shifts' books: gapless Z numbers per booth, a Z report for every closed shift, and
stored totals equal to the sums of the shift's rows; a difference is an error finding (exit 1)."""

from __future__ import annotations

import json

import pytest
from dbcheck import q
from staff_support import as_manager

from kiosk.booth import Booth
from kiosk.maintenance.shift_check import z_findings

PHONE = "07400 123456"


@pytest.fixture
def books(database, clock, pin_hasher):
    """Booth North with Z reports 1 and 2 (the first with a cash payment and a drop)."""
    booth = as_manager(Booth(database, clock, booth_name="North", pin_hasher=pin_hasher))
    booth.open_shift("20.00")
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2)
    paid = booth.pay(reg.stay_id, "cash", "20")
    booth.cash_drop("5.00", "safe_drop")
    booth.close_shift(str(15 + paid.amount), card_batch="0")
    booth.open_shift("0")
    booth.close_shift("0", card_batch="0")
    return booth, paid


def codes(database) -> list[str]:
    return [f.code for f in z_findings(database)]


def test_books_that_agree_have_no_finding(books, database):
    assert z_findings(database) == []


def test_a_payment_written_into_a_closed_shift_afterwards_is_found(books, database):
    _booth, paid = books
    database.execute_sql(q(database, "INSERT INTO payments (vehicle_id, stay_id, amount, amount_cents, payment_status, "
                                     "payment_method, transaction_id, created_at, shift_id) "
                                     "SELECT vehicle_id, stay_id, 1.00, 100, 'paid', 'cash', 'late-1', created_at, shift_id "
                                     "FROM payments WHERE id = ?"), (paid.payment_id,))
    found = z_findings(database)
    assert [f.code for f in found] == ["z_totals"] and found[0].level == "error"
    message = found[0].message
    assert "booth North Z report 1" in message and f"cash stored {paid.amount:.2f}, now {paid.amount + 1:.2f}" in message
    assert "payments_count stored 1, now 2" in message and "expected_cash stored" in message


def test_a_gap_and_a_closed_shift_without_its_report_are_found(books, database):
    at = "2026-11-24 12:00:00"
    shift = lambda status: database.execute_sql(q(database,  # noqa: E731
        "INSERT INTO shifts (booth_name, status, session, opened_by, opened_at, float_cents, closed_at, "
        "counted_cash_cents, expected_cash_cents) VALUES ('North', ?, 'x', 1, ?, 0, ?, 0, 0)"), (status, at, at))
    shift("closed")
    sid = database.execute_sql("SELECT MAX(id) FROM shifts").fetchone()[0]
    database.execute_sql(q(database,
        "INSERT INTO z_reports (booth_name, number, shift_id, created_at, period_start, period_end, payments_count, "
        "net_cents, cash_cents, card_cents, refunds_cents, voids_cents, waived_cents, drops_cents, payouts_cents, "
        "float_cents, expected_cash_cents, counted_cash_cents, variance_cents, expected_card_cents, card_batch_cents, "
        "cars_in, cars_out, body) VALUES ('North', 5, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}')"),
        (sid, at, at, at))
    shift("closed")  # closed, no report
    found = {f.code: f.message for f in z_findings(database)}
    assert set(found) == {"z_gap", "z_missing"}
    assert "booth North: Z report number(s) 3, 4 are missing" in found["z_gap"]
    assert "1 closed shift(s) have no Z report" in found["z_missing"]


def test_check_exits_1_on_a_finding_and_0_on_agreeing_books(books, database, target, kiosk_cli):
    database.close()
    r = kiosk_cli("--db", target.raw, "--maintenance", "check", "--json")
    assert r.code == 0, r.out + r.err
    assert not [f for f in json.loads(r.out)["findings"] if f["code"].startswith("z_")]
    database.execute_sql("UPDATE payments SET amount_cents = amount_cents + 1 WHERE shift_id IS NOT NULL")
    database.close()
    r = kiosk_cli("--db", target.raw, "--maintenance", "check")
    assert r.code == 1 and "z_totals" in r.out and "booth North Z report 1" in r.out
