"""The proof of storage limitation (kiosk.maintenance.privacy_proof) and the privacy alerts, on both databases:
built with the booth on an injected clock, holds and requests inserted as their tables hold them."""

from __future__ import annotations

import datetime as dt
import json

from dbcheck import is_pg, q

from kiosk.booth import HEADLESS, Booth
from kiosk.clock import FixedClock, to_sqlite_text
from kiosk.maintenance import alerts, privacy_alerts, privacy_facts, privacy_proof, stats
from kiosk.maintenance.sites.pg_dump import SUFFIX as PG_SUFFIX
from kiosk.maintenance.site_backup import backup_tool_for
from kiosk.schema import runner
from staff_support import person

PHONE = "07400 123456"


def run(database, sql: str, params: tuple = ()):
    return database.execute_sql(q(database, sql), params)


def proof(target, database, clock, days=30):
    return privacy_proof.collect(target, database, clock=clock, days=days)


def codes(target, database, clock) -> dict[str, str]:
    return {a.code: a.level for a in alerts.collect_alerts(target, database, clock=clock, timings=[])}


def stays_gone(booth, *plates: str):
    """Cars registered and paid (card): closed stays holding plate, name and phone."""
    out = []
    for plate in plates:
        reg = booth.register(plate, "Jane Doe", PHONE, "car")
        booth.pay(reg.stay_id, "card")
        out.append(reg)
    return out


def hold(database, *, vehicle_id=None, staff_id=None, until=None, released=None, placed="2026-11-24 12:00:00"):
    return run(database, "INSERT INTO legal_holds (vehicle_id, staff_id, reason, until_on, placed_by, placed_at, "
                         "released_at) VALUES (?, ?, 'dispute', ?, 1, ?, ?)",
               (vehicle_id, staff_id, until, placed, released))


def request(database, ref, kind, received, due, status="open"):
    closed = None if status == "open" else "2026-11-24 12:00:00"
    outcome = None if status == "open" else "answered"
    run(database, "INSERT INTO privacy_requests (reference, kind, received_on, due_on, status, outcome, closed_at, "
                  "staff_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1)", (ref, kind, received, due, status, outcome, closed))


def expiry_run(database, started, status="done", rows=0, held=0, kind="expire"):
    run(database, "INSERT INTO lifecycle_runs (kind, status, started_at, finished_at, rows_done, batches, batch_size, "
                  "duration_ms, longest_tx_ms, held) VALUES (?, ?, ?, ?, ?, 1, 500, 5, 2, ?)",
        (kind, status, started, started, rows, held))


# ---------------------------------------------------------------- retention and its history
def test_retention_history_says_who_when_from_and_to_from_trail_and_archive(booth, database, target, clock):
    boss = booth.actor.name
    booth.update_config(retention_hours=48)
    first_at = clock.now()
    clock.advance(days=1)
    other = booth.signed_in(person(booth, "Second Boss", "manager"))
    other.update_config(retention_hours=12, staff_retention_days=30, lock_minutes=10)  # the lock is no retention
    second_at = clock.now()
    clock.advance(hours=2)
    Booth(database, clock, actor=HEADLESS).update_config(backup_window_days=3)
    # The first change has since been archived: the history reads the archive too.
    cols = "id, action, entity, entity_id, timestamp, details, staff_id, approver_id, origin"
    first_id = run(database, "SELECT MIN(id) FROM audit_logs WHERE action = 'config'").fetchone()[0]
    run(database, f"INSERT INTO audit_logs_archive ({cols}) SELECT {cols} FROM audit_logs WHERE id = ?", (first_id,))
    run(database, "DELETE FROM audit_logs WHERE id = ?", (first_id,))

    p = proof(target, database, clock)
    got = [(c.at, c.setting, c.old, c.new, c.by, c.source) for c in p.history]
    assert got == [
        (first_at, "retention_hours", 24, 48, boss, "audit_logs_archive"),
        (second_at, "retention_hours", 48, 12, "Second Boss", "audit_logs"),
        (second_at, "staff_retention_days", 365, 30, "Second Boss", "audit_logs"),
        (second_at + dt.timedelta(hours=2), "backup_window_days", 7, 3, "a maintenance command", "audit_logs"),
    ]
    assert (p.settings.retention_hours, p.settings.staff_retention_days, p.settings.backup_window_days) == (12, 30, 3)
    j = p.to_json()
    assert j["retention_history"][1] == {"at": to_sqlite_text(second_at), "setting": "retention_hours", "from": 48,
                                         "to": 12, "staff_id": other.actor.staff_id, "by": "Second Boss",
                                         "source": "audit_logs"}
    assert j["retention"] == {"retention_hours": 12, "staff_retention_days": 30, "backup_window_days": 3,
                              "grace_hours": 1.0}
    assert any("retention_hours 48 -> 12  by Second Boss" in line for line in p.lines())


