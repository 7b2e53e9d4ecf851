"""`kiosk --maintenance subject hold add|remove|list` in real subprocesses: exit codes, one-line
errors, the JSON shape, records named by id only, and `expire` saying what a hold kept."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiosk.models import AuditLog, LegalHold, Vehicle

PHONE = "07400 123456"
KEYS = {"id", "vehicle_id", "staff_id", "reason", "reason_label", "until", "request", "placed_by", "placed_at",
        "in_force", "released_at", "released_by", "overdue"}


@pytest.fixture
def site(booth, target):
    jane = booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    booth.pay(jane.stay_id, "card")
    booth.register("XY34ZZZ", "Jim Smith", "07400 654321", "car")
    return target, jane


def hold(kiosk_cli, target, *args):
    return kiosk_cli("--db", target.raw, "--maintenance", "subject", "hold", *args)


def one_error_line(r) -> str:
    assert "Traceback" not in r.err and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    return lines[0]


def test_add_list_remove_with_json(kiosk_cli, site):
    target, jane = site
    review = f"{dt.date.today() + dt.timedelta(days=60):%Y-%m-%d}"  # the subprocess reads the machine's clock
    r = hold(kiosk_cli, target, "add", "--plate", "ab12 cde", "--reason", "dispute", "--until", review, "--json")
    assert r.code == 0, r.err
    (added,) = json.loads(r.out)
    assert set(added) == KEYS
    assert (added["vehicle_id"], added["staff_id"], added["reason"], added["until"], added["in_force"]) == (
        jane.vehicle_id, None, "dispute", review, True)
    assert added["placed_by"] == "maintenance (headless)" and added["request"] is None
    r = hold(kiosk_cli, target, "add", "--phone", PHONE, "--reason", "police")
    assert r.code == 0 and r.out.strip() == f"already held: hold {added['id']} on vehicle #{jane.vehicle_id}: dispute, review {review}"
    assert "AB12CDE" not in r.out and "Jane" not in r.out
    listed = hold(kiosk_cli, target, "list")
    assert listed.code == 0 and f"vehicle #{jane.vehicle_id}" in listed.out and "in force" in listed.out
    assert [h["id"] for h in json.loads(hold(kiosk_cli, target, "list", "--json").out)] == [added["id"]]
    r = hold(kiosk_cli, target, "remove", str(added["id"]))
    assert r.code == 0 and r.out.startswith(f"removed: hold {added['id']}")
    assert json.loads(hold(kiosk_cli, target, "list", "--json").out) == []
    assert hold(kiosk_cli, target, "list").out.strip() == "no holds in force"
    (gone,) = json.loads(hold(kiosk_cli, target, "list", "--all", "--json").out)
    assert gone["in_force"] is False and gone["released_by"] == "maintenance (headless)"
    rows = [(a.action, a.origin) for a in AuditLog.select().where(AuditLog.action.startswith("hold_")).order_by(AuditLog.id)]
    assert rows == [("hold_add", "headless"), ("hold_remove", "headless")]


@pytest.mark.parametrize("args,code,says", [
    (["add", "--plate", "AB12CDE", "--reason", "spite"], 2, "is not a hold reason: one of dispute"),
    (["add", "--plate", "AB12CDE"], 2, "--reason"),
    (["add", "--plate", "AB12CDE", "--reason", "dispute", "--until", "2020-01-01"], 2, "is not after today"),
    (["add", "--plate", "AB12CDE", "--reason", "dispute", "--until", "2026-02-30"], 2, "is not a date"),
    (["add", "--plate", "AB12CDE", "--reason", "dispute", "--until", "next week"], 2, "is not a date"),
    (["add", "--plate", "AB12CDE", "--reason", "dispute", "--request", "NOPE-1"], 2, "no request NOPE-1"),
    (["add", "--plate", "AB12CDE", "--name", "Jane Doe", "--reason", "dispute"], 2, "exactly one of"),
    (["add", "--reason", "dispute"], 2, "exactly one of"),
    (["add", "--plate", "ZZ99ZZZ", "--reason", "dispute"], 1, "nothing was held"),
    (["add", "--staff", "Nobody Here", "--reason", "dispute"], 2, "no staff member"),
    (["add", "--staff", "99999", "--reason", "dispute"], 2, "no staff member"),
    (["remove", "999"], 2, "there is no hold 999"),
    (["remove", "abc"], 2, "a hold id must be a whole number"),
    (["remove"], 2, "HOLD_ID"),
])
def test_bad_usage_and_refusals_are_one_line(kiosk_cli, site, args, code, says):
    target, _ = site
    r = hold(kiosk_cli, target, *args)
    assert r.code == code, (r.out, r.err)
    assert says in one_error_line(r)
    assert LegalHold.select().count() == 0


def test_removing_twice_is_refused(kiosk_cli, site):
    target, _ = site
    (added,) = json.loads(hold(kiosk_cli, target, "add", "--plate", "AB12CDE", "--reason", "debt", "--json").out)
    assert hold(kiosk_cli, target, "remove", str(added["id"])).code == 0
    r = hold(kiosk_cli, target, "remove", str(added["id"]), "--json")
    assert r.code == 1 and "already removed" in one_error_line(r)


def test_a_staff_account_by_id(kiosk_cli, site, booth):
    target, _ = site
    made = booth.add_staff("Ann Lee", "attendant", "1234")
    r = hold(kiosk_cli, target, "add", "--staff", str(made.staff_id), "--reason", "dispute")
    assert r.code == 0 and f"staff account #{made.staff_id}" in r.out and "Ann" not in r.out


def test_expire_says_what_a_hold_kept(kiosk_cli, site):
    """The subprocess's clock is the machine's: the fixture's stays are days old by then."""
    target, jane = site
    assert hold(kiosk_cli, target, "add", "--plate", "AB12CDE", "--reason", "dispute").code == 0
    r = kiosk_cli("--db", target.raw, "--maintenance", "expire", "--json")
    assert r.code in (0, 4), r.err  # 4: Jim's car is an overstay
    assert json.loads(r.out)["expire"]["held"] == 1
    assert Vehicle.get_by_id(jane.vehicle_id).number_plate == "AB12CDE"
    text = kiosk_cli("--db", target.raw, "--maintenance", "expire").out
    assert "1 record(s) kept under a legal hold" in text
