"""Expiry (retention) and archiving: what is removed, what is kept, batches, runs, the CLI."""

import datetime as dt
import json

import peewee
import pytest
from dbcheck import assert_consistent, is_pg, q

from kiosk.booth import Booth, BoothError
from kiosk.clock import FixedClock, SystemClock
from kiosk.models import AuditLog, AuditLogArchive, LifecycleRun, Payment, Vehicle
from staff_support import as_manager, on_shift

PHONE = "07400 123456"



fk_and_integrity = assert_consistent

# The plan's cleanup WHERE: verbatim on SQLite; on PostgreSQL in its own date arithmetic.
PLAN_WHERE = {
    False: "entry_timestamp < datetime('now', '-' || (SELECT retention_hours FROM system_config LIMIT 1) || ' hours')",
    True: "entry_timestamp < (now() AT TIME ZONE 'UTC') - (SELECT retention_hours FROM system_config LIMIT 1) * interval '1 hour'",
}


def test_expiry_removes_personal_data_of_closed_stays_and_keeps_money(booth, clock, database):
    paid = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    open_ = booth.register("XY34ZZZ", "Jim", PHONE, "car")
    gone = booth.register("GO11NEE", "Ann", PHONE, "van")
    clock.advance(hours=1)
    receipt = booth.pay(paid.stay_id, "cash", "5")
    booth.close_departed(gone.stay_id, "left_without_paying")
    revenue = booth.revenue_per_day()
    clock.advance(hours=24, minutes=1)
    assert booth.expiry_preview(24) == 2
    report = booth.expire()
    assert (report.status, report.rows, report.overstays) == ("done", 2, 1)
    for reg in (paid, gone):
        v = Vehicle.get_by_id(reg.vehicle_id)
        assert (v.number_plate, v.contact_name, v.phone_number) == (f"~{v.id}", "", "")
        assert v.purged_at == clock.now()
    kept = Vehicle.get_by_id(open_.vehicle_id)  # an overstay is never purged silently
    assert (kept.number_plate, kept.contact_name) == ("XY34ZZZ", "Jim")
    assert Payment.get_by_id(receipt.payment_id).vehicle_id == paid.vehicle_id
    assert booth.revenue_per_day() == revenue
    assert booth.recent_payments()[0].plate is None
    fk_and_integrity(database)
    again = booth.expire()
    assert again.rows == 0 and booth.expiry_preview(24) == 0  # purged rows are not selected again
    back = booth.register("AB12CDE", "Jane Doe", PHONE, "car")  # the plate is free for a new vehicle row
    assert back.vehicle_id != paid.vehicle_id
    audit = booth.recent_audit(action="expire")[-1]
    assert audit.details["count"] == 2 and "AB12CDE" not in json.dumps(audit.details)


def test_expiry_cutoff_is_strict(booth, clock):
    a = booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.pay(a.stay_id, "card")
    clock.advance(hours=24)
    assert booth.expiry_preview(24) == 0 and booth.expire().rows == 0
    clock.advance(seconds=1)
    assert booth.expiry_preview(24) == 1 and booth.expire().rows == 1


def test_expiry_preview_follows_the_retention_asked(booth, clock):
    for i in range(5):
        r = booth.register(f"AB{i}1CDE", "Jane", PHONE, "car")
        booth.pay(r.stay_id, "card")
        clock.advance(hours=10)
    assert [booth.expiry_preview(h) for h in (1, 15, 25, 45, 100)] == [5, 4, 3, 1, 0]
    with pytest.raises(BoothError) as err:
        booth.expiry_preview(0)
    assert err.value.field == "retention_hours"