def test_a_purged_manager_is_named_by_id_only(booth, database, target, clock):
    other = booth.signed_in(person(booth, "Gone Boss", "manager"))
    other.update_config(retention_hours=30)
    run(database, "UPDATE staff SET display_name = '~' || CAST(id AS TEXT), purged_at = ? WHERE id = ?",
        (to_sqlite_text(clock.now()), other.actor.staff_id))
    [change] = proof(target, database, clock).history
    assert change.by == f"former staff #{other.actor.staff_id}"
    assert "Gone Boss" not in json.dumps(proof(target, database, clock).to_json())


# ---------------------------------------------------------------- oldest data against the retention
def test_oldest_personal_data_over_and_under_the_retention(booth, database, target, clock, tmp_path):
    booth.update_config(staff_retention_days=2)
    booth.receipts_dir = tmp_path / "receipts"
    start = clock.now()
    _old_a, old_b = stays_gone(booth, "AB12CDE", "CD34EFG")
    booth.save_receipt(booth.pay(booth.register("EF56GHI", "Ann", PHONE, "car").stay_id, "card"))
    refunded = booth.register("GH78JKL", "Bob", PHONE, "car")
    paid = booth.pay(refunded.stay_id, "cash", "20")
    booth.refund(paid.payment_id, "customer_complaint", "said the barrier hit the car")
    booth.add_staff("Left Soon", "attendant", "1357")
    booth.disable_staff("Left Soon")
    booth.register("ON11SITE", "Still Here", PHONE, "car")  # on site: not due, whatever its age
    clock.advance(hours=20)
    stays_gone(booth, "NE12WER")

    clock.set(start + dt.timedelta(hours=24, minutes=30))  # past the retention, inside the grace
    p = proof(target, database, clock)
    assert p.store("vehicles").over == 0 and p.findings == []
    assert p.exit_code == 0

    clock.set(start + dt.timedelta(hours=25, minutes=1))  # past the retention and the grace: four cars, not the fresh one
    p = proof(target, database, clock)
    v, notes, staff, receipts = (p.store(n) for n in ("vehicles", "notes", "staff", "receipts"))
    assert (v.count, v.over, v.held, v.oldest_at) == (5, 4, 0, start)
    assert v.age(p.now) == dt.timedelta(hours=25, minutes=1) and v.limit == dt.timedelta(hours=24)
    assert (notes.count, notes.over) == (1, 1)
    assert (staff.count, staff.over, staff.limit) == (1, 0, dt.timedelta(days=2))  # two days not yet gone
    assert (receipts.count, receipts.over, receipts.oldest_at) == (1, 1, start)
    assert {f.code for f in p.findings} == {"personal_data_over_retention", "receipt_outlives_retention"}
    over = next(f for f in p.findings if f.code == "personal_data_over_retention")
    assert over.level == "warning" and over.message.startswith("5 record(s)") and "4 vehicles, 1 notes" in over.message
    assert p.exit_code == 4
    j = p.to_json()
    assert j["stores"][0] == {"store": "vehicles", "label": "vehicles of cars gone (plate, name, phone)", "count": 5,
                              "oldest_at": to_sqlite_text(start), "age_hours": 25.0, "limit_hours": 24.0, "over": 4,
                              "held": 0, "flagged": [], "note": "age from the vehicle's last entry"}
    text = json.dumps(j) + "\n".join(p.lines())
    for personal in ("AB12CDE", "Jane", "07400", "+447400", "barrier", "Left Soon"):
        assert personal not in text

    # A hold keeps one car past its retention: not a finding, counted as held.
    hold(database, vehicle_id=old_b.vehicle_id)
    v = proof(target, database, clock).store("vehicles")
    assert (v.count, v.over, v.held) == (4, 3, 1)

    clock.set(start + dt.timedelta(days=3, hours=2))
    assert proof(target, database, clock).store("staff").over == 1


