"""Personal data typed as a reason never reaches the audit trail; notes and receipt files expire with the stay."""

from __future__ import annotations

import json
import os

import pytest

from kiosk.booth import Booth, BoothError
from kiosk.booth.retention import expired_notes
from kiosk.models import AuditLog, AuditLogArchive, Stay, Vehicle
from staff_support import as_manager, on_shift

PHONE = "07400 123456"
HOSTILE = ["Zoe Li complained", "meant XY99ZZZ", "call 07700 900123 back"]


def audit_text() -> str:
    rows = [r.details or "" for r in AuditLog.select()] + [r.details or "" for r in AuditLogArchive.select()]
    return " ".join(rows)


def test_hostile_reasons_are_refused_and_hostile_notes_never_reach_the_audit_trail(booth, clock, database):
    paid = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    gone = booth.register("GO11NEE", "Ann Other", PHONE, "car")
    clock.advance(hours=1)
    receipt = booth.pay(paid.stay_id, "card")
    for text in HOSTILE:  # as a reason: not a code, refused, nothing written
        with pytest.raises(BoothError) as err:
            booth.refund(receipt.payment_id, text)
        assert err.value.field == "reason" and "customer_complaint" in err.value.message
        with pytest.raises(BoothError):
            booth.close_departed(gone.stay_id, text)
    booth.refund(receipt.payment_id, "customer_complaint", HOSTILE[0] + "; " + HOSTILE[2])
    booth.close_departed(gone.stay_id, "left_without_paying", HOSTILE[1])
    clock.advance(days=100)
    booth.archive()  # the refund and departure rows go to audit_logs_archive
    assert AuditLogArchive.select().where(AuditLogArchive.action.in_(["refund", "departed"])).count() == 2
    trail = audit_text()
    for text in HOSTILE:
        for word in text.split():
            if len(word) > 3 and word not in ("call", "back", "meant"):
                assert word not in trail, word
    reasons = {json.loads(r.details)["reason"] for r in AuditLogArchive.select().where(
        AuditLogArchive.action.in_(["refund", "departed"]))}
    assert reasons == {"customer_complaint", "left_without_paying"}
    assert Stay.get_by_id(gone.stay_id).closed_reason == "left_without_paying"
    assert Stay.get_by_id(paid.stay_id).note == "Zoe Li complained; call 07700 900123 back"
    assert Stay.get_by_id(gone.stay_id).note == "meant XY99ZZZ"


def test_a_second_note_is_appended_and_notes_are_bounded(booth, clock):
    reg = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    pay = booth.pay(reg.stay_id, "card")
    with pytest.raises(BoothError) as err:
        booth.refund(pay.payment_id, "wrong_amount", "x" * 201)
    assert err.value.field == "note" and "200" in err.value.message
    booth.refund(pay.payment_id, "other", "first", reopen=True)
    pay2 = booth.pay(reg.stay_id, "card")
    booth.refund(pay2.payment_id, "goodwill", "second")
    assert Stay.get_by_id(reg.stay_id).note == "first\nsecond"


def test_expiry_removes_the_notes_of_expired_stays_and_only_those(booth, clock, database):
    old = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    booth.close_departed(old.stay_id, "other", "Zoe Li complained")
    on_site = booth.register("XY34ZZZ", "Jim", PHONE, "car")
    pay = booth.pay(on_site.stay_id, "card")
    booth.refund(pay.payment_id, "other", "meant XY99ZZZ", reopen=True)  # open again, with a note
    clock.advance(hours=25)
    recent = booth.register("NEW1", "Ann", PHONE, "car")
    booth.close_departed(recent.stay_id, "other", "recent note")
    cutoff = clock.now() - __import__("datetime").timedelta(hours=24)
    assert [s.id for s in expired_notes(cutoff)] == [old.stay_id]  # the ORM rule: closed, entered before the cutoff
    report = booth.expire()
    assert report.notes == 1
    assert Stay.get_by_id(old.stay_id).note is None
    assert Stay.get_by_id(on_site.stay_id).note == "meant XY99ZZZ"  # still on site: kept
    assert Stay.get_by_id(recent.stay_id).note == "recent note"  # inside the retention: kept
    audit = booth.recent_audit(action="expire")
    assert any(a.entity == "stays" and a.details.get("notes") == 1 for a in audit)
    assert "Zoe" not in audit_text()


