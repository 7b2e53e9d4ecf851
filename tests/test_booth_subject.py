"""Subject find / export / erase through the Booth: every place the person appears, erasure as
expiry would do it (finance kept, anonymous), what is kept and why, and nothing personal in the
audit trail. The whole scenario through the commands is tests/test_subject_cli.py."""

from __future__ import annotations

import json

import pytest

from kiosk.booth import BoothError
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, LegalHold, Staff, Stay, Vehicle
from staff_support import staff_row
from subject_support import (E164, LOOKALIKE, NAME, NOTE, PHONE, PLATE, VALUES, World, build, hold, log,
                             payment_amounts, traces)


@pytest.fixture
def world(booth, clock, tmp_path) -> World:
    booth.receipts_dir = tmp_path / "receipts"
    return build(booth, clock)


def subject_audit() -> list[dict]:
    return [json.loads(r.details) | {"_action": r.action, "_entity": r.entity, "_id": r.entity_id}
            for r in AuditLog.select().where(AuditLog.action.startswith("subject_")).order_by(AuditLog.id)]


def test_find_lists_every_place_the_person_appears_and_flags_the_lookalike(booth, world, database):
    report = booth.find_subject(plate="ab10 cde")
    assert [v.id for v in report.vehicles] == [world.vehicle_id]
    v = report.vehicles[0]
    assert (v.plate, v.contact_name, v.phone) == (PLATE, NAME, E164)
    assert [s.id for s in report.stays] == world.stay_ids
    assert [s.spot for s in report.stays] == ["A01", "A07", "A12", "A20"]
    assert [s.note for s in report.stays if s.note] == [NOTE]
    assert sorted(p.id for p in report.payments) == sorted(world.payment_ids)
    assert {p.method for p in report.payments} == {"cash", "card"}
    assert [p.refund_of for p in report.payments if p.refund_of] == [world.payment_ids[1]]
    assert [(d.stay_id, d.settled) for d in report.debts] == [(world.debt_stay, True)]
    assert sorted(r.path for r in report.receipts) == sorted(str(p) for p in world.receipts)
    assert report.lookalike_ids == ((world.lookalike_id, LOOKALIKE),)
    actions = {a.action for a in report.audit}
    assert {"entry", "payment", "refund", "departed"} <= actions
    assert report.first_seen == report.stays[0].entry_at
    text = "\n".join(report.summary())
    assert "4 visit(s)" in text and "1 look-alike plate(s)" in text and "3 receipt file(s)" in text
    # The same person by phone (as typed) and by name (any case and spacing).
    assert [v.id for v in booth.find_subject(phone=PHONE).vehicles] == [world.vehicle_id]
    assert [v.id for v in booth.find_subject(name="  jane   QUINTESSA doe ").vehicles] == [world.vehicle_id]
    # Each look-up is audited by kind and counts; never the value looked for.
    rows = subject_audit()
    assert [(r["_action"], r["kind"], r["vehicles"]) for r in rows] == [
        ("subject_find", "plate", 1), ("subject_find", "phone", 1), ("subject_find", "name", 1)]
    assert traces(database, VALUES) == [(t, c, v) for t, c, v in traces(database, VALUES) if t in ("vehicles", "stays")]


def test_export_json_is_complete_with_the_personal_data_but_not_the_lookalikes(booth, world):
    log("SAR-2026-001", "access")
    report = booth.export_subject("SAR-2026-001", plate=PLATE)
    data = report.to_json(export=True)
    assert list(data)[0] == "summary" and data["request"] == "SAR-2026-001"
    assert data["vehicles"][0]["plate"] == PLATE and data["vehicles"][0]["phone"] == E164
    assert len(data["stays"]) == 4 and len(data["payments"]) == 4 and len(data["receipts"]) == 3
    assert data["others_not_included"] == {"lookalike_plates": 1, "staff_namesakes": 0, "notes_of_other_visits": 0}
    assert LOOKALIKE not in json.dumps(data)
    (row,) = [r for r in subject_audit() if r["_action"] == "subject_export"]
    assert row["_entity"] == "privacy_requests" and row["request"] == "SAR-2026-001" and row["stays"] == 4
    assert PLATE not in json.dumps(row)


@pytest.mark.parametrize("kwargs, field", [({}, "subject"), ({"plate": PLATE, "phone": PHONE}, "subject"),
                                           ({"plate": "!!"}, "plate"), ({"phone": "12"}, "phone"),
                                           ({"name": "1234"}, "name"), ({"staff": "Nobody Here"}, "staff")])