def test_the_proofs_rule_is_what_expiry_removes(booth, database, target, clock, tmp_path):
    """Pinned to kiosk.booth.retention: what the proof counts as over, expiry removes; after it, nothing is."""
    booth.receipts_dir = tmp_path / "receipts"
    start = clock.now()
    stays_gone(booth, "AA11AAA", "BB22BBB", "CC33CCC")
    booth.save_receipt(booth.pay(booth.register("DD44DDD", "Di", PHONE, "car").stay_id, "card"))
    booth.register("EE55EEE", "Ed", PHONE, "car")  # on site
    clock.advance(hours=10)
    stays_gone(booth, "FF66FFF")
    clock.set(start + dt.timedelta(hours=26))
    before = proof(target, database, clock)
    assert before.store("vehicles").over == 4
    report = booth.expire()
    assert report.rows == before.store("vehicles").over
    after = proof(target, database, clock)
    assert [(s.store, s.over) for s in after.stores if s.limit is not None and s.over] == []
    assert (after.store("vehicles").count, after.store("receipts").count) == (1, 0)  # the fresh car
    assert after.findings == []


def test_backups_against_the_retention_and_the_backup_window(target, database, clock):
    site = backup_tool_for(target)
    folder = site.backups_dir()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = PG_SUFFIX if is_pg(database) else ".db"
    for taken in ("20261110T000000Z", "20261123T000000Z"):  # 14.5 and 1.5 days before the clock
        (folder / f"{site.file_stem()}-{taken}-v1.11.0{suffix}").write_bytes(b"x")
    b = proof(target, database, clock).store("backups")
    assert (b.count, b.over, b.limit) == (2, 1, dt.timedelta(hours=24, days=7))
    assert b.oldest_at == dt.datetime(2026, 11, 10, tzinfo=dt.timezone.utc)
    assert "backup_outlives_retention" in {f.code for f in proof(target, database, clock).findings}


def test_audit_rows_hold_ids_and_a_value_reading_as_personal_data_is_flagged(booth, database, target, clock):
    booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    cols = "id, action, entity, entity_id, timestamp, details, origin"
    for n, (table, details) in enumerate((("audit_logs_archive", {"plate": "XY99ZZZ"}),
                           ("audit_logs_archive", {"caller": "07400 123456"}),
                           ("audit_logs_archive", {"booth": "B1", "count": 3, "spot": "A01", "cutoff": "2026-11-23 12:00:00"}),
                           ("audit_logs", {"seen": ["ab-12 cde"]}))):
        run(database, f"INSERT INTO {table} ({cols}) VALUES (?, 'entry', 'stays', '1', '2026-11-01 00:00:00', ?, 'terminal')",
            (1000 + n, json.dumps(details)))
    p = proof(target, database, clock)
    archive, trail = p.store("audit_logs_archive"), p.store("audit_logs")
    assert archive.limit is None and archive.count == 3 and archive.oldest_at == dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    assert [(k, what) for _t, _i, k, what in archive.flagged] == [("plate", "plate"), ("caller", "phone")]
    assert [(k, what) for _t, _i, k, what in trail.flagged] == [("seen", "plate")]  # a plate on record
    assert "ids and codes only" in archive.note
    assert [f.code for f in p.findings] == ["audit_personal_data", "audit_personal_data"]


