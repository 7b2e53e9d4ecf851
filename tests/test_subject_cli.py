"""The data-protection scenario end to end, as an operator runs it (real `kiosk` subprocesses, both
databases): a person with a history (several visits on different spots, cash and card, a refund
with a note naming them, receipt files, a drive-off debt) and a backup; then request, find,
export, hold, erase; then checks on the database (no value of theirs left in any text column of
any table, the audit trail and the request log included), on the files (receipts gone, the export
owner-only and complete) and on the backups (the one from before is listed, one taken after holds
nothing of them), and every payment's amount and their sum unchanged. Plus the hostile cases."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import peewee as pw
import pytest

from dbcheck import is_pg
from kiosk.models import Stay, Vehicle
from subject_support import (E164, LOOKALIKE, NAME, NOTE, PHONE, PLATE, VALUES, build, payment_amounts, traces)


@pytest.fixture
def run(kiosk_cli, target):
    def call(*args, **kw):
        r = kiosk_cli("--db", target.raw, "--maintenance", *args, **kw)
        assert "Traceback" not in r.err, r.err
        return r

    return call


@pytest.fixture
def world(booth, clock, tmp_path):
    booth.receipts_dir = tmp_path / "receipts"  # where the command looks too (beside the file; the cwd on a server)
    return build(booth, clock)


def one_line(r) -> str:
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    return lines[0]


def backup_text(path: Path, database) -> str:
    """Everything a backup holds, as text: the rows of a SQLite copy, the SQL of a custom-format dump."""
    if is_pg(database):
        from kiosk.maintenance.sites.pg_dump import tool

        return subprocess.run([tool("pg_restore"), "--file=-", str(path)], capture_output=True, text=True,
                              check=True).stdout
    copy = pw.SqliteDatabase(str(path))
    try:
        return "\n".join(str(row) for (table,) in copy.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
                         for row in copy.execute_sql(f'SELECT * FROM "{table}"'))
    finally:
        copy.close()


def holds_any(text: str) -> set[str]:
    return {v for v in VALUES if v.lower() in text.lower()}


def test_find_export_hold_erase_end_to_end(run, world, database, tmp_path):
    amounts = payment_amounts(database)
    total = sum(cents for cents, _ in amounts.values())
    before = run("backup", "--json")
    assert before.code == 0, before.err
    old_backup = Path(json.loads(before.out)["path"])
    assert holds_any(backup_text(old_backup, database)) >= {PLATE, NAME, E164}

    # Access request: find, then the export answering it.
    assert run("request", "add", "--kind", "access", "--ref", "SAR-2026-001").code == 0
    found = run("subject", "find", "--plate", PLATE.lower(), "--json")
    assert found.code == 0, found.err
    data = json.loads(found.out)
    assert [v["plate"] for v in data["vehicles"]] == [PLATE] and len(data["stays"]) == 4
    assert [s["spot"] for s in data["stays"]] == ["A01", "A07", "A12", "A20"]
    assert {p["method"] for p in data["payments"]} == {"cash", "card"} and len(data["receipts"]) == 3
    assert [d["settled"] for d in data["debts"]] == [True]
    assert [b["path"] for b in data["backups"]] == [str(old_backup)]
    assert data["lookalikes"][0]["plate"] == LOOKALIKE
    text = run("subject", "find", "--phone", PHONE).out
    assert "4 visit(s)" in text and str(old_backup) in text and "rotated by" in text

    out = tmp_path / "answers" / "sar-2026-001.json"
    out.parent.mkdir()
    exported = run("subject", "export", "--plate", PLATE, "--request", "SAR-2026-001", "--out", str(out))
    assert exported.code == 0, exported.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # the temp file renamed, nothing left beside it
    body = json.loads(out.read_text())
    assert list(body)[0] == "summary" and all(isinstance(line, str) for line in body["summary"])
    assert body["vehicles"][0]["plate"] == PLATE and body["vehicles"][0]["contact_name"] == NAME
    assert body["vehicles"][0]["phone"] == E164 and [s["note"] for s in body["stays"] if s["note"]] == [NOTE]
    assert len(body["payments"]) == 4 and len(body["receipts"]) == 3 and body["backups"]
    assert LOOKALIKE not in out.read_text()

    # A hold in force: erasure skips the person, counted; removed, erasure goes ahead.
    assert run("request", "add", "--kind", "erasure", "--ref", "ERA-2026-002").code == 0
    held = run("subject", "hold", "add", "--plate", PLATE, "--reason", "dispute", "--json")
    assert held.code == 0, held.err
    (hold_id,) = [h["id"] for h in json.loads(held.out)]
    skipped = run("subject", "erase", "--plate", PLATE, "--request", "ERA-2026-002", "--json")
    assert skipped.code == 4, skipped.err
    assert json.loads(skipped.out)["held"] == 1 and Vehicle.get_by_id(world.vehicle_id).number_plate == PLATE
    assert run("subject", "hold", "remove", str(hold_id)).code == 0

    dry = run("subject", "erase", "--plate", PLATE, "--request", "ERA-2026-002", "--dry-run", "--json")
    assert dry.code == 0 and json.loads(dry.out)["erased"]["vehicles"] == [world.vehicle_id]
    assert all(p.exists() for p in world.receipts) and Vehicle.get_by_id(world.vehicle_id).number_plate == PLATE

    erased = run("subject", "erase", "--plate", PLATE, "--request", "ERA-2026-002")
    assert erased.code == 0, erased.err
    assert f"erased vehicle(s) #{world.vehicle_id}" in erased.out and "erased 3 receipt file(s)" in erased.out
    assert "financial record" in erased.out and str(old_backup) in erased.out and "rotation" in erased.out
    assert PLATE not in erased.out and NAME not in erased.out

    # The database: nothing of theirs in any text column of any table; the money as it was.
    assert traces(database) == []
    assert payment_amounts(database) == amounts and sum(c for c, _ in payment_amounts(database).values()) == total
    assert Vehicle.get_by_id(world.lookalike_id).number_plate == LOOKALIKE
    assert Stay.select().where(Stay.vehicle == world.vehicle_id).count() == 4
    # The files: receipts gone (the look-alike's stays), the export untouched.
    assert not any(p.exists() for p in world.receipts)
    assert len(list((tmp_path / "receipts").iterdir())) == 1
    # The backups: the one from before still holds them until rotation; one taken now holds nothing.
    after = run("backup", "--json")
    assert after.code == 0, after.err
    assert holds_any(backup_text(Path(json.loads(after.out)["path"]), database)) == set()
    assert holds_any(backup_text(old_backup, database)) >= {PLATE, NAME}
    again = run("subject", "find", "--plate", PLATE, "--json")
    assert json.loads(again.out)["found"] is False


@pytest.mark.parametrize("args, code, says", [
    ([], 2, "exactly one of --plate, --phone, --name or --staff (none given)"),
    (["--plate", PLATE, "--phone", PHONE], 2, "(--plate, --phone given)"),
    (["--plate", "#"], 2, "plate"),
    (["--staff", "Nobody Here"], 2, "no staff member named"),
])
def test_find_refuses_a_bad_selector_in_one_line(run, world, args, code, says):
    r = run("subject", "find", *args)
    assert r.code == code and says in one_line(r) and r.out == ""


def test_erase_refuses_without_the_right_open_request(run, world, database):
    r = run("subject", "erase", "--plate", PLATE, "--request", "NOPE-1")
    assert r.code == 2 and "no request 'NOPE-1'" in one_line(r)
    assert run("request", "add", "--kind", "access", "--ref", "SAR-7").code == 0
    r = run("subject", "erase", "--plate", PLATE, "--request", "SAR-7")
    assert r.code == 1 and "erasure request" in one_line(r)
    assert run("request", "add", "--kind", "erasure", "--ref", "ERA-7").code == 0
    assert run("request", "close", "ERA-7", "--refused", "--outcome", "withdrawn").code == 0
    r = run("subject", "erase", "--plate", PLATE, "--request", "ERA-7")
    assert r.code == 1 and "closed" in one_line(r)
    assert Vehicle.get_by_id(world.vehicle_id).number_plate == PLATE
    r = run("subject", "erase", "--plate", PLATE)
    assert r.code == 2 and "--request" in r.err


def test_erase_keeps_a_car_on_site_and_an_unpaid_debt_and_says_why(run, booth, clock, database, tmp_path):
    on_site = booth.register(PLATE, NAME, PHONE, "car")
    owing = booth.register("OW11NGS", NAME, PHONE, "car")
    clock.advance(hours=1)
    booth.close_departed(owing.stay_id, "left_without_paying")
    assert run("request", "add", "--kind", "erasure", "--ref", "ERA-8").code == 0
    r = run("subject", "erase", "--name", NAME.upper(), "--request", "ERA-8")
    assert r.code == 4, r.err
    assert "on site" in r.out and "unpaid drive-off debt" in r.out
    assert {v.contact_name for v in Vehicle.select().where(Vehicle.id.in_([on_site.vehicle_id, owing.vehicle_id]))} == {NAME}


def test_staff_erase_needs_a_disabled_account(run, booth, database):
    booth.add_staff("Petra Quill", "attendant", "1357")
    assert run("request", "add", "--kind", "erasure", "--ref", "ERA-S1").code == 0
    r = run("subject", "erase", "--staff", "petra quill", "--request", "ERA-S1")
    assert r.code == 4 and "disable it first" in r.out
    assert run("staff", "disable", "Petra Quill").code == 0
    r = run("subject", "erase", "--staff", "Petra Quill", "--request", "ERA-S1")
    assert r.code == 0 and "reduced to the id" in r.out
    assert traces(database, ("Petra Quill",)) == []


def test_export_refuses_an_existing_path_a_folder_and_an_unwritable_one(run, world, tmp_path):
    assert run("request", "add", "--kind", "access", "--ref", "SAR-9").code == 0
    existing = tmp_path / "there.json"
    existing.write_text("keep me")
    folder = tmp_path / "folder"
    folder.mkdir()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    cases = [(existing, "already exists"), (folder, "is a folder"), (tmp_path / "missing" / "x.json", "does not exist"),
             (Path("/proc/kiosk-export.json"), "cannot write")]  # unwritable even for root
    if os.geteuid() != 0:  # root writes anywhere
        cases.append((locked / "x.json", "no write permission"))
    for path, says in cases:
        r = run("subject", "export", "--plate", PLATE, "--request", "SAR-9", "--out", str(path))
        assert r.code == 2 and says in one_line(r), r.err
    assert existing.read_text() == "keep me" and list(folder.iterdir()) == [] and list(locked.iterdir()) == []
    r = run("subject", "export", "--plate", PLATE, "--request", "NOPE-9", "--out", str(tmp_path / "new.json"))
    assert r.code == 2 and not (tmp_path / "new.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left