def test_a_bad_or_ambiguous_selector_is_refused_with_its_field(booth, kwargs, field):
    with pytest.raises(BoothError) as err:
        booth.find_subject(**kwargs)
    assert err.value.field == field and err.value.code is ErrorCode.INVALID


@pytest.mark.parametrize("setup, code", [(None, ErrorCode.INVALID), (("REQ-1", "access", "open"), ErrorCode.REFUSED),
                                         (("REQ-1", "erasure", "done"), ErrorCode.REFUSED)])
def test_erase_needs_an_open_erasure_request(booth, world, database, setup, code):
    if setup:
        log(*setup)
    before = traces(database)
    with pytest.raises(BoothError) as err:
        booth.erase_subject("REQ-1", plate=PLATE)
    assert err.value.field == "request" and err.value.code is code
    assert traces(database) == before and not [r for r in subject_audit() if r["_action"] == "subject_erase"]


def test_erase_removes_the_persons_data_keeps_the_money_and_leaves_the_lookalike(booth, world, database):
    log("ERA-2026-002", "erasure")
    amounts = payment_amounts(database)
    dry = booth.erase_subject("ERA-2026-002", True, plate=PLATE)
    assert dry.dry_run and dry.vehicles == (world.vehicle_id,) and len(dry.receipts) == 3
    assert all(p.exists() for p in world.receipts) and Vehicle.get_by_id(world.vehicle_id).number_plate == PLATE
    assert subject_audit() == []  # a dry run changes nothing, the audit trail included
    done = booth.erase_subject("ERA-2026-002", plate=PLATE)
    assert done.vehicles == (world.vehicle_id,) and done.notes == 1 and done.stays == 4 and not done.refused
    assert {k.what: k.ids for k in done.kept} == {"payments": tuple(sorted(world.payment_ids)),
                                                  "lookalike": (world.lookalike_id,)}
    assert not any(p.exists() for p in world.receipts)
    v = Vehicle.get_by_id(world.vehicle_id)
    assert (v.number_plate, v.contact_name, v.phone_number) == (f"~{world.vehicle_id}", "", "")
    assert v.purged_at is not None
    assert traces(database) == []  # nowhere: not a table, not the audit trail, not the request log
    assert payment_amounts(database) == amounts
    assert Vehicle.get_by_id(world.lookalike_id).number_plate == LOOKALIKE
    assert [s.id for s in Stay.select().where(Stay.vehicle == world.vehicle_id).order_by(Stay.id)] == world.stay_ids
    (row,) = subject_audit()
    assert row["_action"] == "subject_erase" and row["vehicles"] == [world.vehicle_id] and row["notes"] == 1
    # Again (a retry): nothing left to erase, said so, still no error.
    again = booth.erase_subject("ERA-2026-002", plate=PLATE)
    assert again.vehicles == () and "nothing held" in again.summary()[0]


def test_a_retry_deletes_receipt_files_a_kill_left_behind(booth, world, database, tmp_path):
    log("ERA-1", "erasure")
    booth.erase_subject("ERA-1", plate=PLATE)
    left = world.receipts[0]
    left.write_text("as if the process was killed between the commit and the files\n")
    again = booth.erase_subject("ERA-1", plate=PLATE)
    assert again.receipts == (str(left),) and not left.exists()


def test_a_car_on_site_an_unpaid_debt_and_a_hold_are_kept_and_said_why(booth, clock, database, tmp_path):
    booth.receipts_dir = tmp_path / "receipts"
    on_site = booth.register("ON51TE", NAME, PHONE, "car")
    owing = booth.register("OW1NG", NAME, PHONE, "car")
    clock.advance(hours=1)
    booth.close_departed(owing.stay_id, "left_without_paying")
    held = booth.register("HE1D", NAME, PHONE, "car")
    free = booth.register("FR33", NAME, PHONE, "car")
    clock.advance(hours=1)
    booth.pay(held.stay_id, "card")
    booth.pay(free.stay_id, "card")
    hold(clock, vehicle_id=held.vehicle_id)
    log("ERA-9", "erasure")
    report = booth.erase_subject("ERA-9", name=NAME)
    kept = {k.what: k.ids for k in report.kept}
    assert report.vehicles == (free.vehicle_id,)
    assert kept["on_site"] == (on_site.vehicle_id,) and kept["debt"] == (owing.vehicle_id,)
    assert kept["hold"] == (held.vehicle_id,) and report.held == 1 and report.refused == 3
    text = "\n".join(report.summary())
    assert "on site" in text and "unpaid drive-off debt" in text and "legal hold" in text
    for vid in (on_site.vehicle_id, owing.vehicle_id, held.vehicle_id):
        assert Vehicle.get_by_id(vid).contact_name == NAME
    assert Vehicle.get_by_id(free.vehicle_id).contact_name == ""
    (row,) = [r for r in subject_audit() if r["_action"] == "subject_erase"]
    assert (row["on_site"], row["debts"], row["held"], row["vehicles"]) == (1, 1, 1, [free.vehicle_id])