# ---------------------------------------------------------------- expiry runs per day
def test_expiry_runs_per_day_with_a_failed_and_a_held_run(target, database, clock):
    expiry_run(database, "2026-11-22 09:00:00", rows=3)
    expiry_run(database, "2026-11-22 15:00:00", rows=2, held=1)
    expiry_run(database, "2026-11-23 09:00:00", status="failed")
    expiry_run(database, "2026-11-23 10:00:00", kind="archive", rows=50)  # archiving is no expiry
    expiry_run(database, "2026-11-17 23:59:59", rows=9)  # before the period
    expiry_run(database, "2026-11-24 11:00:00", rows=1, held=2)
    p = proof(target, database, clock, days=7)
    assert [d.day for d in p.expiry] == [dt.date(2026, 11, 18) + dt.timedelta(days=i) for i in range(7)]
    per = {d.day.isoformat(): (d.runs, d.rows, d.held, d.failed) for d in p.expiry if d.runs}
    assert per == {"2026-11-22": (2, 5, 1, 0), "2026-11-23": (1, 0, 0, 1), "2026-11-24": (1, 1, 2, 0)}
    e = p.to_json()["expiry"]
    assert (e["runs"], e["rows"], e["held"], e["failed"]) == (4, 6, 3, 1)
    assert e["last_run"]["held"] == 2 and e["last_run"]["status"] == "done"
    assert proof(target, database, clock, days=8).to_json()["expiry"]["rows"] == 15


# ---------------------------------------------------------------- holds, requests, alerts
def test_holds_and_requests_outstanding_and_every_alert_fires_and_clears(booth, database, target, clock):
    [car] = stays_gone(booth, "AB12CDE")
    staff_id = person(booth, "Kept Clerk", "attendant").staff_id
    assert not {"request_overdue", "request_due_soon", "hold_review_due", "expiry_held",
                "personal_data_over_retention"} & set(codes(target, database, clock))
    hold(database, vehicle_id=car.vehicle_id, until="2026-11-23")  # past its review date
    hold(database, staff_id=staff_id, until="2026-12-24")
    hold(database, vehicle_id=car.vehicle_id, released="2026-11-20 10:00:00")  # released: not in force
    request(database, "CASE-001", "access", "2026-10-20", "2026-11-20")  # overdue
    request(database, "CASE-002", "erasure", "2026-10-30", "2026-11-30")  # 6 days left
    request(database, "CASE-003", "access", "2026-11-20", "2026-12-20")
    request(database, "CASE-000", "access", "2026-09-01", "2026-10-01", status="done")
    expiry_run(database, "2026-11-24 11:00:00", held=2)
    clock.advance(hours=26)  # the car's data is past its retention, kept by the hold in force

    p = proof(target, database, clock)
    assert p.today == dt.date(2026, 11, 25)
    assert [(h.vehicle_id, h.staff_id, h.past_review) for h in p.holds] == [(car.vehicle_id, None, True),
                                                                             (None, staff_id, False)]
    assert [(r.reference, r.days_left, r.state) for r in p.requests] == [
        ("CASE-001", -5, "overdue"), ("CASE-002", 5, "due_soon"), ("CASE-003", 25, "open")]
    j = p.to_json()
    assert (j["holds"]["in_force"], j["holds"]["past_review"]) == (2, 1)
    assert (j["requests"]["open"], j["requests"]["due_soon"], j["requests"]["overdue"]) == (3, 1, 1)
    assert p.store("vehicles").held == 1 and p.store("vehicles").over == 0
    got = codes(target, database, clock)
    assert {c: got.get(c) for c in ("request_overdue", "request_due_soon", "hold_review_due", "expiry_held")} == {
        "request_overdue": "error", "request_due_soon": "warning", "hold_review_due": "warning", "expiry_held": "info"}
    assert "personal_data_over_retention" not in got
    s = stats.collect(target, database, runner.migration_files(), clock=clock)
    assert s["privacy"] == {"holds_in_force": 2, "holds_past_review": 1, "expiry_held_last_run": 2,
                            "requests_open": 3, "requests_due_soon": 1, "requests_overdue": 1}
    said = " ".join(a["message"] for a in s["alerts"])
    assert "CASE-001, due 2026-11-20" in said and "hold #1, 2026-11-23" in said and "AB12CDE" not in said

    # Each is resolved: the alerts go.
    run(database, "UPDATE legal_holds SET released_at = ? WHERE id = 1", ("2026-11-25 13:00:00",))
    run(database, "UPDATE privacy_requests SET status = 'done', outcome = 'answered', closed_at = ? "
                  "WHERE reference IN ('CASE-001', 'CASE-002')", ("2026-11-25 13:00:00",))
    expiry_run(database, "2026-11-25 13:00:00", held=0)
    got = codes(target, database, clock)
    assert got.get("personal_data_over_retention") == "warning"  # the hold is gone: the car's data is now over
    assert not {"request_overdue", "request_due_soon", "hold_review_due", "expiry_held"} & set(got)
    booth.expire()
    assert "personal_data_over_retention" not in codes(target, database, clock)


