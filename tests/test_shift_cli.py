"""`kiosk --maintenance shifts` and `z-report` in real subprocesses: the list as text, JSON and the
accountant's CSV (owner-only, formulas defused), a Z report reprinted, and bad arguments as one
line with their exit code."""

from __future__ import annotations

import csv
import json
import stat
from decimal import Decimal

import pytest
from staff_support import person

from kiosk.booth import Booth
from kiosk.db import connect

PHONE = "07400 123456"


def one_error_line(r) -> str:
    assert "Traceback" not in r.err and "Traceback" not in r.out
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    return lines[0]


@pytest.fixture
def site(kiosk_cli, target, clock, pin_hasher):
    """Booth North: shift 1 closed (Z 1, a cash payment, a drop), shift 2 open. Booth South: Z 1."""
    r = kiosk_cli("--db", target.raw, "--maintenance", "migrate")
    assert r.code == 0, r.err
    db = connect(target)
    north = Booth(db, clock, booth_name="North", pin_hasher=pin_hasher)
    ann = north.signed_in(person(north, "=HYPERLINK(\"http://x\")", "manager"))
    ann.open_shift("20.00")
    reg = ann.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2)
    paid = ann.pay(reg.stay_id, "cash", "20")
    ann.cash_drop("10.00", "safe_drop")
    ann.close_shift(str(Decimal("10.00") + paid.amount), card_batch="0.00")
    clock.advance(days=1)
    ann.open_shift("5.00")
    south = Booth(db, clock, booth_name="South", pin_hasher=pin_hasher).signed_in(person(north, "Sam", "manager"))
    south.open_shift("0")
    south.close_shift("0", card_batch="0")
    db.close()
    return target, paid.amount


def run(kiosk_cli, target, *args):
    return kiosk_cli("--db", target.raw, "--maintenance", *args)


def test_shifts_json_lists_every_shift_newest_first_with_its_totals(kiosk_cli, site):
    target, fee = site
    r = run(kiosk_cli, target, "shifts", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [(x["booth"], x["status"], x["z_number"]) for x in rows] == [
        ("South", "closed", 1), ("North", "open", None), ("North", "closed", 1)]
    z1 = rows[2]
    assert (z1["cash"], z1["drops"], z1["float"], z1["variance"], z1["payments"]) == (
        f"{fee:.2f}", "10.00", "20.00", "0.00", 1)
    assert z1["expected_cash"] == z1["counted_cash"] == f"{Decimal('10.00') + fee:.2f}"
    assert z1["people"] == ['=HYPERLINK("http://x")'] and z1["opened_at"].startswith("2026-11-24T12:00:00")
    north = json.loads(run(kiosk_cli, target, "shifts", "--json", "--booth", "North").out)
    assert {x["booth"] for x in north} == {"North"} and len(north) == 2
    day1 = json.loads(run(kiosk_cli, target, "shifts", "--json", "--from", "2026-11-24", "--to", "2026-11-24").out)
    assert [x["shift_id"] for x in day1] == [1]
    day2 = json.loads(run(kiosk_cli, target, "shifts", "--json", "--from", "2026-11-25").out)
    assert {x["shift_id"] for x in day2} == {2, 3}


def test_shifts_text_and_the_accountants_csv(kiosk_cli, site, tmp_path):
    target, _fee = site
    out = tmp_path / "z.csv"
    r = run(kiosk_cli, target, "shifts", "--csv", str(out))
    assert r.code == 0, r.err
    assert "North" in r.out and "South" in r.out and "open" in r.out and "wrote 2 closed shift(s)" in r.out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(x["booth"], x["z_number"]) for x in rows] == [("North", "1"), ("South", "1")]
    assert rows[0]["people"] == "'=HYPERLINK(\"http://x\")" and rows[0]["opened_by"].startswith("'=")  # no formula
    assert rows[0]["variance"] == "0.00" and rows[0]["drops"] == "10.00"
    out.write_text("old")
    out.chmod(0o644)
    assert run(kiosk_cli, target, "shifts", "--booth", "South", "--csv", str(out)).code == 0
    assert [x["booth"] for x in csv.DictReader(out.open(newline=""))] == ["South"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and not list(tmp_path.glob(".*partial"))


def test_z_report_reprints_and_json(kiosk_cli, site):
    target, fee = site
    r = run(kiosk_cli, target, "z-report", "1", "--booth", "North")
    assert r.code == 0, r.err
    assert "Z REPORT No. 1" in r.out and "REPRINT" in r.out and "North" in r.out
    data = json.loads(run(kiosk_cli, target, "z-report", "1", "--booth", "South", "--json").out)
    assert (data["number"], data["booth"], data["reprint"], data["counted_cash"]) == (1, "South", True, "0.00")
    north = json.loads(run(kiosk_cli, target, "z-report", "1", "--booth", "North", "--json").out)
    assert {"kind": "drop", "code": "safe_drop", "label": "drop to the safe", "count": 1, "amount": "10.00"} in north["exceptions"]
    assert north["cash"] == f"{fee:.2f}"


@pytest.mark.parametrize("args, code, words", [
    (("shifts", "--booth", "East"), 2, "no shift has ever been recorded at booth 'East'"),
    (("shifts", "--from", "2026-13-01"), 2, "is not a day"),
    (("shifts", "--to", "yesterday"), 2, "YYYY-MM-DD"),
    (("shifts", "--from", "2026-11-25", "--to", "2026-11-24"), 2, "after --to"),
    (("shifts", "--booth", ""), 2, "booth name"),
    (("shifts", "--csv", "/no/such/folder/z.csv"), 1, "could not be written"),
    (("shifts", "--csv", "."), 2, "is a directory"),
    (("z-report", "9", "--booth", "North"), 2, "has no Z report 9: it has Z reports 1 to 1"),
    (("z-report", "1", "--booth", "East"), 2, "no Z reports yet"),
    (("z-report", "one"), 2, "a Z report number must be a whole number"),
    (("z-report", "0"), 2, "a Z report number must be a whole number from 1"),
    (("z-report", "99999999999999999999"), 2, "whole number"),
    (("z-report",), 2, "Missing argument"),
])
def test_bad_arguments_are_one_line_with_their_exit_code(kiosk_cli, site, args, code, words):
    target, _fee = site
    r = run(kiosk_cli, target, *args)
    assert r.code == code, (r.out, r.err)
    assert words in one_error_line(r)


def test_on_a_missing_database_it_says_so(kiosk_cli, tmp_path):
    r = kiosk_cli("--db", str(tmp_path / "none.db"), "--maintenance", "shifts")
    assert r.code == 1 and "no database" in one_error_line(r)
