"""The per-car paths (register, look-up + fee, payment) as plain SQL: what they read, that they
see other booths' changes at once, and that the receipt built from the values just written is the
one the database records. (Their speed is measured in bench/, never here.)"""

import dataclasses
import threading
from decimal import Decimal

import peewee as pw
import pytest

from kiosk.booth import Booth, BoothError
from kiosk.booth.phones import format_phone, to_e164
from kiosk.booth.sql import Insert, Statement, with_list
from kiosk.models import AuditLog, Payment

from dbcheck import q
from staff_support import as_manager, on_shift

PHONE = "07400 123456"



@pytest.fixture
def statements(database):
    """Every statement the database runs, while the test watches."""
    seen: list[str] = []
    original = database.execute_sql

    def counting(sql, *a, **k):
        seen.append(sql)
        return original(sql, *a, **k)

    database.execute_sql = counting
    yield seen
    del database.execute_sql


def test_statements_are_rendered_for_each_dialect():
    sqlite, pg = pw.SqliteDatabase(":memory:"), pw.PostgresqlDatabase("never_connected")
    stmt = Statement("SELECT id FROM stays\n   WHERE id = ? AND status = 'open'", pg=" FOR UPDATE")
    assert stmt.render(sqlite) == ("SELECT id FROM stays WHERE id = ? AND status = 'open'", False)
    assert stmt.render(pg) == ("SELECT id FROM stays WHERE id = %s AND status = 'open' FOR UPDATE", True)
    proxy = pw.DatabaseProxy()
    proxy.initialize(pg)
    assert stmt.render(proxy) == stmt.render(pg)  # a proxy is rendered for what it points at
    insert = Insert("INSERT INTO stays (vehicle_id) VALUES (?)")
    assert insert.render(sqlite)[0] == "INSERT INTO stays (vehicle_id) VALUES (?)"
    assert insert.render(pg)[0] == "INSERT INTO stays (vehicle_id) VALUES (%s) RETURNING id"
    assert with_list("SELECT 1 WHERE x IN (?*)", 3).render(pg)[0] == "SELECT 1 WHERE x IN (%s, %s, %s)"
    assert with_list("SELECT 1 WHERE x IN (?*)", 3) is with_list("SELECT 1 WHERE x IN (?*)", 3)
    with pytest.raises(ValueError):  # psycopg would take it for a placeholder
        Statement("SELECT 1 WHERE plate LIKE 'A%'")


def test_a_car_reads_the_config_at_most_once_per_call_and_looks_up_in_one_query_each(booth, statements):
    def config_reads():
        return sum("system_config" in s for s in statements)

    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    assert config_reads() == 1
    statements.clear()
    stay = booth.open_stay_for("AB12CDE")
    assert len(statements) == 1 and config_reads() == 1  # the retention is joined in
    statements.clear()
    booth.quote(stay.stay_id)
    assert len(statements) == 1 and config_reads() == 0  # the rate is joined in
    statements.clear()
    booth.pay(reg.stay_id, "card")
    assert config_reads() == 1
    assert not any(s.lstrip().upper().startswith("SELECT") and "payments" in s and "transaction_id" not in s
                   for s in statements)  # the receipt is not read back


def test_the_receipt_is_the_recorded_payment(booth, clock):
    """Built from the values just written; a retry of the same transaction id rebuilds it from the
    database: the two are the same receipt (rate with minimum, grace and a daily cap that applies)."""
    booth.set_rate("car", "2.50", minimum_hours=2, grace_minutes=10, daily_cap="20.00")
    booth.update_config(currency_symbol="€")
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=30, minutes=5)
    fresh = booth.pay(reg.stay_id, "cash", "100", transaction_id="T-1")
    again = booth.pay(reg.stay_id, "cash", "100", transaction_id="T-1")
    assert again.repeated and not fresh.repeated
    assert dataclasses.replace(fresh, repeated=True) == again
    assert fresh.text() == again.text()
    b = fresh.breakdown
    assert (b.grace_applied, b.cap_applied, b.hours_charged, b.total) == (True, True, 30, Decimal("35.00"))
    assert (fresh.booth_name, fresh.currency, fresh.change, fresh.plate, fresh.spot) == (
        "Booth", "€", Decimal("65.00"), "AB12CDE", "A01")
    assert Payment.select().count() == 1


def test_another_booths_config_change_is_seen_on_the_next_call(booth, database, clock):
    """Nothing read from the database is kept across calls: a change made on another connection
    (peewee gives each thread its own) shows in this booth's very next look-up, quote, receipt and
    audit row."""
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=5)
    assert booth.open_stay_for("AB12CDE").overstay is False
    assert booth.quote(reg.stay_id).rate == Decimal("2.50")

    def other_booth():
        try:
            booth.update_config(retention_hours=4, currency_symbol="$")
            booth.set_rate("car", "4.00")
        finally:
            database.close()  # this thread's connection

    thread = threading.Thread(target=other_booth)
    thread.start()
    thread.join(30)
    assert booth.open_stay_for("AB12CDE").overstay is True
    assert booth.quote(reg.stay_id).total == Decimal("20.00")
    receipt = booth.pay(reg.stay_id, "card")
    assert (receipt.currency, receipt.amount) == ("$", Decimal("20.00"))


