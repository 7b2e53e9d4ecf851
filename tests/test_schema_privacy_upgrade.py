"""Schema 1.8.0 on a 1.7.0 database: free-text reasons leave the audit trail and closed_reason; rollback works."""

from __future__ import annotations

import json

from kiosk.db import connect
from kiosk.schema import runner

V170, V180 = (1, 7, 0), (1, 8, 0)
HOSTILE = ("Zoe Li complained", "meant XY99ZZZ", "call 07700 900123")


def _details(**kw) -> str:
    return json.dumps({"booth": "Booth", **kw}, sort_keys=True)


def _seed_170(db) -> None:
    """What a 1.7.0 booth wrote: free-text reasons in closed_reason and in the audit details."""
    for sql in [
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, parking_spot) "
        "VALUES ('AB12CDE', 'Jane', '+447400123456', '2026-11-24 08:00:00', 'car', 'A01')",
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, vehicle_type, parking_spot, "
        "purged_at) VALUES ('~2', '', '', '2026-11-01 08:00:00', 'car', 'A02', '2026-11-03 08:00:00')",
        "INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, exit_timestamp, status, closed_reason) "
        "VALUES (1, 'A01', 'car', '2026-11-24 08:00:00', '2026-11-24 09:00:00', 'departed', 'Zoe Li complained')",
        "INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, exit_timestamp, status, closed_reason) "
        "VALUES (2, 'A02', 'car', '2026-11-01 08:00:00', '2026-11-01 09:00:00', 'departed', 'meant XY99ZZZ')",
        "INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, status) "
        "VALUES (1, 'A01', 'car', '2026-11-24 10:00:00', 'paid')",
    ]:
        db.execute_sql(sql)
    p = db.param
    rows = [
        ("audit_logs", "refund", "payments", "7", _details(amount="-2.50", reason="call 07700 900123", stay_id=3)),
        ("audit_logs", "departed", "stays", "1", _details(reason="Zoe Li complained", spot="A01")),
        ("audit_logs", "entry", "vehicles", "1", _details(spot="A01")),
        ("audit_logs_archive", "departed", "stays", "2", _details(reason="meant XY99ZZZ", spot="A02")),
    ]
    for n, (table, action, entity, entity_id, details) in enumerate(rows, 1):
        # audit_logs generates its ids; the archive's are copied, never generated
        own_id = table == "audit_logs_archive"
        db.execute_sql(f"INSERT INTO {table} ({'id, ' if own_id else ''}action, entity, entity_id, timestamp, details) "
                       f"VALUES ({f'{p}, ' if own_id else ''}{p}, {p}, {p}, '2026-11-24 09:00:00', {p})",
                       ((n,) if own_id else ()) + (action, entity, entity_id, details))


def _trail(db) -> str:
    return " ".join(r[0] or "" for t in ("audit_logs", "audit_logs_archive")
                    for r in db.execute_sql(f"SELECT details FROM {t}").fetchall())


def test_upgrade_to_1_8_0_scrubs_free_text_reasons_and_rollback_works(target, clock, make_booth):
    db = connect(target)
    try:
        runner.migrate(target, db, V170)
        _seed_170(db)
        assert "Zoe Li" in _trail(db)

        runner.migrate(target, db, V180)
        trail = _trail(db)
        for text in HOSTILE:
            assert text not in trail
        for table in ("audit_logs", "audit_logs_archive"):
            for action, details in db.execute_sql(f"SELECT action, details FROM {table} ORDER BY id").fetchall():
                parsed = json.loads(details)
                assert parsed["booth"] == "Booth"  # every other key kept
                assert action == "entry" or parsed["reason"] == "other"
        stays = db.execute_sql("SELECT id, closed_reason, note FROM stays ORDER BY id").fetchall()
        # free text moved to the note while the vehicle still holds its data; dropped once purged
        assert stays == [(1, "other", "Zoe Li complained"), (2, "other", None), (3, None, None)]

        runner.migrate(target, db, None)  # the booth runs on the latest schema
        booth = make_booth(db, clock)  # the booth on the upgraded database: a code, labelled
        reg = booth.register("XY34ZZZ", "Jim", "07400 123456", "car")
        booth.close_departed(reg.stay_id, "vehicle_removed")
        clock.advance(hours=30)
        booth.expire()  # the moved note expires like any note
        assert db.execute_sql("SELECT note FROM stays WHERE id = 1").fetchone()[0] is None

        runner.rollback(target, db, V170)
        cols = [c.name for c in db.get_columns("stays")]
        assert "note" not in cols
        reasons = dict(db.execute_sql("SELECT id, closed_reason FROM stays").fetchall())
        assert reasons[1] == "other (say why in the note)" and reasons[reg.stay_id] == "vehicle removed (towed)"
        assert db.execute_sql("SELECT COUNT(*) FROM stays").fetchone()[0] == 4  # no row lost

        runner.migrate(target, db, V180)  # and up again: the labels become their codes
        again = dict(db.execute_sql("SELECT id, closed_reason FROM stays").fetchall())
        assert again[reg.stay_id] == "vehicle_removed" and again[1] == "other"
    finally:
        db.close()