def test_staff_find_and_erase_an_active_account_is_refused_a_disabled_one_reduced_to_its_id(booth, clock, database):
    sid = staff_row("Petra Quill", "attendant", now=clock.now())
    namesake = booth.register("PQ11AAA", "petra quill", PHONE, "car")
    report = booth.find_subject(staff="petra QUILL")
    assert [s.id for s in report.staff] == [sid] and report.staff[0].name == "Petra Quill"
    assert [v.id for v in booth.find_subject(name="Petra Quill").vehicles] == [namesake.vehicle_id]
    assert booth.find_subject(name="Petra Quill").namesake_ids == (sid,)
    assert booth.find_subject(staff=str(sid)).staff[0].id == sid  # by id, as the command line gives it
    log("ERA-S", "erasure")
    refused = booth.erase_subject("ERA-S", staff="Petra Quill")
    assert refused.staff == () and [k.what for k in refused.kept] == ["active_account"]
    assert "disable it first" in "\n".join(refused.summary())
    booth.disable_staff("Petra Quill")
    hid = hold(clock, staff_id=sid)
    assert [k.what for k in booth.erase_subject("ERA-S", staff=sid).kept] == ["hold"]
    LegalHold.update(released_at=clock.now()).where(LegalHold.id == hid).execute()
    done = booth.erase_subject("ERA-S", staff=sid)
    assert done.staff == (sid,)
    row = Staff.get_by_id(sid)
    assert (row.display_name, row.pin_hash) == (f"~{sid}", None) and row.purged_at is not None
    assert {(t, c) for t, c, _ in traces(database, ("Petra Quill",))} == {("vehicles", "contact_name")}  # the namesake
    with pytest.raises(BoothError):  # a purged account is no longer there to find
        booth.find_subject(staff="Petra Quill")


def test_another_visits_note_that_names_them_is_flagged_not_changed(booth, world, clock, database):
    other = booth.register("NT11OTE", "Someone Else", "07400 123460", "car")
    clock.advance(hours=1)
    booth.close_departed(other.stay_id, "other", "followed ab10 cde out, driver rang +44 7400 123457")
    for selector in ({"plate": PLATE}, {"phone": PHONE}):
        report = booth.find_subject(**selector)
        assert report.mentioned_in == (other.stay_id,), selector
        assert "of other visits mention them" in "\n".join(report.summary())
        assert report.to_json(export=True)["others_not_included"]["notes_of_other_visits"] == 1
        assert "followed" not in json.dumps(report.to_json(export=True))
    assert booth.find_subject(name=NAME).mentioned_in == ()
    log("ERA-N", "erasure")
    done = booth.erase_subject("ERA-N", plate=PLATE)
    assert {k.what: k.ids for k in done.kept}["mentions"] == (other.stay_id,) and not done.refused
    assert Stay.get_by_id(other.stay_id).note.startswith("followed ab10 cde")


def test_find_counts_the_archived_audit_rows_too(booth, world, clock):
    live = {a.action for a in booth.find_subject(plate=PLATE).audit if a.table == "audit_logs"}
    clock.advance(days=100)
    booth.archive()  # the person's audit rows move to audit_logs_archive (ids only in them)
    report = booth.find_subject(plate=PLATE)
    archived = [a for a in report.audit if a.table == "audit_logs_archive"]
    assert {a.action for a in archived} == live | {"subject_find"} and len(archived) == 10  # the first look-up too
    assert report.to_json()["audit"]["by_action"] == {"departed": 1, "entry": 4, "payment": 3, "refund": 1,
                                                      "subject_find": 1}