def test_workers_selection_equals_the_plans_cleanup_where(database, make_booth):
    """Run the plan's own WHERE (with SQLite's real 'now') against the worker's choice."""
    now = SystemClock().now()
    clock = FixedClock(now)
    booth = make_booth(database, clock)
    expected_open = []
    for i, age_h in enumerate([1, 10, 23.5, 24.5, 30, 50, 100, 300]):
        clock.set(now - dt.timedelta(hours=age_h))
        reg = booth.register(f"PL{i}AAA", "Jane", PHONE, "car")
        clock.set(now - dt.timedelta(hours=age_h) + dt.timedelta(minutes=5))
        if i % 3 == 0:
            expected_open.append(reg.vehicle_id)  # left open: overstays when old
        elif i % 3 == 1:
            booth.pay(reg.stay_id, "card")
        else:
            booth.close_departed(reg.stay_id, "left_without_paying")
    clock.set(now)
    plan_where = PLAN_WHERE[is_pg(database)]
    closed_unpurged = ("purged_at IS NULL AND NOT EXISTS "
                       "(SELECT 1 FROM stays s WHERE s.vehicle_id = vehicles.id AND s.status = 'open')")
    by_plan = {r[0] for r in database.execute_sql(f"SELECT id FROM vehicles WHERE {plan_where} AND {closed_unpurged}")}
    plan_all = {r[0] for r in database.execute_sql(f"SELECT id FROM vehicles WHERE {plan_where}")}
    assert by_plan and plan_all - by_plan  # the plan's WHERE also hits open stays, which are kept
    booth.expire()
    purged = {v.id for v in Vehicle.select().where(Vehicle.purged_at.is_null(False))}
    assert purged == by_plan
    assert not purged & set(expected_open)


def test_the_plans_cleanup_delete_fails_verbatim_with_foreign_keys_on(booth, clock, database):
    """Documented known issue: the supported command is `kiosk --maintenance expire`."""
    r = booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.pay(r.stay_id, "card")
    database.execute_sql("UPDATE vehicles SET entry_timestamp = '2000-01-01 00:00:00'")
    with pytest.raises(peewee.IntegrityError, match="(?i)foreign key"):
        database.execute_sql(f"DELETE FROM vehicles WHERE {PLAN_WHERE[is_pg(database)]}")
    assert Vehicle.select().count() == 1


def closed_stays(booth, clock, n):
    for i in range(n):
        r = booth.register(f"BB{i:04d}", "Jane", PHONE, "motorcycle" if i % 2 else "car")
        booth.pay(r.stay_id, "card")


def test_expiry_in_batches_with_progress_and_a_clean_stop(booth, clock):
    booth.add_spots("Z001-Z050", "car")
    closed_stays(booth, clock, 50)
    clock.advance(hours=25)
    seen = []
    stop_after = {"n": 2}
    report = booth.expire(batch_size=7, progress=lambda d, t: seen.append((d, t)),
                          should_stop=lambda: len(seen) >= stop_after["n"])
    assert (report.status, report.rows, report.batches, report.remaining) == ("stopped", 14, 2, 36)
    assert seen == [(7, 50), (14, 50)]
    report = booth.expire(batch_size="7", progress=lambda d, t: seen.append((d, t)))
    assert (report.status, report.rows, report.batches) == ("done", 36, 6)
    runs = booth.last_runs()
    assert [(r.kind, r.status, r.rows) for r in runs[:2]] == [("expire", "done", 36), ("expire", "stopped", 14)]
    assert all(r.longest_tx_ms >= 0 and r.duration_ms >= r.longest_tx_ms for r in runs)
    assert AuditLog.select().where(AuditLog.action == "expire").count() == 8
    for bad in (0, -1, "x", 10**7):
        with pytest.raises(BoothError):
            booth.expire(batch_size=bad)


def old_audit_rows(database, n, when="2020-01-01 00:00:00"):
    with database.atomic():
        database.execute_sql(q(database,
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
            "INSERT INTO audit_logs (action, entity, entity_id, timestamp, details) "
            "SELECT 'old', 'test', i, ?, '{}' FROM c"), (n, when))


def test_archive_moves_old_audit_rows_exactly_once(booth, database, clock):
    old_audit_rows(database, 250)
    booth.register("AB12CDE", "Jane", PHONE, "car")  # a recent row stays
    total = AuditLog.select().count()
    report = booth.archive(batch_size=100)
    assert (report.status, report.rows, report.batches) == ("done", 250, 3)
    assert AuditLogArchive.select().count() == 250
    assert AuditLog.select().where(AuditLog.action == "old").count() == 0
    assert AuditLog.select().count() == total - 250 + 3  # one audit row per archive batch
    live = {r.id for r in AuditLog.select(AuditLog.id)}
    archived = {r.id for r in AuditLogArchive.select(AuditLogArchive.id)}
    assert not live & archived
    assert booth.archive().rows == 0
    booth.update_config(archive_days=1)
    clock.advance(days=2)
    assert booth.archive().rows == total - 250 + 3 + 1  # + the config change's own row