def test_rates_read_by_hand_written_sql_are_exact_decimals(booth, database):
    """A DECIMAL column holds a float (or an integer) on SQLite: read through the field's own
    conversion, the fee is exact either way."""
    database.execute_sql(q(database, "UPDATE parking_rates SET rate_per_hour = ? WHERE vehicle_type = 'car'"), (3,))
    database.execute_sql(q(database, "UPDATE parking_rates SET rate_per_hour = ? WHERE vehicle_type = 'van'"), (Decimal("0.10"),))
    car = booth.register("AB12CDE", "Jane", PHONE, "car")
    van = booth.register("XY34ZZZ", "Jim", PHONE, "van")
    assert booth.quote(car.stay_id).rate == Decimal("3.00")
    assert booth.quote(van.stay_id).rate == Decimal("0.10")
    assert booth.pay(van.stay_id, "card").amount == Decimal("0.10")


def test_a_closed_or_unknown_stay_is_refused_before_anything_is_written(booth):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.pay(reg.stay_id, "card")
    before = AuditLog.select().count()
    for stay_id, says in ((reg.stay_id, "already closed (paid at 2026-11-24 12:00 UTC)"), (999, "there is no stay 999")):
        for call in (lambda: booth.quote(stay_id), lambda: booth.pay(stay_id, "card")):  # noqa: B023 (called within this iteration)
            with pytest.raises(BoothError) as err:
                call()
            assert says in str(err.value) and err.value.field == "stay"
    assert AuditLog.select().count() == before


@pytest.mark.parametrize("raw", ["07400 123456", "+44 7400 123456", "(07400) 123-456", "+33 6 12 34 56 78"])
def test_registering_stores_the_same_number_the_entry_screen_shows(raw):
    assert to_e164(raw, "GB") == format_phone(raw, "GB")[0]


@pytest.mark.parametrize("raw", ["", "07400 12345x", "123", "0" * 41, 7400123456])
def test_registering_refuses_a_phone_with_the_entry_screens_message(raw):
    with pytest.raises(BoothError) as shown_err:
        format_phone(raw, "GB")
    with pytest.raises(BoothError) as stored_err:
        to_e164(raw, "GB")
    assert str(stored_err.value) == str(shown_err.value) and stored_err.value.field == "phone"
    assert "such as 07400 123456" in str(stored_err.value)


@pytest.mark.postgres_only
def test_a_retried_payment_waits_for_the_first_and_gets_its_receipt(database, target, clock, monkeypatch):
    """PostgreSQL runs two booths' payments side by side: the stay row read FOR UPDATE makes the
    retry (same transaction id) wait for the first payment, then hand back its receipt; without the
    lock it would read the stay as open and fail on the closed stay instead."""
    import psycopg

    from kiosk.booth import payments

    booth = on_shift(as_manager(Booth(database, clock)))
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=1)
    inside, go, results, pids = threading.Event(), threading.Event(), {}, {}
    real_release = payments.release

    def release_then_hold(ctx, number, now):  # the first payment stops just before its commit
        real_release(ctx, number, now)
        if threading.current_thread().name == "first":
            inside.set()
            assert go.wait(30)

    monkeypatch.setattr(payments, "release", release_then_hold)

    def pay(name):
        try:
            pids[name] = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
            results[name] = booth.pay(reg.stay_id, "card", transaction_id="TX-42")
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[name] = exc
        finally:
            database.close()

    first = threading.Thread(target=pay, args=("first",), name="first")
    first.start()
    assert inside.wait(30)
    retry = threading.Thread(target=pay, args=("retry",), name="retry")
    retry.start()
    watch = psycopg.connect(target.raw, autocommit=True)
    try:
        waited = False
        for _ in range(6000):  # until the retry's session waits for the row lock (at most ~30 s)
            row = watch.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                                (pids.get("retry", -1),)).fetchone()
            if row and row[0] == "Lock":
                waited = True
                break
            threading.Event().wait(0.005)
    finally:
        go.set()
        first.join(30)
        retry.join(30)
        watch.close()
    assert waited
    assert not results["first"].repeated and results["retry"].repeated, results
    assert dataclasses.replace(results["first"], repeated=True) == results["retry"]
    assert Payment.select().count() == 1


def test_a_lost_config_row_is_recreated_by_the_per_car_paths(booth, database):
    """A hand-edited database without its config row: each path recreates it with the defaults."""
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    for call in (lambda: booth.open_stay_for("AB12CDE"), lambda: booth.register("XY34ZZZ", "Jim", PHONE, "car"),
                 lambda: booth.pay(reg.stay_id, "card")):
        database.execute_sql("DELETE FROM system_config")
        assert call() is not None
        assert database.execute_sql("SELECT retention_hours FROM system_config").fetchall() == [(24,)]
    assert booth.open_stay_for("XY34ZZZ").overstay is False
