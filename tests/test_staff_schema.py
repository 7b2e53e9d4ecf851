"""Schema 1.9.0 on a 1.8.0 database with rows, on both backends: old audit rows (live and
archived) get the 'before sign-in' marker, new ones who acted; the archive keeps the columns;
rollback keeps every row 1.8.0 can hold; up again works; staff retention reduces an account to
its id."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from dbcheck import assert_consistent, q
from staff_support import TEST_PIN, person

from kiosk.booth import Booth, BoothError
from kiosk.db import connect
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, Staff
from kiosk.schema import runner

V180 = (1, 8, 0)
PHONE = "07400 123456"


def _columns(db, table):
    return [c.name for c in db.get_columns(table)]


def test_upgrade_marks_old_rows_rollback_keeps_every_row_and_up_again_works(target, clock, make_booth):
    db = connect(target)
    try:
        runner.migrate(target, db, V180)
        for i, (action, when) in enumerate([("entry", "2020-01-01 10:00:00"), ("payment", "2026-09-01 11:00:00")]):
            db.execute_sql(q(db, "INSERT INTO audit_logs (action, entity, entity_id, timestamp, details) VALUES (?, 'stays', ?, ?, ?)"),
                           (action, str(i + 1), when, json.dumps({"booth": "Booth"})))
        db.execute_sql("INSERT INTO audit_logs_archive SELECT * FROM audit_logs WHERE action = 'entry'")
        db.execute_sql("DELETE FROM audit_logs WHERE action = 'entry'")

        runner.migrate(target, db, None)
        assert _columns(db, "audit_logs") == _columns(db, "audit_logs_archive")  # the plan's SELECT * still fits
        old = db.execute_sql("SELECT staff_id, approver_id, origin FROM audit_logs").fetchall()
        archived = db.execute_sql("SELECT staff_id, approver_id, origin FROM audit_logs_archive").fetchall()
        assert old == archived == [(None, None, "before_sign_in")]

        booth = make_booth(db, clock)
        manager = booth.actor.staff_id
        booth.update_config(archive_days=30)
        report = booth.archive()  # the old payment row goes to the archive with its columns
        assert report.rows == 1
        row = AuditLog.select().where(AuditLog.action == "config").get()
        assert (row.staff_id, row.origin) == (manager, "terminal")
        assert db.execute_sql("SELECT COUNT(*) FROM audit_logs_archive").fetchone()[0] == 2
        audit_before = db.execute_sql("SELECT id, action, entity, entity_id, timestamp, details FROM audit_logs ORDER BY id").fetchall()
        archive_before = db.execute_sql("SELECT id, action, details FROM audit_logs_archive ORDER BY id").fetchall()

        runner.rollback(target, db, V180)
        assert "staff" not in db.get_tables()
        assert "origin" not in _columns(db, "audit_logs") and "staff_id" not in _columns(db, "audit_logs_archive")
        assert "staff_retention_days" not in _columns(db, "system_config")
        assert db.execute_sql("SELECT id, action, entity, entity_id, timestamp, details FROM audit_logs ORDER BY id").fetchall() == audit_before
        assert db.execute_sql("SELECT id, action, details FROM audit_logs_archive ORDER BY id").fetchall() == archive_before
        assert_consistent(db)

        runner.migrate(target, db, None)
        assert {r[0] for r in db.execute_sql("SELECT origin FROM audit_logs")} == {"before_sign_in"}
        assert db.execute_sql("SELECT COUNT(*) FROM staff").fetchone()[0] == 0
        assert_consistent(db)
    finally:
        db.close()


def test_the_origin_column_takes_only_the_known_origins(database):
    import peewee as pw

    with pytest.raises(pw.IntegrityError):
        with database.atomic():
            database.execute_sql("INSERT INTO audit_logs (action, entity, entity_id, origin) VALUES ('x', 'y', '1', 'someone')")
    with pytest.raises(pw.IntegrityError):
        with database.atomic():
            database.execute_sql("INSERT INTO staff (display_name, name_key, role) VALUES ('Z', 'z', 'boss')")


def test_a_disabled_account_is_reduced_to_its_id_after_the_staff_retention(booth, database, clock, pin_hasher):
    front = Booth(database, clock, pin_hasher=pin_hasher)
    ann = front.signed_in(person(booth, "Ann Lee", "attendant"))
    ann.register("AB12CDE", "Jane", PHONE, "car")
    booth.update_config(staff_retention_days=30)
    booth.disable_staff("Ann Lee")
    clock.advance(days=29, hours=23)
    assert booth.expire().staff == 0
    assert Staff.get_by_id(ann.actor.staff_id).display_name == "Ann Lee"
    booth.enable_staff("ann lee")  # enabled again in time: the period starts over when disabled again
    booth.disable_staff("ann lee")
    clock.advance(days=29)
    assert booth.expire().staff == 0
    clock.advance(days=1, seconds=1)
    report = booth.expire()
    assert report.staff == 1
    row = Staff.get_by_id(ann.actor.staff_id)
    assert (row.display_name, row.name_key, row.pin_hash) == (f"~{row.id}", f"~{row.id}", None)
    assert row.purged_at == clock.now()
    assert booth.expire().staff == 0  # not again
    entry = booth.recent_audit(5, action="entry")[0]
    assert (entry.staff_id, entry.staff_name) == (row.id, f"former staff #{row.id}")
    trail = " ".join(r.details or "" for r in AuditLog.select())
    assert "Ann" not in trail
    assert "Ann Lee" not in front.sign_in_names() and all(m.name != "Ann Lee" for m in booth.staff_list())
    for act in (lambda: booth.enable_staff("Ann Lee"), lambda: front.sign_in("Ann Lee", TEST_PIN)):
        with pytest.raises(BoothError) as caught:
            act()
        assert caught.value.field == "name"
    booth.add_staff("Ann Lee", "attendant", "1234")  # the name is free again: a new account, a new id
    assert Staff.get(Staff.name_key == "ann lee").id != row.id


def test_an_active_account_is_never_reduced_however_old(booth, clock):
    booth.add_staff("Ann", "attendant", "1234")
    booth.update_config(staff_retention_days=1)
    clock.advance(days=4000)
    assert booth.expire().staff == 0 and [m.name for m in booth.staff_list()] == ["Ann", "Test Manager"]


def test_the_staff_retention_setting_is_checked(booth):
    for bad in (0, 3651, "x", -1):
        with pytest.raises(BoothError) as caught:
            booth.update_config(staff_retention_days=bad)
        assert caught.value.field == "staff_retention_days" and caught.value.code is ErrorCode.INVALID
    for bad in (0, 121):
        with pytest.raises(BoothError):
            booth.update_config(lock_minutes=bad)
    config = booth.update_config(staff_retention_days=90, lock_minutes=10)
    assert (config.staff_retention_days, config.lock_minutes) == (90, 10)
    assert booth.config().lock_minutes == 10 and dt.timedelta(days=config.staff_retention_days).days == 90
