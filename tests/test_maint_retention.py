"""No backup holds personal data past the retention + the backup window; stats flags any that does,
and any receipt file left behind by expiry."""

from __future__ import annotations

import json

import pytest

from kiosk.booth import Booth
from kiosk.clock import FixedClock
from kiosk.db import connect, resolve_target
from kiosk.maintenance import backup as backups
from kiosk.maintenance.alerts import collect_alerts
from test_maint_support import LATEST, make_db
from staff_support import as_manager

pytestmark = pytest.mark.sqlite_only


def configure(path, **values) -> None:
    db = connect(resolve_target(str(path)))
    db.execute_sql("UPDATE system_config SET " + ", ".join(f"{k} = {int(v)}" for k, v in values.items()))
    db.close()


def test_rotation_removes_backups_older_than_retention_plus_window_whatever_keep_says(tmp_path):
    db = make_db(tmp_path / "k.db")
    configure(db, retention_hours=24, backup_window_days=2)  # a backup may live 3 days
    clock = FixedClock("2026-11-20 12:00:00")
    first = backups.take_backup(db, LATEST, keep=10, clock=clock).path
    clock.advance(days=1)
    second = backups.take_backup(db, LATEST, keep=10, clock=clock).path
    clock.advance(days=3)  # first: 4 days old, second: exactly 3 days old
    third = backups.take_backup(db, LATEST, keep=10, clock=clock)
    assert third.removed == [first] and not first.exists()
    assert backups.list_backups(db) == [second, third.path]


def test_a_window_of_zero_keeps_backups_for_the_retention_only(tmp_path):
    db = make_db(tmp_path / "k.db")
    configure(db, retention_hours=6, backup_window_days=0)
    clock = FixedClock("2026-11-20 12:00:00")
    old = backups.take_backup(db, LATEST, keep=10, clock=clock).path
    clock.advance(hours=6, seconds=1)
    assert backups.take_backup(db, LATEST, keep=10, clock=clock).removed == [old]


def test_stats_flags_a_backup_that_outlives_the_retention_plus_window(tmp_path, kiosk_cli):
    db = make_db(tmp_path / "k.db")
    configure(db, retention_hours=24, backup_window_days=7)
    old = backups.take_backup(db, LATEST, keep=10, clock=FixedClock("2026-10-01 02:00:00")).path
    target = resolve_target(str(db))
    database = connect(target)
    try:
        found = collect_alerts(target, database, clock=FixedClock("2026-10-09 03:00:00"), timings=[])
        assert "backup_outlives_retention" in [a.code for a in found]
        assert not [a for a in collect_alerts(target, database, clock=FixedClock("2026-10-08 01:00:00"), timings=[])
                    if a.code == "backup_outlives_retention"]
    finally:
        database.close()
    out = kiosk_cli("--db", str(db), "--maintenance", "stats", "--json")  # the real clock: months later
    report = json.loads(out.out)
    assert out.code == 4
    assert report["backups"]["outliving_retention"] == [str(old)] and report["backups"]["max_age_days"] == 8.0
    (alert,) = [a for a in report["alerts"] if a["code"] == "backup_outlives_retention"]
    assert alert["level"] == "warning" and "retention (24 h) + the backup window (7 days)" in alert["message"]


def test_stats_flags_a_receipt_file_left_after_its_vehicle_was_purged(tmp_path, make_booth):
    path = tmp_path / "k.db"
    make_db(path, vehicles=0)
    target = resolve_target(str(path))
    database = connect(target)
    clock = FixedClock("2026-11-24 12:00:00")
    try:
        booth = make_booth(database, clock, receipts_dir=tmp_path / "not-the-folder")  # expiry looks elsewhere
        reg = booth.register("AB12CDE", "Jane Doe", "07400 123456", "car")
        left = as_manager(Booth(database, clock)).save_receipt(booth.pay(reg.stay_id, "card"))
        assert left.parent == tmp_path / "receipts"
        assert not [a for a in collect_alerts(target, database, clock=clock, timings=[])
                    if a.code == "receipt_outlives_retention"]
        clock.advance(hours=25)
        booth.expire()
        assert left.exists()
        (alert,) = [a for a in collect_alerts(target, database, clock=clock, timings=[])
                    if a.code == "receipt_outlives_retention"]
        assert alert.level == "warning" and left.name in alert.message and "expire" in alert.message
        make_booth(database, clock).expire()  # the right folder: the file goes, the alert with it
        assert not left.exists()
        assert not [a for a in collect_alerts(target, database, clock=clock, timings=[])
                    if a.code == "receipt_outlives_retention"]
    finally:
        database.close()