def test_notes_of_a_returning_plate_expire_with_their_own_stay(booth, clock):
    first = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    booth.close_departed(first.stay_id, "other", "Zoe Li complained")
    clock.advance(hours=30)
    back = booth.register("AB12CDE", "Jane Doe", PHONE, "car")  # same vehicle row: not purged
    booth.expire()
    assert Vehicle.get_by_id(back.vehicle_id).purged_at is None
    assert Stay.get_by_id(first.stay_id).note is None


def test_a_note_is_refused_once_the_stay_has_expired(booth, clock):
    reg = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    pay = booth.pay(reg.stay_id, "card")
    clock.advance(hours=25)
    booth.expire()
    with pytest.raises(BoothError) as err:
        booth.refund(pay.payment_id, "goodwill", "Zoe Li")
    assert err.value.field == "note"
    assert booth.refund(pay.payment_id, "goodwill").reason == "goodwill"  # without a note it is fine


def test_expiry_deletes_the_receipt_files_of_expired_stays(database, clock, tmp_path, make_booth):
    folder = tmp_path / "elsewhere"
    booth = make_booth(database, clock, receipts_dir=folder)
    a = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    b = booth.register("XY34ZZZ", "Jim", PHONE, "car")
    ra = booth.pay(a.stay_id, "card")
    rb = booth.pay(b.stay_id, "card")
    pa, pb = booth.save_receipt(ra), booth.save_receipt(rb)
    assert "AB12CDE" in pa.read_text() and "AB12CDE" not in pa.name
    # a receipt written under the older name (<paid at>_<transaction>.txt) is found by its transaction
    legacy = folder / f"{ra.paid_at:%Y%m%d-%H%M%S}_{ra.transaction_id}.txt"
    legacy.write_text(ra.text())
    clock.advance(hours=23)
    c = booth.register("NEW1", "Ann", PHONE, "car")
    pc = booth.save_receipt(booth.pay(c.stay_id, "card"))
    (folder / "notes.txt").write_text("not a receipt")  # left alone
    clock.advance(hours=1, minutes=1)
    report = booth.expire()
    assert report.receipts == 3
    assert not pa.exists() and not pb.exists() and not legacy.exists()
    assert pc.exists() and (folder / "notes.txt").exists()


@pytest.mark.sqlite_only
def test_the_cli_expire_deletes_receipts_beside_the_database(database, clock, tmp_path, kiosk_cli, target):
    booth = on_shift(as_manager(Booth(database, clock)))  # receipts/ beside the database file by default
    reg = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    receipt = booth.pay(reg.stay_id, "card")
    booth.close_departed(booth.register("GO11NEE", "Ann", PHONE, "car").stay_id, "other", "Zoe Li complained")
    path = booth.save_receipt(receipt)
    assert path.parent == target.path.parent / "receipts"
    # the CLI runs on the real clock: move the stays 2 days back
    for table in ("vehicles", "stays"):
        database.execute_sql(f"UPDATE {table} SET entry_timestamp = datetime('now', '-2 days')")
    database.close()
    out = kiosk_cli("--db", str(target.path), "--maintenance", "expire", cwd=tmp_path / "..")
    assert out.code == 0, out.err
    assert "1 stay note(s) removed, 1 receipt file(s) deleted" in out.out
    assert not path.exists()
    assert Stay.select().where(Stay.note.is_null(False)).count() == 0
    assert os.listdir(path.parent) == []