def test_cli_expire_reports_and_flags_overstays(database, target, kiosk_cli):
    past = FixedClock("2020-01-01 08:00:00")
    booth = on_shift(as_manager(Booth(database, past)))
    r = booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.pay(r.stay_id, "card")
    booth.register("XY34ZZZ", "Jim", PHONE, "car")
    database.close()
    result = kiosk_cli("--db", target.raw, "--maintenance", "expire", "--json", "--batch-size", "10")
    assert result.code == 4, result.err
    out = json.loads(result.out)
    assert out["expire"]["rows"] == 1 and out["expire"]["overstays"] == 1
    assert out["archive"]["status"] == "done" and out["archive"]["rows"] >= 2
    text = kiosk_cli("--db", target.raw, "--maintenance", "expire")
    assert text.code == 4 and "overstay" in text.out and "Traceback" not in text.err
    bad = kiosk_cli("--db", target.raw, "--maintenance", "expire", "--batch-size", "-5")
    assert bad.code == 2 and "Traceback" not in bad.err
    assert LifecycleRun.select().count() >= 4


def test_cli_expire_refuses_an_old_schema(target, kiosk_cli):
    db = target.raw
    assert kiosk_cli("--db", db, "--maintenance", "migrate", "--to", "1.4.0").code == 0
    result = kiosk_cli("--db", db, "--maintenance", "expire")
    assert result.code == 1 and "migrate" in result.err and "Traceback" not in result.err


def audit_counts(action):
    return [json.loads(a.details)["count"] for a in AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)]


@pytest.mark.parametrize("auto_size", [True], ids=["auto_size"])  # as in production
def test_sized_by_time_every_row_is_done_once_in_whole_batches(booth, database, clock, monkeypatch):
    from kiosk.booth import pace

    monkeypatch.setattr(pace, "TARGET_MS", 0.0)  # every batch ends after its first statement: several batches
    booth.update_config(expiry_batch_size=10, archive_batch_size=25)
    booth.add_spots("Z001-Z050", "car")
    closed_stays(booth, clock, 45)
    on_site = booth.register("ON51TE", "Jim", PHONE, "car")
    clock.advance(hours=25)
    old_audit_rows(database, 120)
    seen = []
    report = booth.expire(progress=lambda d, t: seen.append((d, t)))
    assert (report.status, report.rows, report.overstays) == ("done", 45, 1)
    counts = audit_counts("expire")
    assert report.batches >= 2 and len(counts) == report.batches and sum(counts) == 45 and min(counts) > 0
    assert report.batch_size >= max(counts) and seen[-1] == (45, 45)  # the size counts the car on site it skipped and [d for d, _ in seen] == sorted({d for d, _ in seen})
    assert Vehicle.get_by_id(on_site.vehicle_id).number_plate == "ON51TE"  # a car on site is never purged
    report = booth.archive()
    counts = audit_counts("archive")
    assert (report.status, report.rows) == ("done", 120) and report.batches >= 2 and sum(counts) == 120
    assert AuditLogArchive.select().count() == 120 and AuditLog.select().where(AuditLog.action == "old").count() == 0
    fk_and_integrity(database)


@pytest.mark.parametrize("auto_size", [True], ids=["auto_size"])  # as in production
def test_sized_by_time_a_stop_request_is_honoured_between_batches(booth, clock, monkeypatch):
    from kiosk.booth import pace

    monkeypatch.setattr(pace, "TARGET_MS", 0.0)
    booth.update_config(expiry_batch_size=10)
    booth.add_spots("Z001-Z050", "car")
    closed_stays(booth, clock, 45)
    clock.advance(hours=25)
    report = booth.expire(should_stop=lambda: bool(audit_counts("expire")))
    assert report.status == "stopped" and report.batches == 1 and report.rows == 10
    assert report.remaining == 35 and booth.expiry_preview(24) == 35