def test_alerts_say_nothing_below_the_privacy_schema(target, database, clock):
    from kiosk.schema.files import parse_version

    runner.rollback(target, database, parse_version("1.10.0"))
    assert privacy_alerts.collect(database, clock) == []
    assert stats.collect(target, database, runner.migration_files(), clock=clock)["privacy"] is None


def test_the_site_zone_dates_requests(booth, database, target):
    booth.update_config(time_zone="Pacific/Auckland")  # UTC+13 in November: already the next day there
    late = FixedClock("2026-11-24 12:00:00")
    request(database, "CASE-9", "access", "2026-10-25", "2026-11-25")
    [r] = proof(target, database, late).requests
    assert (r.days_left, r.state) == (0, "due_soon")
    assert proof(target, database, late).today == dt.date(2026, 11, 25)


def test_text_that_is_no_time_or_json_is_read_without_a_crash(target, database, clock):
    """A database edited by hand: junk in a time, a date or an audit row's details is passed over."""
    run(database, "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp) "
                  "VALUES ('AB12CDE', 'Jane', '', '2026-11-20 08:00:00')")
    run(database, "INSERT INTO audit_logs (action, entity, entity_id, \"timestamp\", details, origin) "
                  "VALUES ('config', 'system_config', '1', '2026-11-20 08:00:00', 'not json {', 'terminal')")
    run(database, "INSERT INTO audit_logs (action, entity, entity_id, \"timestamp\", details, origin) "
                  "VALUES ('config', 'system_config', '1', '2026-11-20 09:00:00', ?, 'terminal')",
        (json.dumps({"changes": {"retention_hours": "48"}}),))
    p = proof(target, database, clock)
    assert p.history == [] and p.store("vehicles").over == 1
    assert p.store("audit_logs").flagged == ()
    assert privacy_facts.utc("not a time") is None and privacy_facts.day("2026-13-45") is None


def test_a_hold_placed_at_the_booth_is_what_expiry_skips_and_the_proof_counts(booth, database, target, clock):
    stays_gone(booth, "AA11AAA", "BB22BBB")
    booth.place_hold("dispute", "2026-12-31", plate="BB22BBB")
    clock.advance(hours=26)
    before = proof(target, database, clock).store("vehicles")
    assert (before.over, before.held) == (1, 1)
    report = booth.expire()
    assert (report.rows, report.held) == (1, 1)
    after = proof(target, database, clock)
    assert (after.store("vehicles").over, after.store("vehicles").held) == (0, 1)
    assert [f.code for f in after.findings] == ["expiry_held"] and after.exit_code == 0  # info only
    today = next(d for d in after.expiry if d.day == clock.now().date())
    assert (today.runs, today.rows, today.held) == (1, 1, 1)
    assert after.last_expiry["held"] == 1
    assert codes(target, database, clock).get("expiry_held") == "info"
